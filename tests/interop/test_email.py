"""Email: sent with the official client, received by the SMTP sink, reported `delivered`."""

from __future__ import annotations

import time
import uuid
from email.utils import getaddresses, parseaddr

from harness.notify import (
    EMAIL,
    NOTIFICATION_KEYS,
    fill,
    parse_time,
    personalisation_for,
    wait_for_status,
)

RECIPIENT = "ada.lovelace@example.com"


def test_send_email_arrives_personalised_and_is_delivered(live, demo, templates, smtp_sink):
    template = templates["email"]
    reference = f"email-{uuid.uuid4()}"
    values = personalisation_for(template, name="Ada Lovelace", reference="TR-2024-0042")

    response = live.send_email_notification(
        email_address=RECIPIENT,
        template_id=demo["templates"]["email"],
        personalisation=values,
        reference=reference,
    )

    notification_id = response["id"]
    assert str(uuid.UUID(notification_id)) == notification_id
    assert {"id", "reference", "content", "uri", "template", "scheduled_for"} <= set(response)
    assert response["reference"] == reference
    assert response["scheduled_for"] is None
    assert response["uri"].endswith(f"/v2/notifications/{notification_id}")
    assert response["template"]["id"] == demo["templates"]["email"]
    assert response["template"]["version"] == template["version"]
    assert demo["templates"]["email"] in response["template"]["uri"]
    content = response["content"]
    assert content["subject"] == "Your tax return TR-2024-0042"
    assert content["subject"] == fill(template["subject"], values)
    assert content["body"].strip() == fill(template["body"], values).strip()
    assert "Dear Ada Lovelace," in content["body"]
    assert "Reference: TR-2024-0042" in content["body"]
    assert EMAIL.match(content["from_email"]), content["from_email"]

    mail = smtp_sink.wait_for_notification(notification_id)
    sender = parseaddr(str(mail.message["From"]))[1]
    assert sender == content["from_email"]
    assert mail.message_id == f"<{notification_id}@{sender.split('@')[1]}>"
    assert mail.mail_from == sender
    assert mail.rcpt_tos == (RECIPIENT,)
    assert [addr for _, addr in getaddresses([str(mail.message["To"])])] == [RECIPIENT]
    assert mail.subject == "Your tax return TR-2024-0042"
    assert mail.message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.message.iter_parts()] == ["text/plain", "text/html"]
    assert "Dear Ada Lovelace," in mail.text
    assert "Reference: TR-2024-0042" in mail.text
    assert "((" not in mail.text
    assert mail.html is not None and "Ada Lovelace" in mail.html and "((" not in mail.html

    notification = wait_for_status(live, notification_id, {"delivered"})
    assert NOTIFICATION_KEYS <= set(notification)
    assert notification["id"] == notification_id
    assert notification["type"] == "email"
    assert notification["reference"] == reference
    assert notification["email_address"] == RECIPIENT
    assert notification["phone_number"] is None
    assert notification["line_1"] is None
    assert notification["subject"] == "Your tax return TR-2024-0042"
    assert notification["body"] == content["body"]
    assert notification["template"]["id"] == demo["templates"]["email"]
    assert notification["template"]["version"] == template["version"]
    created = parse_time(notification["created_at"])
    assert notification["sent_at"] is not None and parse_time(notification["sent_at"]) >= created
    assert notification["completed_at"] is not None and parse_time(notification["completed_at"]) >= created

    assert len(smtp_sink.for_notification(notification_id)) == 1


def test_team_key_sends_to_a_team_member(team, demo, templates, smtp_sink):
    values = personalisation_for(templates["email"], name="Team Member", reference="TEAM-1")
    response = team.send_email_notification(
        email_address=demo["team_email"], template_id=demo["templates"]["email"], personalisation=values
    )
    assert response["reference"] is None
    mail = smtp_sink.wait_for_notification(response["id"])
    assert mail.rcpt_tos == (demo["team_email"],)
    assert mail.subject == "Your tax return TEAM-1"
    wait_for_status(team, response["id"], {"delivered"})


def test_test_key_reports_delivered_without_sending(test_key, live, demo, templates, smtp_sink):
    """Notify: with a test key, nothing is sent and every message comes back `delivered`."""
    values = personalisation_for(templates["email"], name="Nobody", reference="TEST-1")
    response = test_key.send_email_notification(
        email_address="nobody@example.com", template_id=demo["templates"]["email"], personalisation=values
    )
    notification = wait_for_status(test_key, response["id"], {"delivered"})
    assert notification["email_address"] == "nobody@example.com"
    time.sleep(1)
    assert smtp_sink.for_notification(response["id"]) == []
