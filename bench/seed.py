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
own sequences, so seeding a database that is in use is safe. Finally the tables are ANALYZEd.
The last line printed is a JSON summary: rows per table, seconds, cases per second.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
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


def run_batch(index: int, size: int, seed: int) -> dict[str, int]:
    """Plan, build and write ``size`` cases in one transaction; returns rows per table."""
    from django.apps import apps
    from django.db import transaction

    from bench.seedgen import Ids, Rows, build_case, plan_case
    from bench.sink import Sink
    from caredesk.cases.models import Case, CaseEvent, CaseTarget, Comment

    world = WORLD
    rng = random.Random(seed * 1_000_003 + index)
    plans = [plan_case(rng, world) for _ in range(size)]
    sink = Sink()
    attachment = _model(apps, "cases", "Attachment")
    rows = Rows()
    with transaction.atomic():
        case_id = sink.reserve(Case, size)
        comments = Ids(sink.reserve(Comment, sum(p.n_comments for p in plans)))
        files = Ids(sink.reserve(attachment, sum(p.n_attachments for p in plans)) if attachment else 0)
        for offset, plan in enumerate(plans):
            build_case(plan, world, case_id + offset, comments, files, rows)
        for model, table in ((CaseEvent, rows.events), (CaseTarget, rows.targets)):
            first = sink.reserve(model, len(table))
            for i, row in enumerate(table):
                row["id"] = first + i
        sink.write(Case, rows.cases)
        sink.write(CaseEvent, rows.events)
        sink.write(CaseTarget, rows.targets)
        sink.write(Comment, rows.comments)
        if attachment and rows.attachments:
            sink.write(attachment, rows.attachments)
            if world.write_files:
                _write_files(rows.attachments)
    return sink.counts


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
) -> dict[str, Any]:
    """Seed the configured database; returns the summary (also usable from tests)."""
    global WORLD
    from django.db import connection, connections

    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    resellers = resellers or max(2, cases // 1000)
    WORLD = build_world(
        cases=cases, resellers=resellers, accounts_per=accounts_per, dcs_per=dcs_per, agents=agents, now=now
    )
    WORLD.write_files = files
    counts: dict[str, int] = {}

    def add(part: dict[str, int]) -> None:
        for k, v in part.items():
            counts[k] = counts.get(k, 0) + v

    add(seed_maintenance(WORLD, notices=max(10, cases // 20_000), seed=seed))
    sizes = [min(batch, cases - i) for i in range(0, cases, batch)]
    done = 0
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
    load_seconds = time.perf_counter() - started
    if analyze and connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in counts:
                cur.execute(f'ANALYZE "{table}"')
    seconds = time.perf_counter() - started
    return {
        "cases": cases,
        "resellers": resellers,
        "accounts": len(WORLD.accounts),
        "rows": counts,
        "load_seconds": round(load_seconds, 1),
        "seconds": round(seconds, 1),
        "cases_per_s": round(cases / seconds) if seconds else None,
        "jobs": jobs,
        "database": connection.vendor,
    }


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
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
