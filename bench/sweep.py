"""One sweep over 1,000,000 open cases that finds 1,000 newly due targets (issue 5, performance goal).

    createdb -h 127.0.0.1 -U postgres caredesk_sweep_bench   # once; a database of its own
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_sweep_bench \\
        .venv/bin/python bench/sweep.py [--cases 1000000] [--due 1000] [--warnings 0] [--events 2] [--runs 3] \\
        [--server-log /var/log/postgresql/postgresql-15-main.log] [--what-if-drop-index NAME ...] 2>sweep-bench.log

The first run migrates the database and generates the data inside PostgreSQL (INSERT ... SELECT
over generate_series, secondary indexes rebuilt at the end); later runs reuse it when it holds the
same data (``--reseed`` rewrites it). The data, at the fixed instant NOW:
- ``--cases`` open cases over 5 resellers, severities 10 / 20 / 40 / 30 % (1 to 4), half of them
  assigned to one of 20 agents; 3 targets each in realistic states: response mostly met,
  restoration and resolution mostly running with due instants up to 40 days ahead, some paused
  (no due instant), some breached long ago (no longer in the running indexes); the alert table
  holds what earlier sweeps recorded (every warning before the watermark, every breach);
- ``--due`` running targets whose due instant fell in the 30 s since the last sweep, their
  warnings recorded long ago;
- ``--warnings`` running targets whose warning instant fell in the 30 s the sweep reads now (from
  its watermark, NOW - 30 s - settle, to NOW - settle);
- ``--events`` timeline events per case already written (opened, then comments), so that reading
  the chain heads and inserting into the timeline's indexes cost what they cost on a used
  database (added to an existing database without regenerating the cases).

Measured, each run inside one transaction rolled back afterwards (so every run sees the same
data): EXPLAIN (ANALYZE, BUFFERS) of the two finding queries, then the whole sweep_run (find, lock
the cases, claim the alert keys, append the timeline events, set the targets breached, enqueue the
escalation notifications of the Critical and High cases). Its database time is reported twice:
client-observed (every statement timed around the driver call, so round trips and scheduling
delays count) and, with ``--server-log``, server-side (``log_min_duration_statement = 0`` for the
session; the durations the server logged for this backend), each split into the sweep's own
statements, the timeline appends, the notification outbox and savepoints, and listed statement by
statement (server-side milliseconds, costliest first). When the server runs on this machine, the
backend's on-CPU time, the time it waited for a CPU and its disk reads are read from /proc around
the sweep: on a shared machine the logged durations include waiting for a CPU.
``--what-if-drop-index`` measures the same runs again without some indexes (dropped inside each
run's transaction, so rolled back with it). The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

NOW = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)  # a Tuesday afternoon in New York
SETTLE = timedelta(seconds=15)
WATERMARK = NOW - timedelta(seconds=30) - SETTLE  # where the sweep 30 s ago stopped reading warnings
SEVERITIES = [1] * 10 + [2] * 20 + [3] * 40 + [4] * 30
TITLE = "Agents cannot log in"


class Rollback(Exception):
    pass


def _world() -> dict[str, Any]:
    """Resellers, people and accounts through the real services (a few dozen rows)."""
    from caredesk.sla.services import policy_current
    from caredesk.tenancy import services
    from caredesk.tenancy.models import User

    founder = User(email="founder@bench.invalid", name="founder", role="vendor_admin")
    admin = services.user_create(actor=founder, email="admin@bench.invalid", name="Admin", role="vendor_admin")
    agents = [
        services.user_create(actor=admin, email=f"agent{i}@bench.invalid", name=f"Agent {i}", role="care_agent").pk
        for i in range(20)
    ]
    for i in range(3):
        services.user_create(actor=admin, email=f"manager{i}@bench.invalid", name=f"Manager {i}", role="care_manager")
    tenants = []
    for r in range(5):
        reseller = services.reseller_create(actor=admin, name=f"Bench Reseller {r}")
        dc = services.user_create(
            actor=admin,
            email=f"dc{r}@bench.invalid",
            name=f"DC {r}",
            role="designated_contact",
            reseller_id=reseller.pk,
        )
        account = services.account_create(
            actor=admin,
            reseller_id=reseller.pk,
            name=f"Account {r}",
            calendar={"timezone": "America/New_York", "holiday_country": "US"},
        )
        tenants.append((reseller.pk, account.pk, dc.pk, account.calendar))
    return {"policy_id": policy_current().pk, "agents": agents, "tenants": tenants}


def _seed(cases: int, due: int, warnings: int) -> dict[str, float]:
    """Generate the data inside PostgreSQL (INSERT ... SELECT over generate_series): the server
    does the work in C, so a million cases take a minute or two even on a busy machine."""
    from django.db import connection, transaction

    from caredesk.cases.models import Case

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE cases_case, cases_casetarget, cases_caseevent, sweep_sweepalert, sweep_sweepstate, "
            "tenancy_reseller, tenancy_user, tenancy_enduseraccount RESTART IDENTITY CASCADE"
        )
    with transaction.atomic():
        world = _world()
    tenants = world["tenants"]
    known: dict[str, str] = {
        "id": "g",
        "reseller_id": "(%(resellers)s::bigint[])[1 + g %% 5]",
        "account_id": "(%(accounts)s::bigint[])[1 + g %% 5]",
        "policy_id": "%(policy)s",
        "kind": "'incident'",
        "service": "'pureengage_cloud'",
        "package": "'care_for_cloud'",
        "severity": "(ARRAY[1,2,2,3,3,3,3,4,4,4])[1 + abs(hashint8(g::bigint)) %% 10]",
        "status": "'open'",
        "channel": "'portal'",
        "title": f"'{TITLE}'",
        "users_affected": "10",
        "frequency": "'intermittent'",
        "first_observed_at": "%(now)s::timestamptz - (3600 + (g %% 1728000)) * interval '1 second'",
        "submitted_at": "%(now)s::timestamptz - (3600 + (g %% 1728000)) * interval '1 second'",
        "updated_at": "%(now)s::timestamptz - (3600 + (g %% 1728000)) * interval '1 second'",
        "business_impact": "'Queue unstaffed.'",
        "steps_to_reproduce": "'Log in.'",
        "local_contact": "'Pat'",
        "impacted_working_hours": "'Mon-Fri 09:00-17:00'",
        "impacted_timezone": "'America/New_York'",
        "calendar": "%(calendar)s::jsonb",
        "opened_by_id": "(%(dcs)s::bigint[])[1 + g %% 5]",
        "assignee_id": "CASE WHEN g %% 2 = 0 THEN (%(agents)s::bigint[])[1 + (g / 2) %% 20] END",
    }
    columns, values = [], []
    params: dict[str, Any] = {
        "resellers": [t[0] for t in tenants],
        "accounts": [t[1] for t in tenants],
        "dcs": [t[2] for t in tenants],
        "agents": world["agents"],
        "policy": world["policy_id"],
        "calendar": json.dumps(tenants[0][3]),
        "now": NOW,
        "n": cases,
    }
    for field in Case._meta.concrete_fields:
        columns.append(f'"{field.column}"')
        if field.attname in known:
            values.append(known[field.attname])
        elif field.null:
            values.append("NULL")
        else:
            default = field.get_default()
            params[field.attname] = json.dumps(default) if isinstance(default, dict | list) else default
            values.append(f"%({field.attname})s")
    every_due, every_warning = cases // due, cases // max(warnings, 1)
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        # Bulk-load speed: no foreign-key triggers (the rows are consistent by construction) and
        # the secondary indexes built once at the end rather than row by row.
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases_case', 'cases_casetarget') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for lo in range(1, cases + 1, 200_000):
            hi = min(cases, lo + 199_999)
            with transaction.atomic():
                cur.execute(
                    f"INSERT INTO cases_case ({', '.join(columns)}) SELECT {', '.join(values)} "
                    f"FROM generate_series({lo}, {hi}) g",
                    params,
                )
                cur.execute(_TARGETS_SQL, {"now": NOW, "lo": lo, "hi": hi})
            print(f"  {hi:>9,} cases and their targets", file=sys.stderr, flush=True)
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SET session_replication_role = origin")
        print(f"  {len(indexes)} indexes rebuilt", file=sys.stderr, flush=True)
        with transaction.atomic():
            cur.execute(
                "UPDATE cases_casetarget SET state = 'running', "
                "due_at = %(now)s::timestamptz - (0.001 + random() * 29.9) * interval '1 second', "
                "warning_at = %(now)s::timestamptz - interval '6 hours' "
                "WHERE kind = 'restoration' AND case_id %% %(every)s = 7",
                {"now": NOW, "every": every_due},
            )
            assert cur.rowcount == due, cur.rowcount
            if warnings:
                cur.execute(
                    "UPDATE cases_casetarget SET state = 'running', due_at = %(now)s::timestamptz + interval '3 days', "
                    "warning_at = %(mark)s::timestamptz + (0.001 + random() * 29.9) * interval '1 second' "
                    "WHERE kind = 'resolution' AND case_id %% %(every)s = 3",
                    {"now": NOW, "mark": WATERMARK, "every": every_warning},
                )
                assert cur.rowcount == warnings, cur.rowcount
            # What earlier sweeps recorded: every warning up to the watermark and every breach.
            cur.execute(
                "INSERT INTO sweep_sweepalert (case_id, reseller_id, subject, alert, crossed_at, recorded_at) "
                "SELECT case_id, reseller_id, kind, 'warning', warning_at, warning_at FROM cases_casetarget "
                "WHERE warning_at < %(mark)s "
                "UNION ALL SELECT case_id, reseller_id, kind, 'breached', due_at, due_at FROM cases_casetarget "
                "WHERE state = 'breached'",
                {"mark": WATERMARK},
            )
            cur.execute(
                "INSERT INTO sweep_sweepstate "
                "(name, swept_to, next_run_at, last_finished_at, last_worker, last_result) "
                "VALUES ('sla', %(mark)s, %(now)s, %(mark)s, 'seed', '{}')",
                {"mark": WATERMARK, "now": NOW},
            )
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [cases])
        cur.execute("SELECT setval(pg_get_serial_sequence('cases_casetarget', 'id'), %s)", [3 * cases])
        for table in ("cases_case", "cases_casetarget", "sweep_sweepalert"):
            cur.execute(f"VACUUM ANALYZE {table}")
    return {"seed_seconds": round(time.perf_counter() - started, 1)}


# Three targets per case in realistic states (u picks the state, v the instant): response mostly
# met; restoration and resolution mostly running, due up to 10 and 40 days ahead; some paused (no
# due instant) and some breached long ago. A running target warns at 75 % of its time: already
# (3 h ago) when less than 2 h are left, else a quarter of the time left before its due instant.
_TARGETS_SQL = """
INSERT INTO cases_casetarget (id, case_id, reseller_id, kind, state, amount, due_at, met_at, warning_at)
SELECT (c.id - 1) * 3 + k.n, c.id, c.reseller_id, k.kind, s.state, '', s.due_at,
       CASE WHEN s.state = 'met' THEN s.due_at - interval '1 hour' END,
       CASE WHEN s.state = 'running' THEN
              CASE WHEN s.due_at - %(now)s::timestamptz > interval '2 hours'
                   THEN s.due_at - (s.due_at - %(now)s::timestamptz) * 0.25
                   ELSE %(now)s::timestamptz - interval '3 hours' END
            WHEN s.state = 'breached' THEN s.due_at - interval '2 hours' END
FROM cases_case c
CROSS JOIN (VALUES (1, 'response'), (2, 'restoration'), (3, 'resolution')) AS k(n, kind)
CROSS JOIN LATERAL (SELECT random() AS u, random() AS v, c.id + k.n AS salt) r
CROSS JOIN LATERAL (
  SELECT st.state,
         CASE st.state
           WHEN 'paused' THEN NULL
           WHEN 'running' THEN %(now)s::timestamptz + CASE k.kind
               WHEN 'response' THEN (60 + r.v * 28800) * interval '1 second'
               WHEN 'restoration' THEN interval '1 hour' + r.v * interval '10 days'
               ELSE interval '1 day' + r.v * interval '40 days' END
           ELSE %(now)s::timestamptz - (100000 + r.v * 3000000) * interval '1 second'
         END AS due_at
  FROM (SELECT CASE k.kind
           WHEN 'response' THEN CASE WHEN r.u < 0.85 THEN 'met' WHEN r.u < 0.9 THEN 'breached' ELSE 'running' END
           WHEN 'restoration' THEN CASE WHEN r.u < 0.6 THEN 'running' WHEN r.u < 0.8 THEN 'met'
                                        WHEN r.u < 0.9 THEN 'breached' ELSE 'paused' END
           ELSE CASE WHEN r.u < 0.8 THEN 'running' WHEN r.u < 0.9 THEN 'paused' ELSE 'breached' END
         END AS state) st
) s
WHERE c.id BETWEEN %(lo)s AND %(hi)s
"""


# ``per_case`` events on every case: "case_opened" (seq 1) then comments, chained by seq. The hashes
# are 64 hex characters like real ones but not a verifiable chain: the bench never verifies, it only
# needs the timeline's table and indexes as large as a used database has them.
_EVENTS_SQL = """
INSERT INTO cases_caseevent
    (case_id, reseller_id, seq, at, actor_id, actor_role, channel, kind, internal, data, sla, prev_hash, hash)
SELECT c.id, c.reseller_id, n.seq, c.submitted_at + (n.seq - 1) * interval '7 minutes',
       c.opened_by_id, 'designated_contact', 'portal',
       CASE WHEN n.seq = 1 THEN 'case_opened' ELSE 'comment' END, false,
       CASE WHEN n.seq = 1 THEN jsonb_build_object('severity', c.severity, 'service', c.service)
            ELSE jsonb_build_object('comment', c.id * 10 + n.seq) END,
       CASE WHEN n.seq = 1 THEN jsonb_build_object('kind', 'opened', 'at', c.submitted_at, 'severity', c.severity) END,
       CASE WHEN n.seq = 1 THEN repeat('0', 64)
            ELSE md5(c.id || ':' || (n.seq - 1)) || md5((n.seq - 1) || ':' || c.id) END,
       md5(c.id || ':' || n.seq) || md5(n.seq || ':' || c.id)
FROM cases_case c CROSS JOIN generate_series(1, %(per_case)s) AS n(seq)
WHERE c.id BETWEEN %(lo)s AND %(hi)s
ORDER BY c.id, n.seq
"""


def _seed_events(cases: int, per_case: int) -> dict[str, float]:
    """Give every case ``per_case`` timeline events (INSERT ... SELECT, secondary indexes rebuilt)."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE cases_caseevent RESTART IDENTITY")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_caseevent' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for lo in range(1, cases + 1, 200_000):
            with transaction.atomic():
                cur.execute(_EVENTS_SQL, {"per_case": per_case, "lo": lo, "hi": min(cases, lo + 199_999)})
            print(f"  {min(cases, lo + 199_999):>9,} cases' timelines", file=sys.stderr, flush=True)
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SET session_replication_role = origin")
        cur.execute("VACUUM ANALYZE cases_caseevent")
    return {"events_seed_seconds": round(time.perf_counter() - started, 1)}


def _explain(qs: Any) -> tuple[float, str]:
    plan = qs.explain(analyze=True, buffers=True)
    ms = next(float(line.split(":")[1].split()[0]) for line in plan.splitlines() if "Execution Time" in line)
    return ms, plan


def _part(sql: str) -> str:
    if "SAVEPOINT" in sql:
        return "savepoints"
    if "cases_caseevent" in sql:
        return "timeline"
    if "notifications_" in sql or "dbtaskresult" in sql or "tenancy_reseller" in sql:
        return "notifications"
    return "sweep"


def _server_time(
    log: Path | None, offset: int, pid: int
) -> tuple[float, int, dict[str, float], list[tuple[float, str, str]]] | None:
    """Server-side milliseconds and statements of backend ``pid`` logged since ``offset``
    (``log_min_duration_statement = 0``: one ``duration`` line per parse, bind and execute)."""
    if log is None:
        return None
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    # A statement runs to the next log line (its continuation lines start with a tab).
    found = [
        (ms, " ".join(sql.split()))
        for ms, sql in re.findall(
            rf"\[{pid}\] [^\n]*?duration: ([0-9.]+) ms  statement: (.*?)(?=\n\S|\Z)", text, flags=re.DOTALL
        )
    ]
    parts: dict[str, float] = {}
    for ms, sql in found:
        part = _part(sql)
        parts[part] = round(parts.get(part, 0.0) + float(ms), 1)
    each = sorted(((float(ms), _part(sql), _shape(sql)) for ms, sql in found), reverse=True)
    return round(sum(float(ms) for ms, _ in found), 1), len(found), parts, each


def _shape(sql: str) -> str:
    """A statement without its values, short enough for a table."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"(\?(::\w+(\[\])?)?, )+\?", "?, ...", sql)
    sql = re.sub(r"(\(\?, \.\.\.\), )+\(\?, \.\.\.\)", "(?, ...), ...", sql)
    return sql[:150]


def _backend(pid: int) -> tuple[float, float, float] | None:
    """The server backend's (on-CPU ms, ms waiting for a CPU, KiB read from disk) so far, from /proc:
    only when the server runs on this machine and /proc/<pid> is readable (root or the postgres
    user). On a shared machine the logged durations include the time the backend waited for a
    CPU; these say how much of it was work."""
    try:
        on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
        io = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    except (OSError, ValueError):
        return None
    return int(on_cpu) / 1e6, int(waiting) / 1e6, int(io["read_bytes"]) / 1024


def _measure(due: int, warnings: int, log: Path | None, drop: list[str]) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.db.models import Q

    from caredesk.cases.models import CaseTarget
    from caredesk.sweep.services import sweep_run

    warnings_qs = (
        CaseTarget.objects.filter(state="running", warning_at__lte=NOW - SETTLE)
        .filter(Q(warning_at__gt=WATERMARK), warning_at__gte=WATERMARK)
        .order_by("warning_at", "id")
        .values_list("id", "case_id", "kind", "warning_at")[:500]
    )
    breaches_qs = (
        CaseTarget.objects.filter(state="running", due_at__lt=NOW)
        .order_by("due_at", "id")
        .values_list("id", "case_id", "kind", "due_at")[:500]
    )
    timings: list[float] = []
    parts: dict[str, list[float]] = {"timeline": [], "notifications": [], "savepoints": [], "sweep": []}

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - t
            timings.append(spent)
            parts[_part(sql)].append(spent)

    result: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result["warnings_ms"], result["warnings_plan"] = _explain(warnings_qs)
            result["breaches_ms"], result["breaches_plan"] = _explain(breaches_qs)
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pid = cur.fetchone()[0]
                if log is not None:
                    cur.execute("SET log_min_duration_statement = 0")
                for name in drop:  # what if these indexes did not exist (rolled back with the run)
                    cur.execute(f'DROP INDEX "{name}"')
            offset = log.stat().st_size if log is not None else 0
            before = _backend(pid)
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                sweep = sweep_run(now=NOW, worker="bench")
                result["wall_ms"] = (time.perf_counter() - started) * 1000
            after = _backend(pid)
            if log is not None:
                with connection.cursor() as cur:
                    cur.execute("SET log_min_duration_statement = -1")
                time.sleep(0.5)  # let the server flush its log
            result["backend"] = (
                [round(b - a, 1) for a, b in zip(before, after, strict=True)] if before and after else None
            )
            result["server"] = _server_time(log, offset, pid)
            result["db_ms"] = sum(timings) * 1000
            result["statements"] = len(timings)
            result["parts"] = {k: (len(v), round(sum(v) * 1000, 1)) for k, v in parts.items()}
            with connection.cursor() as cur:
                started = time.perf_counter()
                for _ in range(200):
                    cur.execute("SELECT 1")
                result["round_trip_ms"] = (time.perf_counter() - started) / 200 * 1000
            result["counts"] = sweep.as_dict()
            assert sweep.counts["breached"] == due and sweep.counts["warning"] == warnings, sweep.as_dict()
            raise Rollback
    except Rollback:
        pass
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--warnings", type=int, default=0)
    parser.add_argument("--events", type=int, default=2, help="timeline events per case already written")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--what-if-drop-index",
        action="append",
        default=[],
        metavar="NAME",
        help="Then measure as many runs again with this index dropped inside each run's rolled-back transaction.",
    )
    parser.add_argument(
        "--server-log",
        type=Path,
        default=None,
        help="The PostgreSQL server log (readable here): sum the server-side duration of every statement.",
    )
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/sweep.py measures PostgreSQL: set DATABASE_URL=postgresql://...")
    settings.DEBUG = False  # no query log: time the statements as production runs them
    settings.CAREDESK_SWEEP_BATCH = 500
    settings.CAREDESK_SWEEP_SETTLE = int(SETTLE.total_seconds())
    call_command("migrate", verbosity=0)
    from caredesk.cases.models import Case, CaseEvent, CaseTarget
    from caredesk.sweep.models import SweepAlert

    seeded: dict[str, float] = {}
    window = CaseTarget.objects.filter(state="running")
    fresh = (
        window.filter(due_at__gte=NOW - timedelta(seconds=30), due_at__lt=NOW).count() == args.due
        and window.filter(warning_at__gt=WATERMARK, warning_at__lte=NOW - SETTLE).count() == args.warnings
    )
    if args.reseed or Case.objects.count() != args.cases or not fresh:
        print(f"seeding {args.cases:,} cases (INSERT ... SELECT) ...", file=sys.stderr)
        seeded = _seed(args.cases, args.due, args.warnings)
    if CaseEvent.objects.count() != args.cases * args.events:
        print(f"writing {args.events} timeline events per case (INSERT ... SELECT) ...", file=sys.stderr)
        seeded |= _seed_events(args.cases, args.events)
    runs = [_measure(args.due, args.warnings, args.server_log, []) for _ in range(args.runs)]
    drop = args.what_if_drop_index
    what_if = [_measure(args.due, args.warnings, args.server_log, drop) for _ in range(args.runs)] if drop else []
    best = min(runs, key=lambda r: r["server"][0] if r["server"] else r["db_ms"])
    print(best["warnings_plan"])
    print(best["breaches_plan"])
    for i, r in [*enumerate(runs, 1), *((f"{n} without {', '.join(drop)}", r) for n, r in enumerate(what_if, 1))]:
        print(
            f"run {i}: find warnings {r['warnings_ms']:.2f} ms + breaches {r['breaches_ms']:.2f} ms (EXPLAIN ANALYZE); "
            f"whole sweep {r['wall_ms']:.0f} ms wall, {r['db_ms']:.0f} ms in {r['statements']} statements "
            f"(statements, ms: {r['parts']}); SELECT 1 round trip {r['round_trip_ms']:.2f} ms; "
            f"server-side (ms, statements, ms by part): {r['server'][:3] if r['server'] else None}; "
            f"server backend (on-CPU ms, waiting for a CPU ms, KiB read from disk): {r['backend']}"
        )
    if best["server"]:
        print(
            "server-side statements of the run with the least server-side time, costliest first (ms, part, statement):"
        )
        for ms, part, sql in best["server"][3][:25]:
            print(f"  {ms:8.3f}  {part:<13} {sql}")
    summary = {
        "cases": args.cases,
        "targets": 3 * args.cases,
        "newly_due": args.due,
        "new_warnings": args.warnings,
        "events_per_case": args.events,
        **seeded,
        "find_ms": round(min(r["warnings_ms"] + r["breaches_ms"] for r in runs), 2),
        "sweep_db_ms_median": round(statistics.median(r["db_ms"] for r in runs), 1),
        "sweep_wall_ms_median": round(statistics.median(r["wall_ms"] for r in runs), 1),
        "statements": best["statements"],
        "db_ms_by_part": best["parts"],
        "select_1_round_trip_ms": round(best["round_trip_ms"], 3),
        "server_side_ms_median": (
            round(statistics.median(r["server"][0] for r in runs), 1) if runs[0]["server"] else None
        ),
        "server_side_ms_by_part": best["server"][2] if best["server"] else None,
        "server_side_ms_each_run": [r["server"][0] if r["server"] else None for r in runs],
        "backend_cpu_ms_each_run": [r["backend"][0] if r["backend"] else None for r in runs],
        "backend_cpu_wait_ms_each_run": [r["backend"][1] if r["backend"] else None for r in runs],
        "backend_disk_read_kib_each_run": [r["backend"][2] if r["backend"] else None for r in runs],
        "what_if_dropped": drop,
        "what_if_server_side_ms_each_run": [r["server"][0] if r["server"] else None for r in what_if],
        "what_if_backend_cpu_ms_each_run": [r["backend"][0] if r["backend"] else None for r in what_if],
        "alerts_table_rows": SweepAlert.objects.count(),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
