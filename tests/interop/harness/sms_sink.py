"""An HTTP SMS provider (stdlib `http.server`) that records what Publica posts and sends receipts back."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

RECEIPTS_PATH = "/notify/providers/sms/receipts"


@dataclass(frozen=True)
class ReceivedSms:
    id: str
    to: str
    body: str
    sender: str | None
    reference: str
    idempotency_key: str | None
    payload: dict = field(repr=False)
    received_at: float = 0.0


class SmsSink:
    """`POST /sms` with `Authorization: Bearer <token>` and JSON `{id, to, body, sender}`;
    answers 200 `{"reference": "<unique>"}`. Anything else is refused and counted in `refused`.
    As docs/notify-providers.md asks of a gateway, `id` is an idempotency key: the same id again
    gets the first answer, sends nothing, and is counted in `repeats`."""

    def __init__(self, token: str):
        self.token = token
        self._lock = threading.Lock()
        self._messages: list[ReceivedSms] = []
        self._by_id: dict[str, ReceivedSms] = {}
        self.repeats: dict[str, int] = {}
        self.refused: list[tuple[int, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def start(self) -> SmsSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 (the stdlib's signature)
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802 (the stdlib's hook name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path != "/sms":
                    sink._refuse(404, f"path {self.path}")
                    return self._answer(404, {"error": "not found"})
                if self.headers.get("Authorization") != f"Bearer {sink.token}":
                    sink._refuse(401, f"Authorization: {self.headers.get('Authorization')!r}")
                    return self._answer(401, {"error": "unauthorized"})
                try:
                    payload = json.loads(raw)
                    message = ReceivedSms(
                        id=str(payload["id"]).lower(),
                        to=str(payload["to"]),
                        body=str(payload["body"]),
                        sender=payload.get("sender"),
                        reference=f"sink-{uuid.uuid4()}",
                        idempotency_key=self.headers.get("Idempotency-Key"),
                        payload=payload,
                        received_at=time.time(),
                    )
                except (ValueError, KeyError, TypeError) as e:
                    sink._refuse(400, f"{e!r}: {raw[:200]!r}")
                    return self._answer(400, {"error": "bad request"})
                return self._answer(200, {"reference": sink._record(message).reference})

        return Handler

    def _refuse(self, status: int, why: str) -> None:
        with self._lock:
            self.refused.append((status, why))

    def _record(self, message: ReceivedSms) -> ReceivedSms:
        """Keep a first message; for a repeated id, count it and return the first one."""
        with self._lock:
            first = self._by_id.get(message.id)
            if first is not None:
                self.repeats[message.id] = self.repeats.get(message.id, 0) + 1
                return first
            self._by_id[message.id] = message
            self._messages.append(message)
            return message

    def messages(self) -> list[ReceivedSms]:
        with self._lock:
            return list(self._messages)

    def for_notification(self, notification_id: str) -> list[ReceivedSms]:
        wanted = notification_id.lower()
        return [m for m in self.messages() if m.id == wanted]

    def wait_for_notification(self, notification_id: str, timeout: float = 30.0) -> ReceivedSms:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.for_notification(notification_id)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(
            f"no SMS for notification {notification_id} within {timeout}s "
            f"({len(self.messages())} arrived; refused: {self.refused[-3:]})"
        )

    def post_receipt(
        self, publica_base_url: str, reference: str, status: str = "delivered", token: str | None = None
    ) -> requests.Response:
        """Tell Publica what became of a message, as the provider would."""
        return requests.post(
            publica_base_url + RECEIPTS_PATH,
            json={"reference": reference, "status": status},
            headers={"Authorization": f"Bearer {token if token is not None else self.token}"},
            timeout=10,
        )
