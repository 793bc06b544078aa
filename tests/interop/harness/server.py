"""Runs `publica serve` as a child process and makes fresh PostgreSQL databases for it."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
LISTENING = re.compile(r"listening on http://([^\s\"]+)")


def publica_binary() -> Path:
    """The binary under test: `$PUBLICA_BIN`, else `target/debug/publica`, built when missing."""
    configured = os.environ.get("PUBLICA_BIN")
    path = Path(configured) if configured else REPO_ROOT / "target" / "debug" / "publica"
    if not path.exists():
        if configured:
            raise FileNotFoundError(f"PUBLICA_BIN={configured} does not exist")
        subprocess.run(["cargo", "build", "-p", "publica"], cwd=REPO_ROOT, check=True)
    return path


@dataclass
class Backend:
    """Where one server keeps its data: a data directory and, for PostgreSQL, a database."""

    data_dir: Path
    database_url: str | None = None

    @property
    def name(self) -> str:
        return "postgres" if self.database_url else "sqlite"

    def args(self) -> list[str]:
        args = ["--data", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    if not candidates:
        raise FileNotFoundError("psql not found; install postgresql-client")
    return candidates[-1]


class Postgres:
    """A PostgreSQL server reached through an admin URL, on which the tests make throwaway databases."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.created: list[str] = []

    def _run(self, sql: str) -> None:
        subprocess.run(
            [_psql(), self.admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def create_database(self) -> str:
        """Create `interop_<random>` and return its URL."""
        name = f"interop_{uuid.uuid4().hex[:16]}"
        self._run(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))

    def drop_all(self) -> None:
        for name in self.created:
            try:
                self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except subprocess.CalledProcessError:
                pass
        self.created.clear()


class ServerError(RuntimeError):
    pass


class PublicaServer:
    """One `publica serve --demo` process; its stderr (JSON logs) is copied to `log_path`."""

    def __init__(self, backend: Backend, env: dict[str, str], log_path: Path):
        self.backend = backend
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.address: str | None = None
        self._tail: deque[str] = deque(maxlen=40)
        self.starts = 0

    @property
    def base_url(self) -> str:
        if not self.address:
            raise ServerError("server not started")
        return f"http://{self.address}"

    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PUBLICA_")}
        env["PUBLICA_LOG__FORMAT"] = "json"
        env.update(self.env)
        return env

    def start(self, timeout: float = 120.0) -> None:
        """Start, wait for the `listening on` line, then for `GET /readyz` to answer 200."""
        if self.proc and self.proc.poll() is None:
            raise ServerError("already running")
        self.address = None
        self.starts += 1
        tail: deque[str] = deque(maxlen=40)
        self._tail = tail
        cmd = [str(publica_binary()), "serve", "--demo", "--listen", "127.0.0.1:0", *self.backend.args()]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self._child_env(),
        )
        found: list[str] = []
        listening = threading.Event()
        reader = threading.Thread(
            target=self._read_stderr, args=(self.proc, self.starts, tail, found, listening), daemon=True
        )
        reader.start()
        deadline = time.monotonic() + timeout
        listening.wait(timeout)
        if not found:
            self.kill()
            raise ServerError(f"publica serve did not start; it said:\n{self.tail()}")
        self.address = found[0]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"publica serve exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if requests.get(f"{self.base_url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise ServerError(f"/readyz never answered 200 within {timeout}s:\n{self.tail()}")

    def _read_stderr(
        self,
        proc: subprocess.Popen[bytes],
        start: int,
        tail: deque[str],
        found: list[str],
        listening: threading.Event,
    ) -> None:
        """Copy one process's stderr to the log; report its address once it says it is listening."""
        assert proc.stderr is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"--- start {start}: {' '.join(proc.args)}\n")  # type: ignore[arg-type]
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                tail.append(line)
                if not found:
                    match = LISTENING.search(line)
                    if match:
                        found.append(match.group(1))
                        listening.set()
        listening.set()

    def tail(self) -> str:
        return "\n".join(self._tail)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM, as an orchestrator would; SIGKILL after 20 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def credentials(self, block: str = "notify") -> dict:
        """One block's section of the demo credentials the server wrote."""
        path = self.backend.data_dir / "demo-credentials.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        if block not in data:
            raise ServerError(f"{path} has no `{block}` section (keys: {sorted(data)})")
        return data[block]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `publica ARGS` against this server's data directory and database."""
        return subprocess.run(
            [str(publica_binary()), *args, *self.backend.args()],
            env=self._child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
