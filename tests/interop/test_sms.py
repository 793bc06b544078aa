"""Text messages: sent with the official client, posted to the SMS provider, `delivered` after its receipt."""

from __future__ import annotations

import re
import time
import uuid

import requests

from harness.notify import NOTIFICATION_KEYS, digits, fill, other_phone, personalisation_for, wait_for_status
from harness.sms_sink import RECEIPTS_PATH


def _values(template: dict, name: str, code: str) -> dict[str, str]:
    return personalisation_for(template, name=name, code=code)


def test_send_sms_then_receipt_marks_it_delivered(live, publica, demo, templates, sms_sink):
    template = templates["sms"]
    phone = other_phone(demo["team_phone"])
    reference = f"sms-{uuid.uuid4()}"
    values = _values(template, "Ada", "481516")
    expected = fill(template["body"], values)
    assert expected.startswith("Demoland Tax Office: Ada, your code is 481516.")

    response = live.send_sms_notification(
        phone_number=phone, template_id=demo["templates"]["sms"], personalisation=values, reference=reference
    )

    notification_id = response["id"]
    assert {"id", "reference", "content", "uri", "template", "scheduled_for"} <= set(response)
    assert response["reference"] == reference
    assert response["content"]["body"] == expected
    assert "from_number" in response["content"]
    assert response["uri"].endswith(f"/v2/notifications/{notification_id}")
    assert response["template"]["id"] == demo["templates"]["sms"]
    assert response["template"]["version"] == template["version"]

    sms = sms_sink.wait_for_notification(notification_id)
    assert expected in sms.body
    assert re.fullmatch(r"\+[0-9]{7,15}", sms.to), sms.to
    assert digits(sms.to)[-9:] == digits(phone)[-9:]
    assert sms.idempotency_key == notification_id
    if response["content"]["from_number"] is not None:
        assert sms.sender == response["content"]["from_number"]

    # Handed to the provider, no receipt yet: `sending`, not `delivered`.
    wait_for_status(live, notification_id, {"sending"})
    time.sleep(0.5)
    assert live.get_notification_by_id(notification_id)["status"] == "sending"

    receipt = sms_sink.post_receipt(publica.base_url, sms.reference)
    assert receipt.status_code in (200, 202, 204), receipt.text

    notification = wait_for_status(live, notification_id, {"delivered"})
    assert NOTIFICATION_KEYS <= set(notification)
    assert notification["type"] == "sms"
    assert notification["reference"] == reference
    assert digits(notification["phone_number"])[-9:] == digits(phone)[-9:]
    assert notification["email_address"] is None
    assert notification["body"] == expected
    assert notification["completed_at"] is not None
    assert len(sms_sink.for_notification(notification_id)) == 1


def test_forged_or_malformed_receipts_are_refused(live, publica, demo, templates, sms_sink):
    response = live.send_sms_notification(
        phone_number=other_phone(demo["team_phone"]),
        template_id=demo["templates"]["sms"],
        personalisation=_values(templates["sms"], "Eve", "000000"),
    )
    sms = sms_sink.wait_for_notification(response["id"])
    wait_for_status(live, response["id"], {"sending"})

    forged = sms_sink.post_receipt(publica.base_url, sms.reference, token="not-the-provider")
    assert forged.status_code == 401, forged.text
    junk = requests.post(
        publica.base_url + RECEIPTS_PATH,
        data="delivered",
        headers={"Authorization": f"Bearer {sms_sink.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert junk.status_code == 400, junk.text
    time.sleep(0.5)
    assert live.get_notification_by_id(response["id"])["status"] == "sending"


def test_team_key_sends_to_the_team_phone(team, demo, templates, sms_sink):
    values = _values(templates["sms"], "Team", "111111")
    response = team.send_sms_notification(
        phone_number=demo["team_phone"], template_id=demo["templates"]["sms"], personalisation=values
    )
    sms = sms_sink.wait_for_notification(response["id"])
    assert fill(templates["sms"]["body"], values) in sms.body
