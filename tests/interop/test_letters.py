"""Letters: from a template and precompiled (a PDF built here), their statuses and their PDFs."""

from __future__ import annotations

import io
import uuid

from notifications_python_client.errors import HTTPError

from harness.notify import NOTIFICATION_KEYS, eventually, fill, personalisation_for, wait_for_status
from harness.pdf import minimal_pdf

ADDRESS = {
    "address_line_1": "The Occupier",
    "address_line_2": "10 Downing Street",
    "address_line_3": "London",
    "address_line_4": "SW1A 2AA",
}
# Notify shows a letter as `accepted` until the printer has dispatched it, then `received`.
LETTER_STATUSES = {"accepted", "received"}


def pdf_when_ready(api, notification_id: str, timeout: float = 60.0) -> bytes:
    """`get_pdf_for_letter`, retried while Notify's answer is 400 PDFNotReadyError."""

    def attempt() -> bytes | None:
        try:
            return api.get_pdf_for_letter(notification_id).read()
        except HTTPError as e:
            if e.status_code == 400 and e.message == [
                {"error": "PDFNotReadyError", "message": "PDF not available yet, try again later"}
            ]:
                return None
            raise

    return eventually(attempt, timeout, f"the PDF of letter {notification_id}", interval=0.5)


def test_templated_letter_is_accepted_and_has_a_pdf(live, demo, templates):
    template = templates["letter"]
    reference = f"letter-{uuid.uuid4()}"
    values = personalisation_for(template, name="Ada Lovelace", reference="TR-77", **ADDRESS)

    response = live.send_letter_notification(
        template_id=demo["templates"]["letter"], personalisation=values, reference=reference
    )

    notification_id = response["id"]
    assert {"id", "reference", "content", "uri", "template", "scheduled_for"} <= set(response)
    assert response["reference"] == reference
    assert response["content"]["subject"] == "Your tax return TR-77"
    assert response["content"]["body"].strip() == fill(template["body"], values).strip()
    assert "Dear Ada Lovelace," in response["content"]["body"]
    assert response["uri"].endswith(f"/v2/notifications/{notification_id}")
    assert response["template"]["id"] == demo["templates"]["letter"]

    notification = live.get_notification_by_id(notification_id)
    assert NOTIFICATION_KEYS <= set(notification)
    assert notification["status"] in LETTER_STATUSES
    assert notification["type"] == "letter"
    assert notification["reference"] == reference
    assert notification["line_1"] == "The Occupier"
    assert notification["email_address"] is None and notification["phone_number"] is None
    assert notification["subject"] == "Your tax return TR-77"

    pdf = pdf_when_ready(live, notification_id)
    assert pdf.startswith(b"%PDF")
    assert live.get_notification_by_id(notification_id)["status"] in LETTER_STATUSES


def test_precompiled_letter_is_accepted_and_its_pdf_served(live):
    reference = f"precompiled-{uuid.uuid4()}"
    pdf = minimal_pdf(list(ADDRESS.values()), ["Dear Ada Lovelace,", "Your tax return is attached."])

    response = live.send_precompiled_letter_notification(reference=reference, pdf_file=io.BytesIO(pdf), postage="first")

    notification_id = response["id"]
    assert str(uuid.UUID(notification_id)) == notification_id
    assert response["reference"] == reference
    assert response["postage"] == "first"

    # pending-virus-check → accepted (→ received), as Notify reports precompiled letters.
    first = live.get_notification_by_id(notification_id)
    assert first["status"] in {"pending-virus-check"} | LETTER_STATUSES, first
    assert first["type"] == "letter"
    assert first["reference"] == reference
    wait_for_status(live, notification_id, LETTER_STATUSES, timeout=60)

    served = pdf_when_ready(live, notification_id)
    assert served.startswith(b"%PDF")
