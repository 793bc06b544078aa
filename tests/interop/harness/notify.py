"""Helpers for speaking to a Notify API through the official client: errors, polling, placeholders."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from notifications_python_client.authentication import create_jwt_token
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

T = TypeVar("T")

# Every key of a notification as `GET /v2/notifications/{id}` returns it (the client's own schema).
NOTIFICATION_KEYS = {
    "id", "reference", "email_address", "phone_number",
    "line_1", "line_2", "line_3", "line_4", "line_5", "line_6", "postcode",
    "type", "status", "template", "body", "subject", "created_at", "sent_at", "completed_at",
}  # fmt: skip
TEMPLATE_KEYS = {"id", "name", "type", "created_at", "updated_at", "version", "created_by", "body", "subject"}
FAILED = {"permanent-failure", "temporary-failure", "technical-failure", "validation-failed", "virus-scan-failed"}
PLACEHOLDER = re.compile(r"\(\(([^)?]+)(?:\?\?[^)]*)?\)\)")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def client(api_key: str, base_url: str) -> NotificationsAPIClient:
    return NotificationsAPIClient(api_key, base_url=base_url)


def auth_headers(api_key: str) -> dict[str, str]:
    """The headers the official client sends, with a JWT the official client makes."""
    service_id, secret = api_key[-73:-37], api_key[-36:]
    return {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {create_jwt_token(secret, service_id)}",
    }


def assert_notify_error(error: BaseException, status: int, kind: str, message: str) -> None:
    """`error` is the client's HTTPError carrying exactly Notify's envelope:
    `{"status_code": status, "errors": [{"error": kind, "message": message}]}`."""
    assert isinstance(error, HTTPError), f"expected HTTPError, got {type(error).__name__}: {error}"
    body = error.response.json() if error.response is not None else None
    assert error.status_code == status, f"status {error.status_code}, body {body}"
    assert error.message == [{"error": kind, "message": message}], f"body {body}"
    assert body.get("status_code") == status, f"body {body}"


def eventually(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Call `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def wait_for_status(api: NotificationsAPIClient, notification_id: str, wanted: set[str], timeout: float = 30.0) -> dict:
    """Poll `get_notification_by_id` until its status is in `wanted`; a failure status fails at once."""
    seen: list[str] = []

    def check() -> dict | None:
        notification = api.get_notification_by_id(notification_id)
        status = notification["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in FAILED and status not in wanted:
            raise AssertionError(f"notification {notification_id} failed: {notification}")
        return notification if status in wanted else None

    try:
        return eventually(check, timeout, f"status in {sorted(wanted)}", interval=0.2)
    except AssertionError as e:
        raise AssertionError(f"{e}; statuses seen: {seen}") from None


def placeholders(*texts: str | None) -> list[str]:
    """The placeholder names in template texts, in order of first appearance."""
    names: list[str] = []
    for text in texts:
        for name in PLACEHOLDER.findall(text or ""):
            if name.strip() not in names:
                names.append(name.strip())
    return names


def personalisation_for(template: dict, **values: str) -> dict[str, str]:
    """`values`, plus a plain value for any other placeholder the template has."""
    filled = dict(values)
    for name in placeholders(template.get("subject"), template.get("body")):
        filled.setdefault(name, f"value of {name}")
    return filled


def fill(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values[m.group(1).strip()], text)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def other_phone(phone: str) -> str:
    """A number of the same shape as `phone` that differs in its last digit."""
    last = phone.rstrip()[-1]
    return phone.rstrip()[:-1] + ("1" if last != "1" else "2")
