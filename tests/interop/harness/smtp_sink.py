"""An SMTP server (aiosmtpd) that records every message it accepts, keyed by notification id."""

from __future__ import annotations

import asyncio
import email
import email.policy
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    received_at: float

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    @property
    def notification_id(self) -> str | None:
        match = UUID_RE.search(self.message_id)
        return match.group(0).lower() if match else None

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    def _part(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        return None if part is None else str(part.get_content())

    @property
    def text(self) -> str:
        """The plain-text body."""
        return self._part("plain") or ""

    @property
    def html(self) -> str | None:
        return self._part("html")


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        # Hold the reply while the sink is throttled. If the client goes away meanwhile, aiosmtpd
        # cancels this coroutine and the message is not recorded: no 250 was ever sent for it.
        while self.sink.count() >= self.sink.admit_limit():
            await asyncio.sleep(0.005)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.sink._record(
            ReceivedEmail(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                message=message,  # type: ignore[arg-type]
                received_at=time.time(),
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """Listens on 127.0.0.1 (random port) in a thread of its own; `url` is `smtp://127.0.0.1:PORT`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[ReceivedEmail] = []
        self._limit: Callable[[], float] = lambda: math.inf
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def start(self) -> SmtpSink:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self._server = future.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self) -> asyncio.base_events.Server:
        handler = _Handler(self)

        def protocol() -> SMTP:
            return SMTP(
                handler,
                hostname="sink.interop.test",
                enable_SMTPUTF8=True,
                data_size_limit=None,
                loop=self._loop,
            )

        return await self._loop.create_server(protocol, host="127.0.0.1", port=0)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    # --- throttling --------------------------------------------------------------------------

    def throttle(self, limit: Callable[[], float] | None) -> None:
        """Hold each reply to DATA while `count() >= limit()`; `None` lets everything through."""
        self._limit = limit or (lambda: math.inf)

    def admit_limit(self) -> float:
        return self._limit()

    # --- what arrived -------------------------------------------------------------------------

    def _record(self, message: ReceivedEmail) -> None:
        with self._lock:
            self._messages.append(message)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def messages(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._messages)

    def for_notification(self, notification_id: str) -> list[ReceivedEmail]:
        wanted = notification_id.lower()
        return [m for m in self.messages() if m.notification_id == wanted]

    def id_counts(self) -> Counter[str]:
        """How many times each notification id arrived."""
        return Counter(m.notification_id for m in self.messages() if m.notification_id)

    def wait_for_notification(self, notification_id: str, timeout: float = 30.0) -> ReceivedEmail:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.for_notification(notification_id)
            if found:
                return found[0]
            time.sleep(0.05)
        seen = [m.message_id for m in self.messages()[-5:]]
        raise AssertionError(
            f"no email with notification id {notification_id} in its Message-ID within {timeout}s "
            f"({self.count()} messages arrived; last Message-IDs: {seen})"
        )
