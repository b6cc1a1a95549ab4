"""Realistic caredesk data at any size, through bulk paths (issue 8, item 1).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/caredesk_bench \\
        .venv/bin/python bench/seed.py --cases 1000000 [--jobs 2] [--batch 5000] [--seed 1]

Writes vendor staff (agents, managers, CSMs), resellers (sizes skewed like a real channel: a few
large, many small), their Designated Contacts and staff, End User Accounts on several business
calendars, subscriptions, then cases with full timelines: hash-chained events, public comments,
internal notes, attachment metadata (when the attachments model exists), SLA targets computed by
the real engine, and unplanned maintenance notices with their audiences (when the maintenance app
exists). bench/seedgen.py says how a history is built and why it is exactly what the services
would have stored.

Rows go in with COPY (PostgreSQL) or executemany (SQLite), a batch of cases per transaction, so an
interrupted run leaves only whole cases. ``--jobs`` processes build and write batches side by
side (each batch's content depends only on ``--seed`` and its number). Ids come from the tables'
own sequences, reserved in short transactions of their own, so seeding a database that is in use
is safe. On PostgreSQL, when the case tables are empty (``--defer auto``; ``always`` for a large
top-up, ``never`` to load through them), their secondary indexes, unique constraints and foreign
keys are dropped before the COPYs and built once afterwards, validated, exactly as the migrations
made them (see drop_deferrable): maintaining a dozen indexes and seven keys row by row is what
made a large load slow. Finally the tables are ANALYZEd.
The last line printed is a JSON summary: rows per table, seconds, cases per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CALENDARS: list[tuple[str, str, dict[str, Any]]] = [
    ("US", "Contact Centre", {"timezone": "America/New_York", "holiday_country": "US"}),
    (
        "US",
        "Operations",
        {
            "timezone": "America/Chicago",
            "hours": {d: [["08:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "holiday_country": "US",
        },
    ),
    ("GB", "Customer Service", {"timezone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG"}),
    ("DE", "Kundendienst", {"timezone": "Europe/Berlin", "holiday_country": "DE"}),
    ("AU", "Support", {"timezone": "Australia/Sydney", "holiday_country": "AU", "holiday_subdivision": "NSW"}),
]
SUBSCRIPTIONS = [
    [("pureengage_cloud", "care_for_cloud"), ("premier_edition", "business_care_for_cloud")],
    [("pureengage_cloud", "business_care_for_cloud"), ("outbound_engagement", "care_for_cloud")],
    [("premier_edition", "pure_success"), ("social_analytics", "care_for_cloud")],
]

WORLD: Any = None  # set before forking, so batch processes inherit it instead of unpickling it


def _django() -> None:
    import django

    django.setup()


def build_world(*, cases: int, resellers: int, accounts_per: int, dcs_per: int, agents: int, now: datetime) -> Any:
    """Vendor staff, resellers, DCs, accounts and subscriptions (small: a few thousand rows)."""
    from django.apps import apps
    from django.db import transaction

    from bench.seedgen import Account, World
    from bench.sink import Sink, as_json
    from caredesk.domain.sla.calendar import BusinessCalendar
    from caredesk.sla.services import policy_current, policy_of
    from caredesk.tenancy.models import EndUserAccount, Reseller, Subscription, User

    sink = Sink()
    version = policy_current()
    cals = [(c, d, BusinessCalendar.from_dict(raw).to_dict()) for c, d, raw in CALENDARS]
    compiled = [BusinessCalendar.from_dict(cal) for _, _, cal in cals]
    with transaction.atomic():
        uid = sink.reserve(User, agents + 20 + resellers * (dcs_per + 1))
        first_user = uid
        vendor: list[dict[str, Any]] = []
        for i in range(agents + 20):
            role = "care_agent" if i < agents else ("care_manager" if i < agents + 5 else "csm")
            vendor.append(_user(uid, f"{role}{uid}@seed.invalid", f"{role} {uid}", role, None, now))
            uid += 1
        agent_ids = [u["id"] for u in vendor[:agents]]
        csm_ids = [u["id"] for u in vendor[agents + 5 :]]
        rid = sink.reserve(Reseller, resellers)
        reseller_rows, people, account_rows, subs, world_accounts, weights = [], [], [], [], [], []
        aid = sink.reserve(EndUserAccount, resellers * accounts_per)
        for r in range(resellers):
            reseller_rows.append({"id": rid + r, "name": f"Seed Reseller {rid + r:07d}", "created_at": now})
            dcs = []
            for j in range(dcs_per + 1):
                role = "designated_contact" if j < dcs_per else "reseller_staff"
                people.append(
                    _user(uid, f"{role[:5]}{j}.r{rid + r}@seed.invalid", f"{role} {j}", role, rid + r, now, j == 0)
                )
                if j < dcs_per:
                    dcs.append(uid)
                uid += 1
            weight = 1.0 / (r + 1) ** 0.7  # a few large resellers, a long tail of small ones
            for a in range(accounts_per):
                country, dept, cal = cals[(r + a) % len(cals)]
                subscribed = SUBSCRIPTIONS[(r * 7 + a) % len(SUBSCRIPTIONS)]
                account_rows.append(
                    {
                        "id": aid,
                        "reseller_id": rid + r,
                        "name": f"Account {a + 1} of reseller {rid + r}",
                        "department": dept,
                        "country": country,
                        "calendar": cal,
                        "csm_id": csm_ids[(r + a) % len(csm_ids)],
                        "created_at": now,
                    }
                )
                for service, package in subscribed:
                    subs.append(
                        {
                            "reseller_id": rid + r,
                            "account_id": aid,
                            "service": service,
                            "package": package,
                            "term_start": date(2024, 1, 1),
                            "term_end": date(2030, 12, 31),
                            "deployment_timezone": cal["timezone"],
                        }
                    )
                world_accounts.append(
                    Account(aid, rid + r, dept, cal, compiled[(r + a) % len(cals)], list(subscribed), dcs, as_json(cal))
                )
                weights.append(weight / accounts_per)
                aid += 1
        sink.write(User, vendor)
        sink.write(Reseller, reseller_rows)
        sink.write(User, people)
        sink.write(EndUserAccount, account_rows)
        sub_first = sink.reserve(Subscription, len(subs))
        sink.write(Subscription, [{"id": sub_first + i, **s} for i, s in enumerate(subs)])
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    world = World(
        now=now,
        policy_id=version.pk,
        policy_key=version.key,
        policy=policy_of(version),
        agents=agent_ids,
        accounts=world_accounts,
        account_weights=cumulative,
        with_attachments=_model(apps, "cases", "Attachment") is not None,
    )
    world.first_user = first_user  # type: ignore[attr-defined]
    return world


def _user(
    uid: int, email: str, name: str, role: str, reseller: int | None, now: datetime, on_call: bool = False
) -> Any:
    return {
        "id": uid,
        "password": "!seed",
        "email": email,
        "name": name,
        "role": role,
        "reseller_id": reseller,
        "available_24x7": on_call,
        "timezone": "UTC",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
        "date_joined": now,
        "last_login": None,
    }


def _model(apps: Any, app: str, name: str) -> Any:
    try:
        return apps.get_model(app, name)
    except LookupError:
        return None


def _write_files(rows: list[dict[str, Any]]) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from bench.seedgen import attachment_bytes

    for row in rows:
        name = default_storage.save(row["storage_name"], ContentFile(attachment_bytes(row["case_id"], row["id"])))
        assert name == row["storage_name"], f"storage renamed {row['storage_name']}"


def run_batch(index: int, size: int, seed: int) -> tuple[dict[str, int], dict[str, float]]:
    """Plan, build and write ``size`` cases in one transaction; returns rows per table and seconds
    per step (building the rows, each table's COPY, the commit)."""
    from django.apps import apps
    from django.db import transaction

    from bench.seedgen import Ids, Rows, build_case, plan_case
    from bench.sink import Sink
    from caredesk.cases.models import Case, CaseEvent, CaseTarget, Comment

    world = WORLD
    clock = time.perf_counter
    seconds: dict[str, float] = {}
    rng = random.Random(seed * 1_000_003 + index)
    started = clock()
    plans = [plan_case(rng, world) for _ in range(size)]
    sink = Sink()
    attachment = _model(apps, "cases", "Attachment")
    rows = Rows()
    # Ids are reserved in short transactions of their own: the reservation's advisory lock lasts
    # until its transaction ends, and held over the build and the COPYs it made the jobs take turns.
    with transaction.atomic():
        case_id = sink.reserve(Case, size)
        comments = Ids(sink.reserve(Comment, sum(p.n_comments for p in plans)))
        files = Ids(sink.reserve(attachment, sum(p.n_attachments for p in plans)) if attachment else 0)
    for offset, plan in enumerate(plans):
        build_case(plan, world, case_id + offset, comments, files, rows)
    with transaction.atomic():
        for model, table in ((CaseEvent, rows.events), (CaseTarget, rows.targets)):
            first = sink.reserve(model, len(table))
            for i, row in enumerate(table):
                row["id"] = first + i
    seconds["build"] = clock() - started
    writes = [(Case, rows.cases), (CaseEvent, rows.events), (CaseTarget, rows.targets), (Comment, rows.comments)]
    if attachment and rows.attachments:
        writes.append((attachment, rows.attachments))
    with transaction.atomic():  # the batch's rows: all or none of them
        for model, table_rows in writes:
            started = clock()
            sink.write(model, table_rows)
            seconds[f"copy {model._meta.db_table}"] = clock() - started
        if attachment and rows.attachments and world.write_files:
            _write_files(rows.attachments)
        started = clock()
    seconds["commit"] = clock() - started
    return sink.counts, seconds


def _child_init() -> None:
    from django.db import connections

    connections.close_all()  # never share the parent's socket


def seed_maintenance(world: Any, *, notices: int, seed: int) -> dict[str, int]:
    """Unplanned and emergency notices of the last two years, each reaching a share of resellers."""
    from datetime import timedelta

    from django.apps import apps
    from django.db import transaction

    from bench.sink import Sink

    notice_model = _model(apps, "maintenance", "MaintenanceNotice")
    audience_model = _model(apps, "maintenance", "NoticeReseller")
    if notice_model is None or audience_model is None or notices <= 0:
        return {}
    rng = random.Random(seed)
    sink = Sink()
    resellers = sorted({a.reseller_id for a in world.accounts})
    services = ["pureengage_cloud", "premier_edition", "outbound_engagement", "social_analytics"]
    with transaction.atomic():
        first = sink.reserve(notice_model, notices)
        rows, audience = [], []
        for i in range(notices):
            start = world.now - timedelta(days=730 * rng.random())
            rows.append(
                {
                    "id": first + i,
                    "service": services[i % len(services)],
                    "start": start,
                    "end": start + timedelta(minutes=rng.choice([30, 60, 120, 240])),
                    "reason": "Database failover of the media tier.",
                    "emergency": rng.random() < 0.2,
                    "posted_by_id": world.agents[i % len(world.agents)],
                    "posted_at": start - timedelta(hours=2),
                    "cancel_reason": "",
                }
            )
            for rid in rng.sample(resellers, max(1, len(resellers) // 10)):
                audience.append({"notice_id": first + i, "reseller_id": rid, "notified_at": start - timedelta(hours=2)})
        first_aud = sink.reserve(audience_model, len(audience))
        for i, row in enumerate(audience):
            row["id"] = first_aud + i
        sink.write(notice_model, rows)
        sink.write(audience_model, audience)
    return sink.counts


# ---------------------------------------------------------------- indexes and keys, built once


@dataclass
class Deferred:
    """The secondary indexes, unique constraints and foreign keys of the tables the batches fill,
    read from the catalog (``pg_get_indexdef`` / ``pg_get_constraintdef``) before they are dropped,
    so that they are rebuilt exactly as the migrations made them."""

    drops: list[str] = field(default_factory=list)
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (table, CREATE [UNIQUE] INDEX)
    attach: list[str] = field(default_factory=list)  # unique constraints over their rebuilt indexes
    keys: list[str] = field(default_factory=list)  # ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID
    validate: list[tuple[str, str]] = field(default_factory=list)  # (table, VALIDATE CONSTRAINT)

    def ddl(self) -> list[str]:
        """Every statement rebuild() runs, in its order (printed if a run dies before it)."""
        return [sql for _, sql in self.indexes] + self.attach + self.keys + [sql for _, sql in self.validate]


def loaded_tables() -> list[str]:
    """The tables run_batch writes: the bulk of the rows, worth loading without indexes."""
    from django.apps import apps

    from caredesk.cases.models import Case, CaseEvent, CaseTarget, Comment

    models = [Case, CaseEvent, CaseTarget, Comment, _model(apps, "cases", "Attachment")]
    return [m._meta.db_table for m in models if m is not None]


def drop_deferrable(tables: list[str]) -> Deferred:
    """Drop the foreign keys, unique constraints and secondary indexes of ``tables`` (primary keys
    stay: the id reservation reads them and other tables' keys point at them), returning how to
    build them again. An index is dropped only if a statement was found that builds it again exactly:
    PostgreSQL does not always read back its own ``pg_get_indexdef`` as the same expression (a
    partial index's ``status IN (...)`` comes back as an array of casts), so each candidate, the
    catalog's definition and then the migrations' own SQL (Django's schema editor), is tried on an
    empty copy of the table and kept if the catalog then describes the copy's index identically.
    Constraints or indexes that another table's foreign key depends on are left in place."""
    from django.db import connection

    plan = Deferred()
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.conrelid::regclass::text, quote_ident(c.conname), c.contype, pg_get_constraintdef(c.oid),
                      pg_get_indexdef(c.conindid), c.condeferrable, c.condeferred
                 FROM pg_constraint c
                WHERE c.conrelid = ANY(%s::regclass[])
                  AND (c.contype = 'f'
                       OR (c.contype = 'u' AND NOT EXISTS (  -- no foreign key relies on the unique index
                               SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)))
                ORDER BY c.conrelid::regclass::text, c.conname""",
            [tables],
        )
        constraints = cur.fetchall()
        cur.execute(
            """SELECT i.indrelid::regclass::text, c.relname, i.indexrelid::regclass::text,
                      pg_get_indexdef(i.indexrelid)
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1, 2""",
            [tables],
        )
        indexes = cur.fetchall()
    exact = _exact_builds(
        [(t, d, [d]) for t, _, kind, _, d, _, _ in constraints if kind == "u"]
        + [(t, d, [d, *_migration_sql(t, name)]) for t, name, _, d in indexes]
    )
    for table, name, contype, definition, index_def, deferrable, deferred in constraints:
        if contype == "u" and index_def not in exact:
            continue
        plan.drops.append(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        if contype == "f":
            plan.keys.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID")
            plan.validate.append((table, f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"))
        else:  # the unique index is built with the others, then becomes the constraint's again
            plan.indexes.append((table, exact[index_def]))
            timing = (" DEFERRABLE" + (" INITIALLY DEFERRED" if deferred else "")) if deferrable else ""
            plan.attach.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}{timing}")
    for table, _, qualified, definition in indexes:
        if definition in exact:
            plan.drops.append(f"DROP INDEX {qualified}")
            plan.indexes.append((table, exact[definition]))
    with connection.cursor() as cur:
        for sql in plan.drops:
            cur.execute(sql)
    return plan


def _migration_sql(table: str, index: str) -> list[str]:
    """The CREATE INDEX the migrations ran for ``index`` of ``table``, from the models."""
    from django.apps import apps
    from django.db import connection

    for model in apps.get_models():
        if model._meta.db_table == table:
            with connection.schema_editor(collect_sql=True, atomic=False) as editor:
                return [str(s) for s in editor._model_indexes_sql(model) if str(s.parts["name"]).strip('"') == index]
    return []


_ON_TABLE = re.compile(r" ON (ONLY )?(\S+) USING ")


def _exact_builds(candidates: list[tuple[str, str, list[str]]]) -> dict[str, str]:
    """For each (table, catalog definition, statements), the first statement that, run on an empty
    temporary copy of the table, makes an index the catalog describes with the same definition."""
    from django.db import DatabaseError, connection, transaction

    found: dict[str, str] = {}
    with transaction.atomic(), connection.cursor() as cur:
        for n, (table, definition, statements) in enumerate(candidates):
            probe = f"seed_probe_{n}"
            cur.execute(f"CREATE TEMPORARY TABLE {probe} (LIKE {table})")
            for sql in statements:
                cur.execute("SAVEPOINT seed_probe")
                made: list[str] = []
                try:
                    if _ON_TABLE.search(sql):  # the catalog's form: ON schema.table USING
                        cur.execute(_ON_TABLE.sub(rf" ON \1pg_temp.{probe} USING ", sql, count=1))
                    else:  # the schema editor's form: ON "table" (...)
                        cur.execute(sql.replace(f' ON "{table}" ', f" ON pg_temp.{probe} ", 1))
                    cur.execute(
                        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
                        [f"pg_temp.{probe}"],
                    )
                    made = [row[0] for row in cur.fetchall()]
                except DatabaseError:
                    pass  # a statement that does not build it is no candidate
                cur.execute("ROLLBACK TO SAVEPOINT seed_probe")
                if [_ON_TABLE.sub(" ON T USING ", m, count=1) for m in made] == [
                    _ON_TABLE.sub(" ON T USING ", definition, count=1)
                ]:
                    found[definition] = sql
                    break
        transaction.set_rollback(True)  # the probes leave nothing behind
    return found


def rebuild(plan: Deferred, *, sessions: int, memory: str = "512MB") -> dict[str, float]:
    """Build the dropped indexes (largest tables first, ``sessions`` connections side by side), turn
    the unique ones back into their constraints, add the foreign keys NOT VALID and then validate
    every row against them (VALIDATE CONSTRAINT, the check ADD would make, one table per session so
    that sessions never wait for each other's locks). Inside a transaction (a test) everything runs
    on this connection, in the same order."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections

    tables = sorted({t for t, _ in plan.indexes} | {t for t, _ in plan.validate})
    with connection.cursor() as cur:
        cur.execute("SELECT oid::regclass::text, relpages FROM pg_class WHERE oid = ANY(%s::regclass[])", [tables])
        pages = dict(cur.fetchall())
    workers = max(0, (os.cpu_count() or 1) // max(1, sessions) - 1)  # parallel sort workers per session
    inline = connection.in_atomic_block or sessions <= 1

    def configure(cur: Any) -> None:
        cur.execute(f"SET maintenance_work_mem = '{memory}'")
        cur.execute(f"SET max_parallel_maintenance_workers = {workers}")

    def run(jobs: list[list[str]]) -> None:
        """Each job is a list of statements run in order on one connection."""
        if inline:
            with connection.cursor() as cur:
                configure(cur)
                for job in jobs:
                    for sql in job:
                        cur.execute(sql)
            return
        queue = list(reversed(jobs))

        def drain() -> None:
            conn = connections["default"]  # this thread's own connection
            try:
                with conn.cursor() as cur:
                    configure(cur)
                    while True:
                        try:
                            job = queue.pop()  # atomic under the GIL
                        except IndexError:
                            return
                        for sql in job:
                            cur.execute(sql)
            finally:
                conn.close()

        with ThreadPoolExecutor(sessions) as pool:
            for future in [pool.submit(drain) for _ in range(sessions)]:
                future.result()

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    run([[sql] for table, sql in sorted(plan.indexes, key=lambda item: -pages.get(item[0], 0))])
    seconds["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cur:
        for sql in plan.attach + plan.keys:
            cur.execute(sql)
    by_table: dict[str, list[str]] = {}
    for table, sql in plan.validate:
        by_table.setdefault(table, []).append(sql)
    run([by_table[t] for t in sorted(by_table, key=lambda t: -pages.get(t, 0))])
    seconds["foreign_keys"] = time.perf_counter() - started
    return seconds


def seed(
    *,
    cases: int,
    resellers: int | None = None,
    accounts_per: int = 4,
    dcs_per: int = 3,
    agents: int = 40,
    batch: int = 5000,
    jobs: int = 1,
    seed: int = 1,
    now: datetime | None = None,
    analyze: bool = True,
    progress: bool = False,
    files: bool = False,
    defer: str = "auto",
) -> dict[str, Any]:
    """Seed the configured database; returns the summary (also usable from tests).

    ``defer`` (PostgreSQL only): "auto" loads the case tables without their secondary indexes,
    unique constraints and foreign keys when those tables are empty, and builds them once at the
    end (maintaining them row by row is what made a large load slow); "always" does so even over
    existing rows (a large top-up; the database is without those indexes meanwhile); "never" loads
    through them, as a top-up into a database in use must. Inside a caller's transaction nothing is
    deferred (its rows' deferred key checks are pending, and PostgreSQL alters no table with pending
    checks)."""
    global WORLD
    from django.db import connection, connections

    if defer not in ("auto", "always", "never"):
        raise ValueError(f"defer must be auto, always or never, not {defer!r}")
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    resellers = resellers or max(2, cases // 1000)
    WORLD = build_world(
        cases=cases, resellers=resellers, accounts_per=accounts_per, dcs_per=dcs_per, agents=agents, now=now
    )
    WORLD.write_files = files
    counts: dict[str, int] = {}
    steps: dict[str, float] = {}

    def add(part: tuple[dict[str, int], dict[str, float]]) -> None:
        rows, seconds = part
        for k, v in rows.items():
            counts[k] = counts.get(k, 0) + v
        for k, s in seconds.items():
            steps[k] = steps.get(k, 0.0) + s

    add((seed_maintenance(WORLD, notices=max(10, cases // 20_000), seed=seed), {}))
    deferred: Deferred | None = None
    if connection.vendor == "postgresql" and defer != "never" and not connection.in_atomic_block:
        tables = loaded_tables()
        with connection.cursor() as cur:
            empty = all(_empty(cur, t) for t in tables)
        if empty or defer == "always":
            deferred = drop_deferrable(tables)
    sizes = [min(batch, cases - i) for i in range(0, cases, batch)]
    done = 0
    try:
        if jobs <= 1:
            for index, size in enumerate(sizes):
                add(run_batch(index, size, seed))
                done += size
                _progress(progress, done, cases, started)
        else:
            connections.close_all()
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs, initializer=_child_init) as pool:
                results = [pool.apply_async(run_batch, (i, s, seed)) for i, s in enumerate(sizes)]
                for result, size in zip(results, sizes, strict=True):
                    add(result.get())
                    done += size
                    _progress(progress, done, cases, started)
    except BaseException:
        if deferred is not None:  # leave the schema whole, with the batches that were committed
            print("seed: interrupted; rebuilding the dropped indexes and keys", file=sys.stderr, flush=True)
            rebuild(deferred, sessions=1)
        raise
    load_seconds = time.perf_counter() - started
    built: dict[str, float] = {}
    if deferred is not None:
        if progress:
            print(f"building {len(deferred.ddl())} indexes and keys", file=sys.stderr, flush=True)
        built = rebuild(deferred, sessions=max(1, jobs))
    mark = time.perf_counter()
    if analyze and connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in counts:
                cur.execute(f'ANALYZE "{table}"')
    built["analyze"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    return {
        "cases": cases,
        "resellers": resellers,
        "accounts": len(WORLD.accounts),
        "rows": counts,
        "load_seconds": round(load_seconds, 1),
        "deferred": len(deferred.ddl()) if deferred else 0,
        "after_load_seconds": {k: round(v, 1) for k, v in built.items()},
        "batch_seconds": {k: round(v, 1) for k, v in steps.items()},  # summed over the jobs
        "seconds": round(seconds, 1),
        "cases_per_s": round(cases / seconds) if seconds else None,
        "jobs": jobs,
        "database": connection.vendor,
    }


def _empty(cur: Any, table: str) -> bool:
    cur.execute(f'SELECT NOT EXISTS (SELECT 1 FROM "{table}")')
    return bool(cur.fetchone()[0])


def _progress(enabled: bool, done: int, total: int, started: float) -> None:
    if enabled:
        elapsed = time.perf_counter() - started
        print(f"{done:>9,} / {total:,} cases  {elapsed:7.1f} s  {done / elapsed:8.0f}/s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--resellers", type=int, default=None, help="default: one per 1,000 cases (at least 2)")
    parser.add_argument("--accounts-per-reseller", type=int, default=4)
    parser.add_argument("--dcs-per-reseller", type=int, default=3)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", type=str, default=None, help="the reference instant (ISO 8601); default: now")
    parser.add_argument(
        "--defer",
        choices=["auto", "always", "never"],
        default="auto",
        help="build the case tables' indexes and foreign keys after the load: auto = when those tables are empty",
    )
    args = parser.parse_args(argv)
    _django()
    from bench.seedgen import utc

    summary = seed(
        cases=args.cases,
        resellers=args.resellers,
        accounts_per=args.accounts_per_reseller,
        dcs_per=args.dcs_per_reseller,
        agents=args.agents,
        batch=args.batch,
        jobs=args.jobs,
        seed=args.seed,
        now=utc(args.now) if args.now else None,
        progress=True,
        defer=args.defer,
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
