"""Notification delivery throughput (issue 5: "a worker delivers at least 200 notifications per second
to a local receiver").

    .venv/bin/python bench/notifications.py                      # SQLite file in a temporary directory
    .venv/bin/python bench/notifications.py --database-url postgresql://postgres@127.0.0.1:5432/caredesk_bench
    .venv/bin/python bench/notifications.py --emails 500 --webhooks 500 --skip-worker   # quick

It creates a fresh database (migrated here; a PostgreSQL database is created and dropped), starts the
receivers in a separate process (aiosmtpd SMTP server, stdlib HTTP server answering 200), records
notifications through ``notification_enqueue`` and measures three ways of delivering them:

- ``loop_email`` / ``loop_webhook``: ``delivery.deliver_due()`` in this process (what the
  ``notifications_deliver`` command and the wake-up task run): claim 50, send, record, repeat;
- ``worker_email``: ``caredesk worker`` (django-tasks-db) running the ``deliver_task`` queued per
  notification at commit, timed from the first to the last ``delivered_at`` (process start-up
  excluded);
- ``enqueue_ms_each``: one ``notification_enqueue`` to ten people, in its own transaction.

The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 10  # recipients per notification


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(smtp_port: int, http_port: int) -> None:
    """The receivers, in their own process so they do not share the delivery loop's interpreter."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    counts = {"smtp": 0, "http": 0}

    class Smtp:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counts["smtp"] += 1
            return "250 OK"

    class Http(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            counts["http"] += 1
            self._answer(b"ok")

        def do_GET(self) -> None:
            self._answer(json.dumps(counts).encode())

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    controller = Controller(Smtp(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", http_port), Http)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    asyncio.set_event_loop(None)


def _counts(http_port: int) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/count", timeout=5) as r:
        counts: dict[str, int] = json.loads(r.read())
        return counts


def _enqueue(kind: str, notifications: int, users: list[Any], reseller_id: int | None) -> None:
    from django.db import transaction

    from caredesk.notifications.services import notification_enqueue

    for n in range(notifications):
        with transaction.atomic():
            notification_enqueue(
                event_kind=kind,
                recipients=users,
                subject=f"Bench {kind} {n}",
                body="A notification of the delivery benchmark.\n" * 5,
                context={"n": n, "kind": kind},
                dedupe_key=f"bench:{kind}:{n}:{uuid.uuid4().hex}",
                reseller_id=reseller_id,
            )


def _drain(label: str, expected: int, http_port: int, channel: str, profile: str = "") -> dict[str, float]:
    from caredesk.notifications.delivery import deliver_due

    before = _counts(http_port)[channel]
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = deliver_due(max_rounds=1_000_000)
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{label}.prof")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    received = _counts(http_port)[channel] - before
    assert report.sent == expected == received, (label, report, expected, received)
    return {
        f"{label}_count": expected,
        f"{label}_seconds": round(seconds, 3),
        f"{label}_per_s": round(expected / seconds),
        # The delivering process's own CPU per message: what a quieter machine would approach.
        f"{label}_cpu_ms_each": round(cpu / expected * 1000, 2),
    }


def _worker(env: dict[str, str], expected: int) -> dict[str, float]:
    from django.db.models import Max, Min

    from caredesk.notifications.models import DeliveryStatus, EmailDelivery

    rows = EmailDelivery.objects.filter(delivered_at__isnull=True)
    assert rows.count() == expected
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "caredesk"), "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cpu_at_first: float | None = None
    try:
        deadline = time.monotonic() + 600
        while EmailDelivery.objects.exclude(status=DeliveryStatus.SENT).exists():
            assert time.monotonic() < deadline and proc.poll() is None, "the worker did not finish"
            sent = EmailDelivery.objects.filter(status=DeliveryStatus.SENT)
            if cpu_at_first is None and sent.exists():
                cpu_at_first, sent_at_first = _cpu_seconds(proc.pid), sent.count()
            time.sleep(0.05)
        cpu_at_end = _cpu_seconds(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    span = EmailDelivery.objects.aggregate(first=Min("delivered_at"), last=Max("delivered_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    figures = {
        "worker_email_count": expected,
        "worker_email_seconds": round(seconds, 3),
        "worker_email_per_s": round(expected / seconds),
    }
    if cpu_at_first is not None:  # the worker's own CPU per message once it was delivering
        figures["worker_email_cpu_ms_each"] = round((cpu_at_end - cpu_at_first) / (expected - sent_at_first) * 1000, 2)
    return figures


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--webhooks", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--profile", default="", help="write cProfile stats of each loop to PREFIX.<loop>.prof")
    args = parser.parse_args()

    smtp_port, http_port = _free_port(), _free_port()
    receivers = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(smtp_port), str(http_port)], stdout=subprocess.PIPE, text=True
    )
    assert receivers.stdout is not None and receivers.stdout.readline().strip() == "ready"
    tmp = Path(tempfile.mkdtemp(prefix="caredesk-bench-"))
    pg_name = f"caredesk_bench_{uuid.uuid4().hex[:8]}"
    url = args.database_url.rsplit("/", 1)[0] + f"/{pg_name}" if args.database_url else f"sqlite:///{tmp}/bench.sqlite3"
    if args.database_url:
        import psycopg

        with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')  # type: ignore[arg-type]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CAREDESK_ENV": "production",
        "CAREDESK_SECRET_KEY": "bench-" + "k" * 50,
        "CAREDESK_ALLOWED_HOSTS": "localhost",
        "CAREDESK_DATA_DIR": str(tmp),
        "DATABASE_URL": url,
        "CAREDESK_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CAREDESK_WEBHOOK_ALLOW_PRIVATE": "1",
    }
    os.environ.update(env)
    figures: dict[str, Any] = {"database": "postgresql" if args.database_url else "sqlite", "cpus": os.cpu_count()}
    try:
        import django

        django.setup()
        from django.core.management import call_command

        from caredesk.notifications.models import WebhookEndpoint
        from caredesk.tenancy.models import Reseller, User

        call_command("migrate", verbosity=0)
        users = [
            User.objects.create(email=f"bench{i}@vendor.test", name=f"Bench {i}", role="care_agent")
            for i in range(PEOPLE)
        ]
        reseller = Reseller.objects.create(name="Bench reseller")
        hook = f"http://127.0.0.1:{http_port}/hook"
        endpoints = [
            WebhookEndpoint.objects.create(reseller=reseller, url=hook, event_types=["*"], secret=f"whsec_{i}")
            for i in range(PEOPLE)
        ]

        started, cpu = time.perf_counter(), time.process_time()
        _enqueue("bench_email", args.emails // PEOPLE, users, None)
        calls = args.emails // PEOPLE
        figures["enqueue_ms_each"] = round((time.perf_counter() - started) / calls * 1000, 2)
        figures["enqueue_cpu_ms_each"] = round((time.process_time() - cpu) / calls * 1000, 2)
        figures |= _drain("loop_email", args.emails // PEOPLE * PEOPLE, http_port, "smtp", args.profile)
        _enqueue("bench_webhook", args.webhooks // len(endpoints), [], reseller.pk)
        figures |= _drain(
            "loop_webhook", args.webhooks // len(endpoints) * len(endpoints), http_port, "http", args.profile
        )
        if not args.skip_worker:
            from caredesk.notifications.models import EmailDelivery, WebhookDelivery

            EmailDelivery.objects.all().delete()
            WebhookDelivery.objects.all().delete()
            _enqueue("bench_worker", args.emails // PEOPLE, users, None)
            figures |= _worker(env, args.emails // PEOPLE * PEOPLE)
    finally:
        receivers.send_signal(signal.SIGTERM)
        receivers.wait(10)
        if args.database_url:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(args.database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')  # type: ignore[arg-type]
    print(json.dumps(figures))


if __name__ == "__main__":
    # Python puts this script's directory first on the path, where a sibling module can shadow the
    # standard library (bench/http.py shadows ``http``); caredesk itself is installed in the venv.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
