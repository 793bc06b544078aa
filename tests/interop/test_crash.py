"""Crash test: 10,000 emails accepted through the official client, the server SIGKILLed while they are
being delivered, restarted on the same data: every email arrives, and at most 0.1% arrive twice.

The SMTP sink holds its reply to DATA so that delivery cannot finish before the kill: while the
emails are being accepted it lets through at most half of those accepted so far, then up to 60% of
all; the server is killed as soon as 60% have arrived, with deliveries in flight. A message whose
reply was still held when the connection dropped is not counted (no 250 was ever sent for it).

`PUBLICA_INTEROP_CRASH_COUNT` (default 10000) and `PUBLICA_INTEROP_CRASH_TIMEOUT` (seconds allowed
for every email to arrive after the restart, default 600) tune it."""

from __future__ import annotations

import math
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from notifications_python_client.errors import HTTPError

from harness import SUMMARY
from harness.notify import client, eventually, personalisation_for
from harness.smtp_sink import SmtpSink

COUNT = int(os.environ.get("PUBLICA_INTEROP_CRASH_COUNT", "10000"))
REDELIVERY_TIMEOUT = float(os.environ.get("PUBLICA_INTEROP_CRASH_TIMEOUT", "600"))
ACCEPT_TIMEOUT = 600.0
KILL_AT = 0.6  # share of all emails that have arrived when the server is killed
MAX_DUPLICATES = 0.001


class Sender:
    """Sends the emails with the official client, one client per thread (it is not thread-safe)."""

    def __init__(self, api_key: str, base_url: str, template: dict, reference: str):
        self.api_key, self.base_url, self.template, self.reference = api_key, base_url, template, reference
        self.deadline = time.monotonic() + ACCEPT_TIMEOUT
        self.accepted = 0
        self.rate_limited = 0
        self._lock = threading.Lock()
        self._local = threading.local()

    def send(self, i: int) -> str:
        if not hasattr(self._local, "api"):
            self._local.api = client(self.api_key, self.base_url)
        values = personalisation_for(self.template, name=f"Citizen {i}", reference=f"CR-{i:05d}")
        while True:
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"accepting {COUNT} emails took more than {ACCEPT_TIMEOUT}s")
            try:
                notification_id = self._local.api.send_email_notification(
                    f"citizen-{i}@example.com", self.template["id"], values, reference=self.reference
                )["id"]
                break
            except HTTPError as e:
                # Notify's rate limit answers 429 RateLimitError: a well-behaved client waits and retries.
                if e.status_code == 429 and isinstance(e.message, list) and e.message[0]["error"] == "RateLimitError":
                    with self._lock:
                        self.rate_limited += 1
                    time.sleep(1)
                    continue
                raise
        with self._lock:
            self.accepted += 1
        return notification_id


@pytest.mark.slow
def test_no_email_is_lost_when_the_server_is_killed_mid_delivery(make_server):
    sink = SmtpSink().start()
    phase = {"accepting": True, "released": False}
    sender: Sender | None = None

    def limit() -> float:
        if phase["released"]:
            return math.inf
        if phase["accepting"]:
            return (sender.accepted if sender else 0) / 2
        return COUNT * KILL_AT

    sink.throttle(limit)
    # Notify's 3,000 requests a minute would make acceptance, not delivery, the long part.
    server = make_server("crash", sink, {"PUBLICA_NOTIFY__RATE_LIMIT_PER_MINUTE": "1000000"})
    try:
        server.start()
        creds = server.credentials()
        key = creds["api_keys"]["live"]
        template = client(key, server.base_url).get_template(creds["templates"]["email"])
        sender = Sender(key, server.base_url, template, reference=f"crash-{uuid.uuid4()}")

        started = time.monotonic()
        first = min(100, COUNT)
        sent = [sender.send(i) for i in range(first)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            sent += list(pool.map(sender.send, range(first, COUNT)))
        accept_seconds = time.monotonic() - started
        assert len(set(sent)) == COUNT
        phase["accepting"] = False

        ours = set(sent)

        def arrived() -> int:
            return sum(1 for i in sink.id_counts() if i in ours)

        stall = time.monotonic() + 120
        while sink.count() < COUNT * KILL_AT and time.monotonic() < stall and server.running():
            time.sleep(0.01)
        assert server.running(), f"the server died by itself:\n{server.tail()}"
        at_kill = arrived()
        assert at_kill > 0, "no email arrived within 120 s of the last one being accepted"
        assert at_kill < COUNT, "every email arrived before the kill; the crash was not exercised"
        server.kill()
        phase["released"] = True

        restart = time.monotonic()
        server.start()
        while arrived() < COUNT and time.monotonic() - restart < REDELIVERY_TIMEOUT and server.running():
            time.sleep(0.5)
        redelivery_seconds = time.monotonic() - restart

        counts = sink.id_counts()
        missing = [i for i in sent if counts[i] == 0]
        duplicates = sum(counts[i] - 1 for i in sent if counts[i] > 1)
        strangers = sorted(set(counts) - ours)
        SUMMARY.append(
            f"crash test ({server.backend.name}): {COUNT} accepted in {accept_seconds:.1f}s "
            f"({sender.rate_limited} rate-limited retries); killed with {at_kill} delivered; "
            f"{COUNT - len(missing)} delivered {redelivery_seconds:.1f}s after restart; missing {len(missing)}; "
            f"duplicates {duplicates} ({100 * duplicates / COUNT:.3f}%); other emails {len(strangers)}"
        )
        assert server.running(), f"the server died after the restart:\n{server.tail()}"
        assert not missing, (
            f"{len(missing)} emails did not arrive within {REDELIVERY_TIMEOUT}s of the restart, e.g. {missing[:5]}"
        )
        assert duplicates <= COUNT * MAX_DUPLICATES, f"{duplicates} duplicates (more than 0.1%)"

        # What arrived is what was sent, and the API reports it delivered.
        sample = random.Random(7).sample(range(COUNT), min(50, COUNT))
        for i in sample:
            [mail, *_] = sink.for_notification(sent[i])
            assert mail.subject == f"Your tax return CR-{i:05d}"
            assert f"Dear Citizen {i}," in mail.text
            assert mail.rcpt_tos == (f"citizen-{i}@example.com",)
        api = client(server.credentials()["api_keys"]["live"], server.base_url)
        for i in sample:
            notification_id = sent[i]
            eventually(
                lambda: api.get_notification_by_id(notification_id)["status"] == "delivered",  # noqa: B023
                60,
                f"notification {notification_id} reported delivered",
                interval=0.2,
            )
    finally:
        phase["released"] = True
        server.stop()
        sink.stop()
