"""The reports' preparation (caredesk/reports/services.py: reports_prepare), what ``caredesk worker``
runs in the background so that the first report after installing, restoring or seeding does not
build everything: it builds the day blocks and what-if rows a report and a what-if would build,
the same ones, so that they then only read; a second run does nothing; a change makes it rebuild
that case's day and rows only; a run out of time says so and the next one carries on; the worker's
scheduler enqueues it once per interval; the command runs it to the end."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caredesk.cases import services
from caredesk.reports import facts, selectors
from caredesk.reports import services as services_module
from caredesk.reports.models import DayBlock, WhatIfReplay
from caredesk.reports.services import PREPARE, reports_prepare
from caredesk.reports.tasks import reports_prepare_task
from caredesk.sweep.models import SweepState
from caredesk.sweep.scheduler import Periodic, SweepScheduler
from caredesk.tenancy.models import User
from tests.conftest import World
from tests.integration.reports_support import REPORT_NOW, ReportCases, drive_report_cases, ny, open_case

pytestmark = pytest.mark.django_db

START, END = date(2026, 9, 1), date(2026, 10, 31)
PACKAGES = ("care_for_cloud", "business_care_for_cloud", "pure_success")


@pytest.fixture
def cases(world: World) -> ReportCases:
    cases = drive_report_cases(world)
    DayBlock.objects.all().delete()  # from empty, as after installing or restoring
    WhatIfReplay.objects.all().delete()
    facts._decoded.clear()
    return cases


def what_if(actor: User, package: str) -> dict[str, Any]:
    w = selectors.what_if_for_actor(
        actor=actor, reseller_id=actor.reseller_id, start=START, end=END, package=package, now=REPORT_NOW
    )
    out = w.to_json()
    out.pop("generated_at")
    return out


def report(actor: User) -> dict[str, Any]:
    query = selectors.report_query(today=END, start=START, end=END, group_by="account")
    out = selectors.sla_report_for_actor(actor=actor, query=query, now=REPORT_NOW).to_json()
    out.pop("generated_at")
    return out


def writes(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_a_prepared_report_and_what_if_only_read_and_answer_what_they_would_have_built(
    world: World, cases: ReportCases
) -> None:
    dc = world.a.dcs[0]
    # The answers each builds for itself, from empty; then empty again and prepared.
    built = {"report": report(world.agent), **{p: what_if(dc, p) for p in PACKAGES}}
    DayBlock.objects.all().delete()
    WhatIfReplay.objects.all().delete()
    facts._decoded.clear()

    result = reports_prepare(now=REPORT_NOW, budget=None)
    case_days = {c.submitted_at.date() for c in (cases.c1, cases.c2, cases.c5, cases.c7, cases.b1)}
    assert not result.busy and not result.more
    assert result.days_rebuilt == DayBlock.objects.count() >= len(case_days)
    every_case = 9  # the eight of tenant A and b1, each under each of the three packages
    assert result.replays == WhatIfReplay.objects.count() == every_case * len(PACKAGES)

    facts._decoded.clear()  # another process: the web server's
    with CaptureQueriesContext(connection) as ctx:
        prepared = {"report": report(world.agent), **{p: what_if(dc, p) for p in PACKAGES}}
    assert not writes(ctx)
    assert prepared == built


def test_a_second_run_does_nothing_and_a_change_rebuilds_its_day_and_rows_only(
    world: World, cases: ReportCases
) -> None:
    reports_prepare(now=REPORT_NOW, budget=None)
    again = reports_prepare(now=REPORT_NOW, budget=None)
    assert (again.days_rebuilt, again.replays) == (0, 0)

    blocks = dict(DayBlock.objects.values_list("day", "token"))
    rows = {(r.case_id, r.package): r.case_version for r in WhatIfReplay.objects.all()}
    services.case_restore(actor=world.agent, case_id=cases.c6.pk, summary="ok", now=ny("2026-10-19", "12:00"))
    after = reports_prepare(now=REPORT_NOW, budget=None)
    assert (after.days_rebuilt, after.replays) == (1, len(PACKAGES))
    changed_blocks = {d for d, token in DayBlock.objects.values_list("day", "token") if blocks[d] != token}
    assert changed_blocks == {cases.c6.submitted_at.date()}
    changed_rows = {
        (r.case_id, r.package) for r in WhatIfReplay.objects.all() if rows[r.case_id, r.package] != r.case_version
    }
    assert changed_rows == {(cases.c6.pk, p) for p in PACKAGES}


def test_a_run_out_of_time_does_one_transactions_work_says_so_and_the_next_carries_on(
    world: World, cases: ReportCases
) -> None:
    runs = [reports_prepare(now=REPORT_NOW, budget=0)]
    assert runs[0].more and runs[0].days_rebuilt == DayBlock.objects.count() > 0 and runs[0].replays == 0
    while runs[-1].more:
        runs.append(reports_prepare(now=REPORT_NOW, budget=0))
    # One transaction each: the days (fewer than CHUNK_DAYS), then each package's nine cases.
    assert [(r.days_rebuilt, r.replays) for r in runs] == [(runs[0].days_rebuilt, 0), (0, 9), (0, 9), (0, 9)]
    state = SweepState.objects.get(name=PREPARE)
    assert state.last_finished_at == REPORT_NOW and state.last_result == runs[-1].as_dict()


def test_the_task_enqueues_the_next_run_while_work_is_left(
    world: World, cases: ReportCases, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    opened_today(world)  # inside both windows whatever today's date is
    monkeypatch.setattr(services_module, "PREPARE_BUDGET_SECONDS", 0)
    with caplog.at_level(logging.INFO, logger="caredesk.reports"):
        first = reports_prepare_task.enqueue()  # the test settings run tasks at once, and the next ones
    assert first.return_value["more"] is True
    runs = [r for r in caplog.records if getattr(r, "event", "") == "reports_prepared"]
    assert len(runs) >= 2 and getattr(runs[-1], "more") is False
    assert sum(getattr(r, "replays") for r in runs) == WhatIfReplay.objects.count() >= len(PACKAGES)


def test_only_the_what_ifs_default_period_is_replayed_ahead(world: World, cases: ReportCases) -> None:
    # Six months after the cases, the what-if's default period (this month and the five before)
    # no longer holds them: their blocks are still built (the 12-month reports), their rows not.
    later = REPORT_NOW + timedelta(days=250)
    result = reports_prepare(now=later, budget=None)
    assert result.days_rebuilt > 0 and result.replays == 0
    assert not WhatIfReplay.objects.exists()


def opened_today(world: World) -> int:
    """A case submitted now: inside both windows of a run at today's date, whatever the date."""
    return open_case(world, "a", "pureengage_cloud", 2, timezone.now(), "opened today").pk


def test_the_scheduler_enqueues_it_once_per_interval_and_it_runs(world: World, cases: ReportCases) -> None:
    today = opened_today(world)
    scheduler = SweepScheduler(interval=30, worker="test-worker", others=[Periodic(PREPARE, 60, reports_prepare_task)])
    assert scheduler.tick_all() == ["sla", PREPARE]  # the test settings run tasks at once (ImmediateBackend)
    assert scheduler.tick_all() == []
    ran = SweepState.objects.get(name=PREPARE)
    assert ran.last_finished_at is not None and ran.last_result["busy"] is False
    # What it did at today's date (the report cases may be outside its windows by then), as it says.
    assert ran.last_result["days_rebuilt"] == DayBlock.objects.count()
    assert ran.last_result["replays"] == WhatIfReplay.objects.count()
    assert WhatIfReplay.objects.filter(case_id=today).count() == len(PACKAGES)
    assert DayBlock.objects.filter(day=timezone.now().date()).exists()


def test_the_command_runs_it_to_the_end(world: World, cases: ReportCases) -> None:
    today = opened_today(world)
    out = StringIO()
    call_command("reports", "prepare", stdout=out)
    result = json.loads(out.getvalue())
    assert result["busy"] is False and result["more"] is False
    assert result["days_rebuilt"] == DayBlock.objects.count() > 0
    assert result["replays"] == WhatIfReplay.objects.count() >= len(PACKAGES)
    assert WhatIfReplay.objects.filter(case_id=today).count() == len(PACKAGES)
