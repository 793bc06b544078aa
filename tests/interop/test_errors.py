"""Errors: each one the client raises as HTTPError with GOV.UK Notify's status code, error and message.

The messages are those of notifications-api's source (app/authentication/auth.py,
app/schema_validation, app/notifications/validators.py, app/v2/errors.py,
app/v2/notifications/post_notifications.py), including its typographic apostrophe in "Can’t"."""

from __future__ import annotations

import io
import time
import uuid

import pytest
from notifications_python_client.errors import HTTPError

from harness.notify import assert_notify_error, client, other_phone, personalisation_for
from harness.pdf import minimal_pdf

TEAM_ONLY = "Can’t send to this recipient using a team-only API key"


def raised(call) -> HTTPError:
    with pytest.raises(HTTPError) as error:
        call()
    return error.value


@pytest.fixture
def email_values(templates) -> dict[str, str]:
    return personalisation_for(templates["email"], name="Ada", reference="E-1")


@pytest.mark.parametrize("operation", ["send", "get_notification", "list_templates"])
def test_key_with_a_wrong_secret(publica, demo, email_values, operation):
    api = client(f"wrong-{demo['service_id']}-{uuid.uuid4()}", publica.base_url)
    calls = {
        "send": lambda: api.send_email_notification("ada@example.com", demo["templates"]["email"], email_values),
        "get_notification": lambda: api.get_notification_by_id(str(uuid.uuid4())),
        "list_templates": lambda: api.get_all_templates(),
    }
    assert_notify_error(raised(calls[operation]), 403, "AuthError", "Invalid token: API key not found")


def test_key_of_an_unknown_service(publica, demo, email_values):
    api = client(f"unknown-{uuid.uuid4()}-{uuid.uuid4()}", publica.base_url)
    error = raised(lambda: api.send_email_notification("ada@example.com", demo["templates"]["email"], email_values))
    assert_notify_error(error, 403, "AuthError", "Invalid token: service not found")


def test_invalid_email_address(live, demo, email_values):
    error = raised(lambda: live.send_email_notification("not-an-email", demo["templates"]["email"], email_values))
    assert_notify_error(error, 400, "ValidationError", "email_address Not a valid email address")


def test_missing_personalisation(live, demo, email_values):
    values = {k: v for k, v in email_values.items() if k != "name"}
    error = raised(lambda: live.send_email_notification("ada@example.com", demo["templates"]["email"], values))
    assert_notify_error(error, 400, "BadRequestError", "Missing personalisation: name")


def test_missing_personalisation_names_every_field(live, demo):
    error = raised(lambda: live.send_email_notification("ada@example.com", demo["templates"]["email"], {}))
    assert error.status_code == 400
    [only] = error.message
    assert only["error"] == "BadRequestError"
    assert only["message"].startswith("Missing personalisation: ")
    missing = only["message"].removeprefix("Missing personalisation: ").split(", ")
    assert {"name", "reference"} <= set(missing)


def test_unknown_template(live, email_values):
    error = raised(lambda: live.send_email_notification("ada@example.com", str(uuid.uuid4()), email_values))
    assert_notify_error(error, 400, "BadRequestError", "Template not found")


def test_template_id_not_a_uuid(live, email_values):
    error = raised(lambda: live.send_email_notification("ada@example.com", "not-a-uuid", email_values))
    assert_notify_error(error, 400, "ValidationError", "template_id is not a valid UUID")


def test_template_of_another_type(live, demo, email_values):
    error = raised(
        lambda: live.send_sms_notification(other_phone(demo["team_phone"]), demo["templates"]["email"], email_values)
    )
    assert_notify_error(error, 400, "BadRequestError", "email template is not suitable for sms notification")


def test_team_key_to_someone_outside_the_team(team, demo, templates, email_values, smtp_sink, sms_sink):
    error = raised(
        lambda: team.send_email_notification("stranger@example.com", demo["templates"]["email"], email_values)
    )
    assert_notify_error(error, 400, "BadRequestError", TEAM_ONLY)

    stranger_phone = other_phone(demo["team_phone"])
    sms_values = personalisation_for(templates["sms"], name="Stranger", code="000000")
    error = raised(lambda: team.send_sms_notification(stranger_phone, demo["templates"]["sms"], sms_values))
    assert_notify_error(error, 400, "BadRequestError", TEAM_ONLY)

    time.sleep(0.5)
    assert not [m for m in smtp_sink.messages() if "stranger@example.com" in m.rcpt_tos]
    assert not [m for m in sms_sink.messages() if "Stranger, your code is 000000" in m.body]


def test_team_key_cannot_send_letters(team, demo, templates):
    values = personalisation_for(
        templates["letter"],
        name="Ada",
        reference="L-1",
        address_line_1="The Occupier",
        address_line_2="10 Downing Street",
        address_line_3="SW1A 2AA",
    )
    error = raised(lambda: team.send_letter_notification(demo["templates"]["letter"], values))
    assert_notify_error(error, 403, "BadRequestError", "Cannot send letters with a team api key")

    pdf = io.BytesIO(minimal_pdf(["The Occupier", "10 Downing Street", "SW1A 2AA"], ["Dear Ada,"]))
    error = raised(lambda: team.send_precompiled_letter_notification(f"team-{uuid.uuid4()}", pdf))
    assert_notify_error(error, 403, "BadRequestError", "Cannot send letters with a team api key")


def test_unknown_notification(live):
    error = raised(lambda: live.get_notification_by_id(str(uuid.uuid4())))
    assert_notify_error(error, 404, "NoResultFound", "No result found")


def test_notification_id_not_a_uuid(live):
    error = raised(lambda: live.get_notification_by_id("not-a-uuid"))
    assert_notify_error(error, 400, "ValidationError", "notification_id is not a valid UUID")
