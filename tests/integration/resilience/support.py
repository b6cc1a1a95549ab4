"""Real processes for the resilience tests: gunicorn web processes and ``caredesk worker`` processes
on a PostgreSQL database, a private PostgreSQL cluster that a test may stop and start, and a small
HTTP client that never raises (a refused connection is an answer too).

The web processes run with production settings (no debug pages, so a 500 would show as a 500
and never as a trace) behind a pretend TLS proxy (``X-Forwarded-Proto: https``), and with a rate
limit high enough that the tests measure the service, not the throttle."""

from __future__ import annotations

import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
SECRET = "resilience-tests-only-" + "x" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def needs_postgres() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="runs several processes on one database: needs PostgreSQL "
        "(DATABASE_URL=postgresql://..., as in the PostgreSQL pass of .ci/run); SQLite allows one writer",
    )


def database_url(settings: dict[str, Any] | None = None) -> str:
    """A URL for the database the tests use (with pytest-django: the test database)."""
    s = settings or connection.settings_dict
    auth = s.get("USER") or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgresql://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def process_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=db_url,
        CAREDESK_ENV="production",
        CAREDESK_SECRET_KEY=SECRET,
        CAREDESK_ALLOWED_HOSTS="127.0.0.1,localhost",
        CAREDESK_API_RATE="1000000/m",
        CAREDESK_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Proc:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    return Proc(name, popen, log)


def start_web(name: str, env: dict[str, str], logs: Path, *, workers: int = 2, threads: int = 1) -> tuple[Proc, int]:
    port = free_port()
    argv = [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", str(workers), "--graceful-timeout", "5", "--timeout", "60", "--no-control-socket"]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    proc = start(name, argv, env, logs)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{name} exited: {proc.output()[-3000:]}")
        if call(port, "GET", "/api/openapi.json").status == 200:
            return proc, port
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"{name} did not answer within 60 s: {proc.output()[-3000:]}")


def start_worker(name: str, env: dict[str, str], logs: Path) -> Proc:
    return start(name, [sys.executable, "-m", "caredesk.cli", "worker"], env, logs)


@dataclass
class Answer:
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    timeout: float = 30,
    **headers: Any,
) -> Answer:
    sent = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1", **headers}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=sent)
        r = conn.getresponse()
        return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    except (OSError, http.client.HTTPException) as exc:
        return Answer(0, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def world_for_load() -> dict[str, Any]:
    """A Designated Contact with an account and a token, created through the real services in the
    database this process uses (committed: the web processes must see it)."""
    from caredesk.sla.services import policy_current
    from caredesk.tenancy import services
    from tests.conftest import case_payload, make_admin, make_tenant

    policy_current()  # loaded once here, not raced by the first requests of several processes
    admin = make_admin()
    tenant = make_tenant(admin, "Load", None)
    _, token = services.token_create(actor=tenant.dcs[0], name="load")
    _, agent_token = services.token_create(actor=admin, name="admin")
    payload = case_payload(tenant.account)
    return {"token": token, "admin_token": agent_token, "payload": payload, "dc_id": tenant.dcs[0].pk}


# --------------------------------------------------------------------------- a private PostgreSQL


def postgres_bin() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throwaway cluster (initdb + pg_ctl) on a free port, owned by the test: it may be stopped
    and started at will without touching the shared server other tests use. As root, the cluster
    runs as the ``postgres`` system user (PostgreSQL refuses to run as root)."""

    def __init__(self, base: Path) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        self.bin = bindir
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sock"
        self.port = free_port()
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")
        self.sockets.mkdir(parents=True)
        if self.user is not None:
            for p in (base, self.sockets):
                os.chown(p, self.user.pw_uid, self.user.pw_gid)

    def _run(self, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
        def demote() -> None:
            if self.user is not None:
                os.setgid(self.user.pw_gid)
                os.setuid(self.user.pw_uid)

        return subprocess.run(
            list(argv), check=check, capture_output=True, timeout=timeout, preexec_fn=demote, cwd=self.base
        )

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "caredesk")

    def clone_schema(self, source_url: str) -> None:
        """Copy a migrated database (the test database) into the private one: seconds, where running
        every migration takes a minute on a busy machine."""
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url],
            input=dump.stdout,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        log = str(self.base / "pg.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/caredesk"
