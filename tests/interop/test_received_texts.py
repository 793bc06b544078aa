"""Received text messages: a text posted by the SMS gateway is listed by the official client."""

from __future__ import annotations

import uuid

import requests

RECEIVED_KEYS = {"id", "user_number", "notify_number", "created_at", "service_id", "content"}


def test_received_texts_page_shape(live, demo):
    page = live.get_received_texts()
    assert set(page) == {"received_text_messages", "links"}
    assert isinstance(page["received_text_messages"], list)
    assert isinstance(page["links"]["current"], str)
    for message in page["received_text_messages"]:
        assert RECEIVED_KEYS <= set(message)
        assert message["service_id"] == demo["service_id"]
    on_page = [m["id"] for m in page["received_text_messages"]]
    listed = [m["id"] for m in live.get_received_texts_iterator()]
    assert listed[: len(on_page)] == on_page


def test_inbound_message_is_listed(publica, sms_sink, live, demo):
    text = f"STOP {uuid.uuid4()}"
    response = requests.post(
        f"{publica.base_url}/notify/providers/sms/inbound",
        headers={"Authorization": f"Bearer {sms_sink.token}"},
        json={"to": demo["inbound_number"], "from": "+447700900321", "body": text, "reference": "gw-in-1"},
        timeout=10,
    )
    assert response.status_code == 204, response.text
    forged = requests.post(
        f"{publica.base_url}/notify/providers/sms/inbound",
        headers={"Authorization": "Bearer not-the-token"},
        json={"to": demo["inbound_number"], "from": "+447700900321", "body": "x"},
        timeout=10,
    )
    assert forged.status_code == 401, forged.text
    messages = live.get_received_texts()["received_text_messages"]
    mine = [m for m in messages if m["content"] == text]
    assert len(mine) == 1, messages
    assert mine[0]["user_number"] == "447700900321"
    assert mine[0]["notify_number"] == demo["inbound_number"]
    assert mine[0]["service_id"] == demo["service_id"]
