"""Fixtures: one `publica serve --demo` for the session, wired to an SMTP sink and an SMS sink,
and official GOV.UK Notify clients holding the demo service's live, team and test keys.

Environment: `PUBLICA_BIN` (default `target/debug/publica`), `PUBLICA_INTEROP_BACKEND`
(`sqlite`, the default, or `postgres`, which needs `PUBLICA_TEST_POSTGRES`, an admin URL on
which fresh `interop_<random>` databases are made and dropped)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from harness import SUMMARY
from harness.notify import client
from harness.server import Backend, Postgres, PublicaServer, publica_binary
from harness.sms_sink import SmsSink
from harness.smtp_sink import SmtpSink


def backend_name() -> str:
    name = os.environ.get("PUBLICA_INTEROP_BACKEND", "sqlite")
    if name not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"PUBLICA_INTEROP_BACKEND must be sqlite or postgres, not {name!r}")
    return name


def pytest_configure(config: pytest.Config) -> None:
    if backend_name() == "postgres" and not os.environ.get("PUBLICA_TEST_POSTGRES"):
        raise pytest.UsageError("PUBLICA_INTEROP_BACKEND=postgres needs PUBLICA_TEST_POSTGRES (an admin URL)")


def pytest_report_header(config: pytest.Config) -> str:
    return f"publica interop: backend={backend_name()}, binary={os.environ.get('PUBLICA_BIN', 'target/debug/publica')}"


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.write_sep("-", "publica interop")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres | None]:
    if backend_name() != "postgres":
        yield None
        return
    pg = Postgres(os.environ["PUBLICA_TEST_POSTGRES"])
    yield pg
    pg.drop_all()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def sms_sink() -> Iterator[SmsSink]:
    sink = SmsSink(token=secrets.token_urlsafe(24)).start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def make_server(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres | None, sms_sink: SmsSink
) -> Iterator[Callable[..., PublicaServer]]:
    """Make a (not yet started) server with a fresh data directory and, on PostgreSQL, a fresh
    database: `make(name, smtp_sink, extra_env=None)`."""
    publica_binary()
    servers: list[PublicaServer] = []

    def make(name: str, smtp: SmtpSink, extra_env: dict[str, str] | None = None) -> PublicaServer:
        backend = Backend(
            data_dir=tmp_path_factory.mktemp(name),
            database_url=postgres.create_database() if postgres else None,
        )
        env = {
            "PUBLICA_NOTIFY__SMTP_URL": smtp.url,
            "PUBLICA_NOTIFY__SMS__URL": sms_sink.url,
            "PUBLICA_NOTIFY__SMS__TOKEN": sms_sink.token,
            **(extra_env or {}),
        }
        server = PublicaServer(backend, env, tmp_path_factory.getbasetemp() / f"{name}.log")
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def publica(make_server, smtp_sink: SmtpSink) -> Iterator[PublicaServer]:
    server = make_server("publica", smtp_sink)
    server.start()
    SUMMARY.append(f"server ({server.backend.name}) log: {server.log_path}")
    yield server
    if not server.running():
        SUMMARY.append(f"the server exited during the run (code {server.proc.returncode if server.proc else None})")


@pytest.fixture(scope="session")
def demo(publica: PublicaServer) -> dict:
    """The demo Notify service: `service_id`, `api_keys`, `templates`, `team_email`, `team_phone`."""
    return publica.credentials()


@pytest.fixture(scope="session")
def live(publica: PublicaServer, demo: dict) -> NotificationsAPIClient:
    return client(demo["api_keys"]["live"], publica.base_url)


@pytest.fixture(scope="session")
def team(publica: PublicaServer, demo: dict) -> NotificationsAPIClient:
    return client(demo["api_keys"]["team"], publica.base_url)


@pytest.fixture(scope="session")
def test_key(publica: PublicaServer, demo: dict) -> NotificationsAPIClient:
    return client(demo["api_keys"]["test"], publica.base_url)


@pytest.fixture(scope="session")
def templates(live: NotificationsAPIClient, demo: dict) -> dict[str, dict]:
    """The demo templates as `get_template` returns them, by type."""
    return {kind: live.get_template(demo["templates"][kind]) for kind in ("email", "sms", "letter")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests last, so that the quick ones report first."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is not None)
