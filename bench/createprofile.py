"""One case creation in-process: the web worker's CPU per ``POST /api/cases`` and, with
``--profile``, where it goes (issue 8, item 2: creation at 3x django-helpdesk's rate).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_100k \\
        .venv/bin/python bench/createprofile.py [--creates 300] [--profile] [--top 40]

The database must be seeded (``bench/seed.py``; any size: a creation reads no other case). The
settings are the HTTP benchmark's (``bench/httpbench.py``: production, no debug, the rate limit
raised out of the way but still counted). A Designated Contact of the largest reseller gets a
bearer token (revoked at the end) and sends the HTTP benchmark's intake, through Django's test
client: the whole middleware stack, token look-up, rate limit and idempotency check included, no
network. 20 untimed creations warm the caches, then ``--creates`` sequential ones are timed: wall
time per creation (p50, p99, fastest) and the process's CPU per creation (what a gunicorn worker
spends; PostgreSQL's own CPU is another process and is not in it). Then one creation's SQL
statements are listed.

``--profile``: py-spy (``.venv/bin/py-spy``, which needs ptrace rights: root, or
``kernel.yama.ptrace_scope=0``) samples this process during the timed creations only, at
``--rate`` per second, only while this process holds the GIL (psycopg releases it while waiting for
PostgreSQL, so the waits are not sampled; a thread the kernel preempted while holding it is). The samples are
split by area (the innermost area on a sample's stack: the token look-up's ORM work is the
token's), and the own-time leaders are listed. The raw stacks stay in
``--profile-out`` (flamegraph.pl input). Sampling, not tracing: the CPU figure moves by a few
per cent at most under it, and the areas are shares of samples.

The cases created stay in the database (they are ordinary cases of the seeded reseller). The last
line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.httpbench import CAREDESK_ENV  # noqa: E402  (the HTTP benchmark's settings)
from bench.loadgen import intake_payload, latency_summary  # noqa: E402

# Areas of the profile, as py-spy names frames ("function (path"): a sample is charged to the
# innermost area whose marker is on its stack (the markers are caredesk's and django-ninja's own
# functions, so the token look-up's ORM work is the token's, and the case INSERT is what _create
# does besides the clocks, the event and the targets). What no area claims is Django's request
# machinery, the middleware and the test client.
AREAS = [
    ("token look-up", "token_authenticate (caredesk/tenancy/services.py"),
    ("rate-limit upsert", "TokenRateThrottle.allow_request (caredesk/api/base.py"),
    ("ninja: parse and validate the body", "Operation._get_values (ninja/operation.py"),
    ("intake: checks and the reads they need", "_dc_intake (caredesk/cases/services.py"),
    ("SLA engine (clocks_compute)", "clocks_compute (caredesk/cases/clocks.py"),
    ("timeline event (hash + INSERT)", "case_event_append (caredesk/cases/timeline.py"),
    ("targets INSERT", "targets_store (caredesk/cases/clocks.py"),
    ("case INSERT and the rest of _create", "_create (caredesk/cases/services.py"),
    ("commit", "Atomic.__exit__ (django/db/transaction.py"),
    ("ninja: build the answer", "Operation._result_to_response (ninja/operation.py"),
]


def _pyspy_start(rate: int, out: Path) -> subprocess.Popen[bytes]:
    spy = Path(sys.executable).parent / "py-spy"
    argv = [str(spy), "record", "--gil", "--pid", str(os.getpid()), "-r", str(rate), "-f", "raw", "-o", str(out)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)  # attached and sampling
    if proc.poll() is not None:
        sys.exit(f"py-spy failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return proc


def _pyspy_stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    proc.wait(timeout=60)


def _pyspy_report(out: Path, creates: int, cpu_ms: float, top: int) -> dict[str, float]:
    """Shares of the samples under the timed creations, by area, in ms of CPU per creation."""
    by_area: collections.Counter[str] = collections.Counter()
    leaves: collections.Counter[str] = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if "main.<locals>.create (" not in stack:
            continue  # py-spy attaching, the query count after the loop
        count = int(count_text)
        total += count
        frames = stack.split(";")
        area = next(
            (name for f in reversed(frames) for name, marker in AREAS if f.startswith(marker)),
            "Django, middleware, client",
        )
        by_area[area] += count
        leaves[frames[-1].rsplit(":", 1)[0] + ")"] += count
    if not total:
        return {}
    print(f"  by area ({total} samples; ms = share x {cpu_ms:.2f} ms CPU per creation):")
    result = {}
    for name, count in by_area.most_common():
        ms = count / total * cpu_ms
        result[name] = round(ms, 2)
        print(f"    {name:<44} {count / total:6.1%}  {ms:6.2f} ms")
    print(f"  own time, top {top}:")
    for frame, count in leaves.most_common(top):
        print(f"    {count / total:6.1%}  {frame}")
    return result


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sys() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="sample the timed creations with py-spy")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--profile-out", type=Path, default=Path("/tmp/createprofile.pyspy.txt"))
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    for key, value in CAREDESK_ENV.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils.timezone import now

    from caredesk.tenancy.models import EndUserAccount, Subscription, User
    from caredesk.tenancy.services import token_create, token_revoke

    biggest = (
        EndUserAccount.objects.values("reseller_id").annotate(n=Count("cases")).order_by("-n").first() or {}
    ).get("reseller_id")
    account = EndUserAccount.objects.filter(reseller_id=biggest).order_by("id").first()
    if account is None:
        sys.exit("seed the database first (bench/seed.py)")
    dc = User.objects.filter(reseller_id=account.reseller_id, role="designated_contact", is_active=True).first()
    assert dc is not None
    day = now().date()
    service = (
        Subscription.objects.filter(account=account, term_start__lte=day, term_end__gte=day)
        .values_list("service", flat=True)
        .first()
    )
    payload = intake_payload(account, service)
    body = json.dumps(payload)
    token, secret = token_create(actor=dc, name="createprofile")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_X_FORWARDED_PROTO": "https"}

    def create() -> None:
        r = client.post("/api/cases", body, content_type="application/json", **headers)
        assert r.status_code == 201, r.content[:500]

    spy = None
    try:
        for _ in range(20):
            create()
        wall: list[float] = []
        cpu0, sys0 = _cpu(), _sys()
        if args.profile:
            spy = _pyspy_start(args.rate, args.profile_out)
            cpu0, sys0 = _cpu(), _sys()
        for _ in range(args.creates):
            t0 = time.perf_counter()
            create()
            wall.append((time.perf_counter() - t0) * 1000)
        cpu_ms = (_cpu() - cpu0) * 1000 / args.creates
        sys_ms = (_sys() - sys0) * 1000 / args.creates
        if spy is not None:
            _pyspy_stop(spy)
        with CaptureQueriesContext(connection) as one:
            create()
    finally:
        token_revoke(actor=dc, token_id=token.pk)

    vendor = connection.vendor
    statements = [q["sql"] for q in one.captured_queries]
    result: dict[str, Any] = {
        "database": vendor,
        "creates": args.creates,
        "profiled": args.profile,
        "wall_ms": latency_summary(wall),
        "cpu_ms_per_create": round(cpu_ms, 2),
        "system_cpu_ms_per_create": round(sys_ms, 2),
        "statements": len(statements),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "at": now().isoformat(timespec="seconds"),
    }
    print(f"{vendor}, {args.creates} creations{' (profiled)' if args.profile else ''}, load {result['load_average']}")
    print(f"  wall {result['wall_ms']} ms, CPU {cpu_ms:.2f} ms per creation ({sys_ms:.2f} of it in the kernel)")
    print(f"  {len(statements)} statements:")
    for sql in statements:
        print(f"    {sql[:150]}")
    if args.profile:
        result["areas_ms"] = _pyspy_report(args.profile_out, args.creates, cpu_ms, args.top)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
