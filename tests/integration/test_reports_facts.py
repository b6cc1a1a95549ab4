"""The reports' derived tables stay exact: the day blocks (caredesk/reports/facts.py) answer what
the stored targets answer, counted here row by row without them, after every kind of change a case
goes through; only the changed day is read again; a report after a change is computed afresh
even though reports are cached; the stored what-if replays answer what a replay from scratch
answers and only a changed case is replayed again; the pages' statement counts do not grow."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.cases import services
from caredesk.cases.models import CaseTarget
from caredesk.cases.selectors import case_visible_for_actor
from caredesk.reports import facts, selectors
from caredesk.reports.models import DayBlock, WhatIfReplay
from caredesk.reports.stats import KINDS, PERCENTILES, SlaReport, hours, percentile_cont
from caredesk.tenancy.models import User
from tests.conftest import World
from tests.integration.reports_support import REPORT_NOW, ReportCases, drive_report_cases, ny, open_case

pytestmark = pytest.mark.django_db

START, END = date(2026, 9, 1), date(2026, 10, 31)


@pytest.fixture
def cases(world: World) -> ReportCases:
    return drive_report_cases(world)


def report(actor: User, now: datetime, group_by: str = "package") -> SlaReport:
    query = selectors.report_query(today=END, start=START, end=END, group_by=group_by)
    return selectors.sla_report_for_actor(actor=actor, query=query, now=now)


def counted_row_by_row(actor: User, now: datetime) -> dict[str, Any]:
    """The totals and per-package numbers straight from the stored targets, without the blocks:
    the bucket rule of stats.py and ``percentile_cont`` over sorted met durations."""
    start = datetime(START.year, START.month, START.day, tzinfo=UTC)
    end = datetime(END.year, END.month, END.day, tzinfo=UTC) + timedelta(days=1)
    visible = case_visible_for_actor(actor=actor).filter(submitted_at__gte=start, submitted_at__lt=end)
    out: dict[str, Any] = defaultdict(lambda: {"cases": 0, **{k: defaultdict(int) for k in KINDS}})
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for t in CaseTarget.objects.filter(case__in=visible).select_related("case"):
        bucket = selectors._stored_bucket(t.state, t.due_at, now)
        for group in ("total", t.case.package):
            out[group][t.kind][bucket] += 1
            if t.kind == "response":
                out[group]["cases"] += 1
            if t.met_at is not None:
                durations[group, t.kind].append((t.met_at - t.case.submitted_at).total_seconds())
    for (group, kind), values in durations.items():
        values.sort()
        ranked = dict(enumerate(values))
        for name, fraction in PERCENTILES:
            out[group][kind][name] = hours(percentile_cont(ranked, len(values), fraction))
    return {
        group: {key: dict(v) if isinstance(v, defaultdict) else v for key, v in n.items()} for group, n in out.items()
    }


def as_counted(r: SlaReport) -> dict[str, Any]:
    def numbers(cases: int, targets: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"cases": cases}
        for kind in KINDS:
            t = targets[kind]
            found = {b: getattr(t, b) for b in ("met", "breached", "running", "cancelled", "not_applicable")}
            found = {b: n for b, n in found.items() if n}
            found |= {name: getattr(t, name) for name, _ in PERCENTILES if getattr(t, name) is not None}
            out[kind] = found
        return out

    got = {"total": numbers(r.totals.cases, r.totals.targets)} if r.totals.cases else {}
    for g in r.groups:
        got[g.key["package"]] = numbers(g.cases, g.targets)
    return got


def assert_blocks_answer_the_targets(actor: User, now: datetime) -> None:
    assert as_counted(report(actor, now)) == counted_row_by_row(actor, now)


def forget_blocks() -> None:
    DayBlock.objects.all().delete()
    facts._decoded.clear()


def test_day_blocks_answer_the_stored_targets_after_every_kind_of_change(world: World, cases: ReportCases) -> None:
    agent, dc = world.agent, world.a.dcs[0]
    steps_at = REPORT_NOW - timedelta(hours=2)
    assert_blocks_answer_the_targets(agent, REPORT_NOW)
    new = open_case(world, "a", "pureengage_cloud", 2, ny("2026-10-20", "09:00"), "opened after the blocks")
    changes = [
        lambda: None,
        lambda: services.case_acknowledge(actor=agent, case_id=new.pk, now=steps_at),  # response met
        lambda: services.case_change_severity(  # severity: every target due again
            actor=agent, case_id=new.pk, severity=3, reason="one site only", now=steps_at + timedelta(minutes=5)
        ),
        lambda: services.case_await_reseller(  # paused
            actor=agent, case_id=new.pk, message="logs?", now=steps_at + timedelta(minutes=10)
        ),
        lambda: services.case_resume(actor=agent, case_id=new.pk, now=steps_at + timedelta(minutes=20)),
        lambda: services.case_restore(actor=agent, case_id=cases.c2.pk, summary="late", now=steps_at),  # old day
        lambda: services.case_resolve(actor=agent, case_id=cases.c6.pk, code="solution", summary="done", now=steps_at),
        lambda: services.case_reopen(actor=dc, case_id=cases.c1.pk, reason="back again", now=steps_at),
        lambda: services.case_resolve(
            actor=agent, case_id=new.pk, code="third_party", summary="carrier", now=steps_at + timedelta(hours=1)
        ),
    ]
    for change in changes:
        change()
        for actor in (agent, dc, world.csm, world.b.dcs[0]):
            assert_blocks_answer_the_targets(actor, REPORT_NOW)
    kept = report(agent, REPORT_NOW, "account").to_json()
    forget_blocks()
    assert report(agent, REPORT_NOW, "account").to_json() == kept  # the same from empty blocks


def test_a_stored_block_read_later_counts_a_running_target_past_due_as_breached(
    world: World, cases: ReportCases
) -> None:
    report(world.agent, REPORT_NOW)  # stores the blocks
    later = REPORT_NOW + timedelta(days=30)
    r = report(world.agent, later)
    assert r.totals.targets["resolution"].running == 1  # only c7's paused clock is still running
    assert as_counted(r) == counted_row_by_row(world.agent, later)


def test_a_change_rebuilds_the_block_of_its_day_only(world: World, cases: ReportCases) -> None:
    report(world.agent, REPORT_NOW)
    before = dict(DayBlock.objects.values_list("day", "token"))
    services.case_restore(actor=world.agent, case_id=cases.c2.pk, summary="late", now=REPORT_NOW)
    with CaptureQueriesContext(connection) as ctx:
        report(world.agent, REPORT_NOW)
    after = dict(DayBlock.objects.values_list("day", "token"))
    assert set(after) == set(before)
    assert {day for day in after if after[day] != before[day]} == {date(2026, 9, 15)}  # c2's (and b1's) day
    rebuilt = [q["sql"] for q in ctx.captured_queries if "cases_casetarget" in q["sql"]]
    assert len(rebuilt) == 1 and rebuilt[0].split("WHERE")[1].count("submitted_at") == 2  # one day's range


def test_the_first_cached_report_after_a_change_is_computed_afresh(world: World, cases: ReportCases) -> None:
    query = selectors.report_query(today=END, start=START, end=END)
    first = selectors.sla_report_cached(actor=world.agent, query=query, policy=None)
    assert selectors.sla_report_cached(actor=world.agent, query=query, policy=None).generated_at == first.generated_at
    assert first.totals.targets["restoration"].met == 3
    services.case_restore(actor=world.agent, case_id=cases.c6.pk, summary="ok", now=ny("2026-10-19", "12:00"))
    after = selectors.sla_report_cached(actor=world.agent, query=query, policy=None)
    assert after.generated_at != first.generated_at
    assert after.totals.targets["restoration"].met == 4


# --------------------------------------------------------------------------- what-if


def what_if(actor: User, package: str, now: datetime = REPORT_NOW) -> dict[str, Any]:
    w = selectors.what_if_for_actor(
        actor=actor, reseller_id=world_reseller(actor), start=START, end=END, package=package, now=now
    )
    out = w.to_json()
    out.pop("generated_at")
    return out


def world_reseller(actor: User) -> int | None:
    return actor.reseller_id


def test_stored_replays_answer_a_replay_from_scratch_and_only_changed_cases_replay_again(
    world: World, cases: ReportCases
) -> None:
    dc = world.a.dcs[0]
    stored = what_if(dc, "care_for_cloud")
    replays = {r.case_id: r.case_version for r in WhatIfReplay.objects.filter(package="care_for_cloud")}
    tenant_a = {c.pk for c in (cases.c1, cases.c2, cases.c3, cases.c4, cases.c5, cases.c6, cases.c7, cases.c9)}
    assert set(replays) == tenant_a  # a row per case: replayed (Business Care) or as stored (Care for Cloud)
    own = WhatIfReplay.objects.get(package="care_for_cloud", case=cases.c1)
    c1_targets = {t.kind: (t.state, t.due_at) for t in CaseTarget.objects.filter(case=cases.c1)}
    assert {k: (getattr(own, f"{k}_state"), getattr(own, f"{k}_due_at")) for k in KINDS} == c1_targets
    assert {k: (getattr(own, f"actual_{k}_state"), getattr(own, f"actual_{k}_due_at")) for k in KINDS} == c1_targets
    WhatIfReplay.objects.all().delete()
    assert what_if(dc, "care_for_cloud") == stored

    services.case_restore(actor=world.agent, case_id=cases.c6.pk, summary="ok", now=ny("2026-10-19", "12:00"))
    again = what_if(dc, "care_for_cloud")
    now_stored = {r.case_id: r.case_version for r in WhatIfReplay.objects.filter(package="care_for_cloud")}
    assert {pk for pk in now_stored if now_stored[pk] != replays[pk]} == {cases.c6.pk}
    WhatIfReplay.objects.all().delete()
    assert what_if(dc, "care_for_cloud") == again != stored


@pytest.mark.parametrize("days_later", [0, 3, 40])
def test_a_stored_replay_read_later_is_the_replay_as_of_that_instant(
    world: World, cases: ReportCases, days_later: int
) -> None:
    dc, later = world.a.dcs[0], REPORT_NOW + timedelta(days=days_later)
    what_if(dc, "business_care_for_cloud")  # stored as of REPORT_NOW's request
    from_store = what_if(dc, "business_care_for_cloud", later)
    WhatIfReplay.objects.all().delete()
    assert what_if(dc, "business_care_for_cloud", later) == from_store


def test_a_history_with_an_event_after_now_is_replayed_as_of_now_and_not_stored(
    world: World, cases: ReportCases
) -> None:
    dc = world.a.dcs[0]
    before_ack = ny("2026-09-15", "10:30")  # c1 acknowledged at 11:00
    first = what_if(dc, "business_care_for_cloud", before_ack)
    assert not WhatIfReplay.objects.filter(case=cases.c1).exists()
    assert first["targets"]["response"]["what_if"]["running"] >= 1


# --------------------------------------------------------------------------- statements


def page_statements(user: User, path: str) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "path",
    [
        f"/reports/?from={START}&to={END}&group_by=account",
        f"/reports/sla.csv?from={START}&to={END}&group_by=reseller",
        f"/reports/what-if/?from={START}&to={END}&package=pure_success",
    ],
)
def test_report_pages_statement_count_does_not_grow_with_cases(world: World, cases: ReportCases, path: str) -> None:
    dc = world.a.dcs[0]
    counts = []
    for i in range(2):
        counts.append(page_statements(dc, path))  # nothing stored yet / the new cases' day changed
        for j in range(3):
            at = ny("2026-09-22", "10:00") + timedelta(hours=i * 3 + j)
            case = open_case(world, "a", "premier_edition", 3, at, f"more {i}{j}")
            services.case_acknowledge(actor=world.agent, case_id=case.pk, now=at + timedelta(minutes=5))
    counts.append(page_statements(dc, path))
    assert counts[1] == counts[2] and counts[0] <= counts[1] + 1, counts
