"""Checks of the harness itself (no server needed): the sinks, the PDF, the JWT, the placeholder helpers."""

from __future__ import annotations

import io
import json
import math
import smtplib
import socket
import threading
import time
import uuid
from email.message import EmailMessage

import jwt
import pypdf
import requests
from notifications_python_client.authentication import decode_jwt_token

from harness.notify import auth_headers, fill, other_phone, placeholders
from harness.pdf import minimal_pdf
from harness.sms_sink import SmsSink
from harness.smtp_sink import SmtpSink


def _email(notification_id: str, subject: str = "Your tax return TR-1") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "tax@notify.demoland.example"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{notification_id}@notify.demoland.example>"
    message.set_content("Dear Ada,\n\nReference: TR-1\n")
    message.add_alternative("<p>Dear Ada,</p>", subtype="html")
    return message


def test_smtp_sink_records_and_parses_messages():
    sink = SmtpSink().start()
    try:
        ids = [str(uuid.uuid4()) for _ in range(30)]
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            for notification_id in ids:  # more than aiosmtpd's default per-connection command limit
                smtp.send_message(_email(notification_id, subject="Votre déclaration TR-1"))
        assert sink.count() == 30
        first = sink.wait_for_notification(ids[0], timeout=1)
        assert first.notification_id == ids[0]
        assert first.subject == "Votre déclaration TR-1"
        assert "Dear Ada," in first.text and "Reference: TR-1" in first.text
        assert first.html is not None and "<p>Dear Ada,</p>" in first.html
        assert first.rcpt_tos == ("ada@example.com",)
        assert sink.id_counts() == {i: 1 for i in ids}
    finally:
        sink.stop()


def test_smtp_sink_throttle_holds_replies_and_drops_abandoned_messages():
    sink = SmtpSink().start()
    try:
        sink.throttle(lambda: 1)
        with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
            smtp.send_message(_email(str(uuid.uuid4())))
        assert sink.count() == 1

        # A client that sends a whole message but goes away before the (held) reply: not recorded.
        raw = _email(str(uuid.uuid4())).as_bytes().replace(b"\n", b"\r\n")
        with socket.create_connection(("127.0.0.1", sink.port), timeout=10) as s:
            reader = s.makefile("rb")
            reader.readline()
            for command in (b"EHLO test", b"MAIL FROM:<a@example.com>", b"RCPT TO:<b@example.com>", b"DATA"):
                s.sendall(command + b"\r\n")
                while True:
                    line = reader.readline()
                    if line[3:4] != b"-":
                        break
            s.sendall(raw + b"\r\n.\r\n")
            time.sleep(0.3)
            reader.close()
            s.shutdown(socket.SHUT_RDWR)
        time.sleep(0.3)
        assert sink.count() == 1

        # A held client is answered once the throttle lets it through.
        held_id = str(uuid.uuid4())
        done = threading.Event()

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as smtp:
                smtp.send_message(_email(held_id))
            done.set()

        threading.Thread(target=send, daemon=True).start()
        assert not done.wait(0.5)
        sink.throttle(lambda: math.inf)
        assert done.wait(5)
        assert sink.count() == 2
        assert sink.for_notification(held_id)
    finally:
        sink.stop()


def test_sms_sink_checks_the_token_and_records():
    sink = SmsSink(token="s3cret").start()
    try:
        payload = {"id": str(uuid.uuid4()), "to": "+447700900001", "body": "Hello", "sender": "Demoland"}
        headers = {"Authorization": "Bearer s3cret", "Idempotency-Key": payload["id"]}
        ok = requests.post(sink.url, json=payload, headers=headers, timeout=5)
        assert ok.status_code == 200
        reference = ok.json()["reference"]
        message = sink.wait_for_notification(payload["id"], timeout=1)
        assert (message.to, message.body, message.sender, message.reference, message.idempotency_key) == (
            "+447700900001", "Hello", "Demoland", reference, payload["id"],
        )  # fmt: skip

        again = requests.post(sink.url, json=payload, headers={"Authorization": "Bearer s3cret"}, timeout=5)
        assert again.json() == {"reference": reference}
        assert sink.repeats == {payload["id"]: 1}

        bad = requests.post(sink.url, json=payload, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert bad.status_code == 401
        missing = requests.post(
            sink.url, data=json.dumps({"to": "1"}), headers={"Authorization": "Bearer s3cret"}, timeout=5
        )
        assert missing.status_code == 400
        assert [status for status, _ in sink.refused] == [401, 400]
        assert len(sink.messages()) == 1
    finally:
        sink.stop()


def test_minimal_pdf_is_a_valid_a4_pdf():
    data = minimal_pdf(["The Occupier", "1 High Street (rear)", "SW1A 1AA"], ["Dear Ada,"])
    assert data.startswith(b"%PDF-1.4")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = reader.pages[0].extract_text()
    for line in ("The Occupier", "1 High Street (rear)", "SW1A 1AA", "Dear Ada,"):
        assert line in text


def test_jwt_is_the_official_clients():
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    headers = auth_headers(f"my_key-{service_id}-{secret}")
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["iss"] == service_id
    assert abs(claims["iat"] - time.time()) < 5
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256"}
    assert decode_jwt_token(token, secret) is True


def test_placeholder_helpers():
    assert placeholders("Your tax return ((reference))", "Dear ((name)), ((reference)) ((extra??shown))") == [
        "reference",
        "name",
        "extra",
    ]
    assert fill("Dear ((name)), ref ((reference)).", {"name": "Ada", "reference": "R1"}) == "Dear Ada, ref R1."
    assert other_phone("+447700900123") == "+447700900121"
    assert other_phone("07700 900121") == "07700 900122"
