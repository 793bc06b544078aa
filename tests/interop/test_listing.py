"""Listing notifications: filters, and paging with the client's iterator across more than one page."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from harness.notify import (
    NOTIFICATION_KEYS,
    client,
    eventually,
    other_phone,
    parse_time,
    personalisation_for,
    wait_for_status,
)
from harness.smtp_sink import UUID_RE

PAGE_SIZE = 250  # Notify's page size for GET /v2/notifications


def ids(page: dict) -> set[str]:
    return {n["id"] for n in page["notifications"]}


def test_filters_by_reference_type_and_status(live, publica, demo, templates, smtp_sink, sms_sink):
    reference = f"filters-{uuid.uuid4()}"
    email_id = live.send_email_notification(
        email_address="filters@example.com",
        template_id=demo["templates"]["email"],
        personalisation=personalisation_for(templates["email"], name="Filter", reference="F-1"),
        reference=reference,
    )["id"]
    sms_id = live.send_sms_notification(
        phone_number=other_phone(demo["team_phone"]),
        template_id=demo["templates"]["sms"],
        personalisation=personalisation_for(templates["sms"], name="Filter", code="123456"),
        reference=reference,
    )["id"]

    page = live.get_all_notifications(reference=reference)
    assert set(page) == {"notifications", "links"}
    assert isinstance(page["links"]["current"], str)
    assert ids(page) == {email_id, sms_id}
    for notification in page["notifications"]:
        assert NOTIFICATION_KEYS <= set(notification)
        assert notification["reference"] == reference

    assert ids(live.get_all_notifications(reference=reference, template_type="sms")) == {sms_id}
    assert ids(live.get_all_notifications(reference=reference, template_type="email")) == {email_id}
    assert ids(live.get_all_notifications(reference=reference, template_type="letter")) == set()

    # The email is delivered once the relay takes it; the text waits for the provider's receipt.
    wait_for_status(live, email_id, {"delivered"})
    sms = sms_sink.wait_for_notification(sms_id)
    wait_for_status(live, sms_id, {"sending"})
    assert ids(live.get_all_notifications(reference=reference, status="delivered")) == {email_id}
    assert ids(live.get_all_notifications(reference=reference, status="sending")) == {sms_id}

    assert sms_sink.post_receipt(publica.base_url, sms.reference).status_code in (200, 202, 204)
    eventually(
        lambda: ids(live.get_all_notifications(reference=reference, status="delivered")) == {email_id, sms_id},
        30,
        "both notifications listed as delivered",
    )
    assert ids(live.get_all_notifications(reference=reference, status="failed")) == set()
    assert ids(live.get_all_notifications(reference=reference, status="sending")) == set()


def test_iterator_pages_through_more_than_one_page(test_key, live, publica, demo, templates, smtp_sink):
    reference = f"paging-{uuid.uuid4()}"
    count = PAGE_SIZE + 10
    local = threading.local()

    def send(i: int) -> str:
        if not hasattr(local, "api"):  # the client is not thread-safe: one per thread
            local.api = client(demo["api_keys"]["test"], publica.base_url)
        return local.api.send_email_notification(
            email_address=f"paging-{i}@example.com",
            template_id=demo["templates"]["email"],
            personalisation=personalisation_for(templates["email"], name=f"Citizen {i}", reference=f"P-{i}"),
            reference=reference,
        )["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        sent = list(pool.map(send, range(count)))
    assert len(set(sent)) == count

    first = test_key.get_all_notifications(reference=reference)
    assert len(first["notifications"]) == PAGE_SIZE
    created = [parse_time(n["created_at"]) for n in first["notifications"]]
    assert created == sorted(created, reverse=True), "newest first"
    next_link = first["links"]["next"]
    assert UUID_RE.search(next_link).group(0) == first["notifications"][-1]["id"]
    assert re.search(r"older_than=", next_link), next_link

    listed = [n["id"] for n in test_key.get_all_notifications_iterator(reference=reference)]
    assert len(listed) == count, f"{len(listed)} listed, {len(set(listed))} distinct"
    assert set(listed) == set(sent)

    everything = {n["id"] for n in test_key.get_all_notifications_iterator()}
    assert set(sent) <= everything

    # Notify lists only what was sent with the same type of key.
    assert live.get_all_notifications(reference=reference)["notifications"] == []

    # A test key never sends.
    assert not any(smtp_sink.for_notification(i) for i in sent)
