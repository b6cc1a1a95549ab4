"""Page load times of the portal and the reports with 100,000 cases (issue 7: every page < 300 ms).

    createdb -h 127.0.0.1 -U postgres caredesk_pages
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_pages \\
        .venv/bin/python bench/pages.py --cases 100000 [--requests 30] [--web-workers 2]

1. Prepares the database (migrate, the cache table, the shipped policy; all idempotent).
2. Seeds it up to ``--cases`` cases with ``bench/seed.py`` (bulk COPY of resellers, accounts and
   cases with whole hash-chained timelines and the SLA engine's own targets) unless it holds that
   many already.
3. Picks the people to measure as: a Customer Care agent, a CSM, and a Designated Contact of the
   reseller with the most open cases (the heaviest reseller pages); gives them a bench password.
   The case page is measured on that reseller's case with the longest timeline.
4. Starts gunicorn (``config.wsgi``, ``--web-workers`` sync workers, ``CAREDESK_ENV=test``: the
   production middleware stack with DEBUG off, served over plain HTTP) on a free local port.
5. Logs each person in through the real log-in form and times ``--requests`` sequential GETs of
   every page with a real HTTP client (urllib, cookies kept), after ``--warmup`` untimed ones: the
   wall time from sending the request to the last byte of the body. Every answer must be 200.
   Before each page the cache is emptied and the first request is timed apart ("cold"). Then,
   for the report pages, an agent answers one open case of the Designated Contact's reseller
   submitted in the last six months (a public comment through ``case_comment``: a response, a new
   case version) and the next request is timed apart ("after a change"): the reports' cache is
   keyed by the period's day fingerprints, so that request computes the report, reading again
   only the changed day's targets (caredesk/reports/facts.py) and replaying only the changed case
   (the what-if). With ``--from-empty`` the reports' derived tables are emptied first and a
   request builds them from nothing ("from empty": what the first report after installing costs
   if it comes before the worker's first preparation); then they are emptied again, prepared as
   ``caredesk worker`` does in the background (``reports_prepare``, timed) and the first request
   after that is timed ("after preparation": the server's processes read the new blocks).
6. Counts the SQL statements of each page in-process with nothing cached (Django's test client,
   same database), to show that none grows with the data.

Prints a table and, as the last line, one JSON object: per page the median, p90 and max in ms,
the statement count, and whether p90 is under the goal; plus the machine's load average.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import free_port, wait_http  # noqa: E402

PASSWORD = "bench-pages-2026-password"
GOAL_MS = 300.0

PAGES: list[tuple[str, str, str]] = [
    ("home", "dc", "/"),
    ("home", "agent", "/"),
    ("case list", "dc", "/cases/"),
    ("queue", "agent", "/console/"),
    ("queue, High only", "agent", "/console/?severity=2"),
    ("queue, CSM", "csm", "/console/"),
    ("case page", "dc", "/cases/{case}/"),
    ("case page", "agent", "/cases/{case}/"),
    ("reports, 6 months by package", "agent", "/reports/"),
    ("reports, 6 months by account", "agent", "/reports/?group_by=account"),
    ("reports, 12 months by reseller", "agent", "/reports/?group_by=reseller&from={year_ago}"),
    ("reports", "dc", "/reports/"),
    ("reports", "csm", "/reports/"),
    ("reports CSV", "agent", "/reports/sla.csv?group_by=account"),
    ("what-if, 6 months", "dc", "/reports/what-if/?package=pure_success"),
    ("maintenance calendar", "dc", "/maintenance/"),
]


@dataclass
class Result:
    page: str
    who: str
    path: str
    times_ms: list[float] = field(default_factory=list)
    cold_ms: float = 0.0
    changed_ms: float | None = None
    empty_ms: float | None = None
    prepared_ms: float | None = None
    prepare_seconds: float | None = None
    queries: int | None = None
    size: int = 0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.times_ms)
        p90 = ordered[max(0, round(0.9 * (len(ordered) - 1)))]
        return {
            "page": self.page,
            "as": self.who,
            "path": self.path,
            "median_ms": round(statistics.median(ordered), 1),
            "p90_ms": round(p90, 1),
            "max_ms": round(ordered[-1], 1),
            "cold_ms": round(self.cold_ms, 1),
            "after_change_ms": None if self.changed_ms is None else round(self.changed_ms, 1),
            "from_empty_ms": None if self.empty_ms is None else round(self.empty_ms, 1),
            "after_preparation_ms": None if self.prepared_ms is None else round(self.prepared_ms, 1),
            "preparation_s": None if self.prepare_seconds is None else round(self.prepare_seconds, 1),
            "queries": self.queries,
            "bytes": self.size,
            # Every request a visitor can meet once the worker has prepared the reports: warm (p90),
            # cold, after a change and the first one after a preparation ("from empty" is before it).
            "under_goal": all(
                ms < GOAL_MS for ms in (p90, self.cold_ms, self.changed_ms, self.prepared_ms) if ms is not None
            ),
        }


def _env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CAREDESK_ENV="test",
        CAREDESK_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        CAREDESK_API_RATE="100000/m",
    )
    return env


def _django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def prepare(cases: int, seed_jobs: int) -> int:
    from django.core.management import call_command

    from caredesk.cases.models import Case

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable")
    call_command("policy", "load")
    have = Case.objects.count()
    if have < cases:
        missing = cases - have
        print(f"seeding {missing:,} cases with bench/seed.py ...", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "seed.py"), "--cases", str(missing), "--jobs", str(seed_jobs)],
            env=dict(os.environ),
            check=True,
        )
    return Case.objects.count()


def pick_people() -> dict[str, Any]:
    from django.db.models import Count, Q

    from caredesk.cases.models import OPEN_STATUSES, CaseEvent
    from caredesk.tenancy.models import Reseller, User

    reseller = (
        Reseller.objects.annotate(open_cases=Count("cases", filter=Q(cases__status__in=OPEN_STATUSES)))
        .order_by("-open_cases")
        .first()
    )
    assert reseller is not None, "no reseller: seed first"
    people = {
        "agent": User.objects.filter(role="care_agent", is_active=True).order_by("id").first(),
        "csm": User.objects.filter(role="csm", is_active=True, csm_accounts__isnull=False).order_by("id").first(),
        "dc": User.objects.filter(role="designated_contact", is_active=True, reseller=reseller).order_by("id").first(),
    }
    for role, user in people.items():
        assert user is not None, f"no {role} in the database"
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    case_id = (
        CaseEvent.objects.filter(reseller=reseller)
        .values("case_id")
        .annotate(n=Count("id"))
        .order_by("-n", "case_id")
        .values_list("case_id", flat=True)
        .first()
    )
    return {"people": people, "reseller": reseller, "case_id": case_id}


def start_server(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    proc = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer")


class Browser:
    """A cookie-keeping HTTP client that logs in through the real form (or is given a session
    cookie: ``headers``)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = headers or {}
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        with self.opener.open(urllib.request.Request(self.base + path, headers=self.headers), timeout=60) as r:
            body = r.read()
            status = r.status
        return status, body, (time.perf_counter() - started) * 1000

    def log_in(self, email: str) -> None:
        _, page, _ = self.get("/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the log-in page"
        data = urllib.parse.urlencode(
            {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
        ).encode()
        request = urllib.request.Request(self.base + "/login/", data=data, headers={"Referer": self.base + "/login/"})
        with self.opener.open(request, timeout=60) as r:
            r.read()
            assert "/login/" not in r.url, f"log-in of {email} failed"


def empty_derived_tables() -> None:
    """Delete the reports' day blocks and stored replays (derived data, rebuilt on demand)."""
    from caredesk.reports.models import DayBlock, WhatIfReplay

    DayBlock.objects.all().delete()
    WhatIfReplay.objects.all().delete()


def prepare_reports() -> float:
    """What ``caredesk worker`` does in the background (``reports_prepare_task``), here to the end
    and in this process: the seconds it took. The server's processes then read the new blocks."""
    from caredesk.reports.services import reports_prepare

    started = time.perf_counter()
    result = reports_prepare(budget=None)
    assert not result.busy and not result.more, result
    return time.perf_counter() - started


def change_one_case(agent: Any, reseller: Any) -> None:
    """An agent answers the newest open case of ``reseller`` submitted in the last six months that
    has no answer yet (else the newest open one): a public comment, a new case version."""
    from datetime import timedelta

    from django.utils import timezone

    from caredesk.cases.actions import case_comment
    from caredesk.cases.models import OPEN_STATUSES, Case

    recent = Case.objects.filter(
        reseller=reseller, status__in=OPEN_STATUSES, submitted_at__gte=timezone.now() - timedelta(days=150)
    ).order_by("-submitted_at")
    case = recent.filter(status="new").first() or recent.filter(status="open").first()
    assert case is not None, "no open case to change"
    case_comment(actor=agent, case_id=case.pk, body="Looking into it (bench/pages.py).")


def count_queries(paths: list[tuple[str, Any, str]]) -> dict[str, int]:
    """The statements of each page with nothing cached (the report cache emptied first)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}
    for key, user, path in paths:
        client = Client()
        client.force_login(user)
        client.get(path)  # warm the process (policy parse, calendars), as the server's workers are
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[key] = len(ctx)
    return counts


PEER_PAGES: list[tuple[str, str, str]] = [
    ("dashboard", "home (overview), agent", "/helpdesk/dashboard/"),
    ("ticket list page", "queue, agent", "/helpdesk/tickets/"),
    ("ticket list data, open by due date (25)", "queue, agent", "{list_path}"),
    ("ticket page", "case page, agent", "/helpdesk/tickets/{ticket}/"),
    ("reports index (statistics)", "reports, agent", "/helpdesk/reports/"),
    ("report: tickets by queue and month", "reports, 12 months", "/helpdesk/reports/queuemonth/"),
]
"""django-helpdesk's pages, with the caredesk page each compares with (as a staff user)."""


def measure_peer(db: str, tickets: int, web_workers: int, warmup: int, requests: int) -> list[dict[str, Any]]:
    """django-helpdesk 2.6.1 with as many tickets, in the same run, served the same way (gunicorn,
    ``web_workers`` sync workers, DEBUG off, PostgreSQL): each page's first request ("cold") and
    ``requests`` timed ones after ``warmup``. Its environment and database are bench/httpbench.py's."""
    from bench.httpbench import HD_DIR, HD_VENV, gunicorn_argv, hd_env, helpdesk_ready

    info = helpdesk_ready(db, tickets)
    port = free_port()
    proc = subprocess.Popen(
        gunicorn_argv(HD_VENV / "bin", "hd_wsgi:application", port, web_workers),
        env=hd_env(db),
        cwd=HD_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    out = []
    try:
        wait_http(port, "/helpdesk/login/")
        browser = Browser(f"http://127.0.0.1:{port}", headers={"Cookie": f"sessionid={info['session']}"})
        for name, compares, path in PEER_PAGES:
            result = Result(
                page=name, who=compares, path=path.format(list_path=info["list_path"], ticket=info["ticket"])
            )
            status, _, result.cold_ms = browser.get(result.path)
            assert status == 200, (result.path, status)
            for i in range(warmup + requests):
                status, body, ms = browser.get(result.path)
                assert status == 200, (result.path, status)
                if i >= warmup:
                    result.times_ms.append(ms)
                result.size = len(body)
            s = result.summary()
            print(
                f"django-helpdesk {name:<40} median {s['median_ms']:7.1f} ms   p90 {s['p90_ms']:7.1f} ms   "
                f"cold {s['cold_ms']:7.1f} ms   {s['bytes'] // 1024:>4} KiB   (compare: {compares})",
                flush=True,
            )
            out.append(s)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--seed-jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="measure only the pages whose name contains this")
    parser.add_argument(
        "--from-empty",
        action="store_true",
        help="empty the reports' derived tables before each report page; time its first request, then"
        " the worker's preparation of them and the first request after it",
    )
    parser.add_argument(
        "--peer-db",
        default="",
        help="also measure django-helpdesk's pages with as many tickets in this database (created if missing)",
    )
    parser.add_argument("--peer-requests", type=int, default=5, help="timed requests per django-helpdesk page")
    args = parser.parse_args(argv)

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database (the goal is measured on PostgreSQL)")
    data_dir = Path(tempfile.mkdtemp(prefix="caredesk-pages-"))
    env = _env(database_url, data_dir)
    _django(env)
    load_before = os.getloadavg()
    total = prepare(args.cases, args.seed_jobs)
    picked = pick_people()
    people, case_id = picked["people"], picked["case_id"]
    from datetime import date, timedelta

    year_ago = (date.today() - timedelta(days=365)).isoformat()
    pages = [
        (name, who, path.format(case=case_id, year_ago=year_ago)) for name, who, path in PAGES if args.only in name
    ]

    from caredesk.cases.models import CaseEvent

    print(
        f"{total:,} cases; DC of {picked['reseller'].name} ({picked['reseller'].open_cases:,} open cases); "
        f"case page: #{case_id} ({CaseEvent.objects.filter(case_id=case_id).count()} events)",
        file=sys.stderr,
    )
    queries = count_queries([(f"{who} {path}", people[who], path) for _, who, path in pages])

    from django.core.cache import cache

    proc, url = start_server(env, args.web_workers)
    results: list[Result] = []
    try:
        browsers = {}
        for who, user in people.items():
            browsers[who] = Browser(url)
            browsers[who].log_in(user.email)
        for name, who, path in pages:
            result = Result(page=name, who=who, path=path, queries=queries[f"{who} {path}"])
            report_page = "/reports/" in path
            if report_page and args.from_empty:
                empty_derived_tables()
                cache.clear()
                status, _, result.empty_ms = browsers[who].get(path)
                assert status == 200, (path, status)
                empty_derived_tables()
                result.prepare_seconds = prepare_reports()
                cache.clear()
                status, _, result.prepared_ms = browsers[who].get(path)
                assert status == 200, (path, status)
            cache.clear()  # the first request computes what the report pages cache
            status, _, result.cold_ms = browsers[who].get(path)
            assert status == 200, (path, status)
            if report_page:
                change_one_case(people["agent"], picked["reseller"])
                status, _, result.changed_ms = browsers[who].get(path)
                assert status == 200, (path, status)
            for i in range(args.warmup + args.requests):
                status, body, ms = browsers[who].get(path)
                assert status == 200, (path, status)
                if i >= args.warmup:
                    result.times_ms.append(ms)
                result.size = len(body)
            results.append(result)
            s = result.summary()
            print(
                f"{name + ' (' + who + ')':<44} median {s['median_ms']:7.1f} ms   p90 {s['p90_ms']:7.1f} ms   "
                f"max {s['max_ms']:7.1f} ms   cold {s['cold_ms']:7.1f} ms   "
                f"after change {s['after_change_ms'] or 0:7.1f} ms   from empty {s['from_empty_ms'] or 0:7.1f} ms   "
                f"prepared {s['after_preparation_ms'] or 0:7.1f} ms (in {s['preparation_s'] or 0:4.1f} s)   "
                f"{s['queries']:>3} queries   "
                f"{s['bytes'] // 1024:>4} KiB   "
                f"{'ok' if s['under_goal'] else 'OVER ' + str(int(GOAL_MS)) + ' ms'}",
                flush=True,
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)
    peer = (
        measure_peer(args.peer_db, total, args.web_workers, min(args.warmup, 1), args.peer_requests)
        if args.peer_db
        else []
    )
    load_after = os.getloadavg()
    summary = {
        "cases": total,
        "requests_per_page": args.requests,
        "web_workers": args.web_workers,
        "goal_ms": GOAL_MS,
        "all_under_goal": all(r.summary()["under_goal"] for r in results),
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in load_after],
        "pages": [r.summary() for r in results],
        "django_helpdesk": peer,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
