"""A headless Chromium (the system's, driven by Playwright) that walks Publica's sign-in pages
the way a person does, and a tiny relying-party web server that receives the redirects and
back-channel logout calls a client application would."""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyotp
from playwright.sync_api import Browser, Page, sync_playwright


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("no Chromium: install the `chromium` package (scripts/test does)")
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


class RelyingParty:
    """Listens on a fixed local port (the demo clients' registered redirect URIs): records each
    callback's query and each back-channel logout token, and answers a plain page."""

    def __init__(self, port: int):
        self.port = port
        self.callbacks: list[dict[str, str]] = []
        self.logout_tokens: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._arrived = threading.Condition()

    def start(self) -> RelyingParty:
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (the standard library's hook name)
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/callback":
                    with rp._arrived:
                        rp.callbacks.append(dict(urllib.parse.parse_qsl(url.query)))
                        rp._arrived.notify_all()
                self._answer(200, b"<!doctype html><title>Relying party</title><h1>Back at the service</h1>")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if urllib.parse.urlsplit(self.path).path == "/backchannel-logout":
                    form = dict(urllib.parse.parse_qsl(body))
                    with rp._arrived:
                        rp.logout_tokens.append(form.get("logout_token", ""))
                        rp._arrived.notify_all()
                    self._answer(200, b"")
                else:
                    self._answer(404, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def wait_logout_token(self, count: int, timeout: float = 30.0) -> str:
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.logout_tokens) >= count, timeout):
                raise AssertionError(f"no back-channel logout call arrived within {timeout} s")
            return self.logout_tokens[count - 1]


def submit(page: Page, fields: dict[str, str], button: str | None = None) -> None:
    """Fill a form's fields by name and press its submit button (or the named one)."""
    for name, value in fields.items():
        page.fill(f"main [name='{name}']", value)
    first = next(iter(fields), None)
    form = page.locator(f"main form:has([name='{first}'])") if first else page.locator("main form").first
    target = form.locator(button) if button else form.locator("button[type=submit], input[type=submit]").first
    with page.expect_navigation():
        target.click()


_LAST_STEP: dict[str, int] = {}


def fresh_totp(secret: str) -> str:
    """A TOTP code not used before: the provider accepts each time step once, so a second
    sign-in within the same 30 seconds waits for the next step."""
    totp = pyotp.TOTP(secret)
    step = int(time.time()) // totp.interval
    if _LAST_STEP.get(secret, -1) >= step:
        time.sleep(totp.interval - time.time() % totp.interval + 0.2)
        step = int(time.time()) // totp.interval
    _LAST_STEP[secret] = step
    return totp.now()


def walk_sign_in(
    page: Page,
    account: dict,
    *,
    until: str,
    consent: bool = True,
    proofing: dict | None = None,
    max_steps: int = 12,
) -> str:
    """From wherever the provider sent the browser, go through sign-in, MFA, proofing and consent
    pages until the URL starts with `until`; returns that URL."""
    for _ in range(max_steps):
        if page.url.startswith(until):
            return page.url
        path = urllib.parse.urlsplit(page.url).path
        if path == "/identity/sign-in":
            if page.locator("main [name='password']").count() == 0:
                raise AssertionError(f"sign-in page without a password field: {page.content()[:2000]}")
            fields = {"password": account["password"]}
            if page.locator("main [name='email']").count() and not page.input_value("main [name='email']"):
                fields = {"email": account["email"], **fields}
            elif page.locator("main [name='email']").count():
                page.fill("main [name='email']", account["email"])
            submit(page, fields)
        elif path == "/identity/sign-in/mfa":
            submit(page, {"code": fresh_totp(account["totp_secret"])})
        elif path == "/identity/proofing":
            if proofing is None:
                raise AssertionError("the provider asked for identity proofing the test did not expect")
            submit(page, proofing)
        elif path.startswith("/identity/consent/"):
            value = "allow" if consent else "deny"
            with page.expect_navigation():
                page.click(f"main button[name='decision'][value='{value}']")
        else:
            raise AssertionError(f"unexpected page {page.url}: {page.inner_text('main')[:1000]}")
    raise AssertionError(f"did not reach {until} in {max_steps} steps; last page {page.url}")
