"""The sweep on a real database (issue 5, items 1 and 2), driven with ``now=``: warnings and breaches
recorded exactly once, catch-up in order after downtime, paused and met targets skipped, the
settle time and the watermark's ties, escalation recipients, the scheduler's lease, health and structured logs.

Tenant A's case (Care for Cloud, High) opened Monday 2026-11-16 10:00 New York: response 6bh is due
16:00 with its warning at 75 % (14:30); restoration 4bd is due Friday 10:00, warning Thursday 10:00."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.test import Client

from caredesk.cases import services as case_services
from caredesk.cases.models import CaseTarget
from caredesk.notifications.models import EmailDelivery
from caredesk.sweep.models import SweepAlert
from caredesk.sweep.scheduler import SweepScheduler
from caredesk.sweep.selectors import sweep_health
from caredesk.sweep.services import sweep_run, sweep_schedule_claim
from caredesk.tenancy import services as tenancy_services
from config.logging import JsonFormatter
from tests.conftest import World
from tests.integration.sweep.support import alerts, kinds, ny, open_case

pytestmark = pytest.mark.django_db

T0 = ny("2026-11-16 10:00")


def recipients(dedupe_key: str) -> set[int]:
    return set(EmailDelivery.objects.filter(dedupe_key=dedupe_key).values_list("recipient_id", flat=True))


def test_warning_then_breach_are_each_recorded_exactly_once(world: World) -> None:
    case = open_case(world, at=T0)
    assert sweep_run(now=ny("2026-11-16 14:29")).counts["warning"] == 0
    # A warning is read once the settle time (15 s) has passed over its instant.
    assert sweep_run(now=ny("2026-11-16 14:30:14")).counts["warning"] == 0
    first = sweep_run(now=ny("2026-11-16 14:30:15"))
    assert first.finished and first.counts["warning"] == 1 and first.counts["breached"] == 0
    assert sweep_run(now=ny("2026-11-16 14:45")).counts.total() == 0
    assert sweep_run(now=ny("2026-11-16 16:00")).counts["breached"] == 0  # met exactly at due is met
    second = sweep_run(now=ny("2026-11-16 16:00:01"))
    assert second.counts["breached"] == 1 and second.counts["warning"] == 0
    assert sweep_run(now=ny("2026-11-16 18:00")).counts.total() == 0
    assert kinds(case, "sla_") == ["sla_warning", "sla_breached"]
    assert alerts(case) == [("response", "warning"), ("response", "breached")]
    response = CaseTarget.objects.get(case=case, kind="response")
    assert response.state == "breached"
    assert CaseTarget.objects.get(case=case, kind="restoration").state == "running"
    warning, breach = case.events.filter(kind__startswith="sla_").order_by("seq")
    assert warning.internal and not breach.internal and breach.actor_id is None and breach.channel == "system"
    assert breach.data == {"target": "response", "crossed_at": "2026-11-16T21:00:00+00:00"}


def test_a_later_event_does_not_record_the_breach_again(world: World) -> None:
    case = open_case(world, at=T0)
    sweep_run(now=ny("2026-11-16 16:30"))
    # The agent answers late: the engine keeps the response breached (met later) and so does the sweep.
    case_services.case_acknowledge(actor=world.agent, case_id=case.pk, now=ny("2026-11-16 16:40"))
    assert CaseTarget.objects.get(case=case, kind="response").state == "breached"
    sweep_run(now=ny("2026-11-17 09:00"))
    assert kinds(case, "sla_breached") == ["sla_breached"]


def test_catch_up_after_downtime_records_every_crossing_in_order(world: World) -> None:
    cases = [open_case(world, at=T0 + timedelta(minutes=7 * i)) for i in range(5)]
    result = sweep_run(now=ny("2026-11-20 12:00"), batch_size=3)  # the workers were down all week
    assert result.finished and result.batches > 3
    # Per case: response warning + breach, restoration warning + breach (Thu 10:00 / Fri 10:00 + i*7 min).
    assert result.counts["warning"] == 10 and result.counts["breached"] == 10
    recorded = list(SweepAlert.objects.order_by("pk").values_list("crossed_at", "alert"))
    assert [at for at, _ in recorded] == sorted(at for at, _ in recorded)
    for case in cases:
        assert kinds(case, "sla_") == ["sla_warning", "sla_breached", "sla_warning", "sla_breached"]
        assert alerts(case) == [
            ("response", "warning"),
            ("response", "breached"),
            ("restoration", "warning"),
            ("restoration", "breached"),
        ]
    assert sweep_run(now=ny("2026-11-20 12:05")).counts.total() == 0


def test_paused_and_met_targets_are_skipped(world: World) -> None:
    met = open_case(world, at=T0)
    case_services.case_acknowledge(actor=world.agent, case_id=met.pk, now=ny("2026-11-16 11:00"))
    case_services.case_restore(actor=world.agent, case_id=met.pk, summary="Failover", now=ny("2026-11-16 12:00"))
    paused = open_case(world, at=T0)
    case_services.case_await_reseller(
        actor=world.agent, case_id=paused.pk, message="Please send the SIP trace.", now=ny("2026-11-16 11:00")
    )
    result = sweep_run(now=ny("2026-11-20 16:00"))  # past every restoration warning and due of the week
    assert result.counts.total() == 0
    assert kinds(met, "sla_") == [] and kinds(paused, "sla_") == []
    # The reseller answers: the clocks run again from where they stood, and the sweep sees them again.
    case_services.case_comment(
        actor=world.a.dcs[0], case_id=paused.pk, body="Trace attached.", now=ny("2026-11-23 09:00")
    )
    later = sweep_run(now=ny("2026-11-26 09:00"))
    assert ("restoration", "warning") in alerts(paused) and later.counts["warning"] >= 1


def test_a_warning_written_by_a_commit_that_lands_after_a_sweep_is_read_by_the_next_one(world: World) -> None:
    case = open_case(world, at=T0)
    sweep_run(now=ny("2026-11-16 11:00"))  # read warnings up to 10:59:45
    # A write that started at 10:59:50 (its warning instant: the write's own instant) and committed
    # after that sweep had read: it is still ahead of the watermark.
    CaseTarget.objects.filter(case=case, kind="response").update(warning_at=ny("2026-11-16 10:59:50"))
    assert sweep_run(now=ny("2026-11-16 11:00:30")).counts["warning"] == 1
    assert alerts(case) == [("response", "warning")]


def test_ties_at_a_batch_end_are_neither_skipped_nor_read_twice(world: World) -> None:
    cases = [open_case(world, at=T0) for _ in range(5)]  # five response warnings at the same instant
    result = sweep_run(now=ny("2026-11-16 14:31"), batch_size=2)
    assert result.counts["warning"] == 5 and result.counts["already_recorded"] == 0
    assert all(alerts(c) == [("response", "warning")] for c in cases)


def test_escalation_notifies_the_assigned_agent_and_the_care_managers(world: World) -> None:
    case = open_case(world, at=T0)
    case_services.case_assign(actor=world.manager, case_id=case.pk, assignee_id=world.agent.pk, now=T0)
    retired = tenancy_services.user_create(
        actor=world.admin, email="old.manager@vendor.test", name="Old", role="care_manager", password="x" * 12
    )
    tenancy_services.user_deactivate(actor=world.admin, user_id=retired.pk)
    sweep_run(now=ny("2026-11-16 16:30"))
    expected = {world.agent.pk, world.manager.pk}
    assert recipients(f"sla_warning:{case.pk}:response") == expected
    assert recipients(f"sla_breached:{case.pk}:response") == expected
    sweep_run(now=ny("2026-11-16 16:45"))
    assert EmailDelivery.objects.filter(dedupe_key__startswith="sla_").count() == 4


def test_without_an_assignee_the_managers_hear_of_it(world: World) -> None:
    case = open_case(world, at=T0)
    sweep_run(now=ny("2026-11-16 16:30"))
    assert recipients(f"sla_breached:{case.pk}:response") == {world.manager.pk}


def test_a_medium_case_is_recorded_but_not_escalated(world: World) -> None:
    case = open_case(world, at=T0, severity=3)  # response 1bd: due Tuesday 10:00
    sweep_run(now=ny("2026-11-17 10:30"))
    assert kinds(case, "sla_") == ["sla_warning", "sla_breached"]
    assert not EmailDelivery.objects.filter(dedupe_key__contains=f":{case.pk}:").exists()


def test_the_scheduler_lease_has_one_winner_per_interval() -> None:
    at = ny("2026-11-16 10:00")
    assert sweep_schedule_claim(now=at, interval=30, worker="w1") is True
    assert sweep_schedule_claim(now=at, interval=30, worker="w2") is False
    assert sweep_schedule_claim(now=at + timedelta(seconds=29), interval=30, worker="w2") is False
    assert sweep_schedule_claim(now=at + timedelta(seconds=30), interval=30, worker="w2") is True


def test_a_scheduler_tick_enqueues_a_sweep_that_runs(world: World) -> None:
    scheduler = SweepScheduler(interval=30, worker="test-worker")
    assert scheduler.tick_all() == ["sla"]  # the test settings run tasks at once (ImmediateBackend)
    assert scheduler.tick_all() == []
    assert sweep_health(now=ny("2030-01-01 00:00"))["last_sweep_at"] is not None


def test_health_reports_the_age_of_the_last_sweep(world: World) -> None:
    assert sweep_health(now=T0)["status"] == "never"
    response = Client().get("/health/worker")
    assert response.status_code == 503 and response.json()["status"] == "never"
    sweep_run(now=T0)
    fresh = sweep_health(now=T0 + timedelta(seconds=20))
    assert fresh["status"] == "ok" and fresh["age_seconds"] == 20.0
    assert sweep_health(now=T0 + timedelta(minutes=5))["status"] == "stale"
    sweep_run()  # now
    body = Client().get("/health/worker").json()
    assert body["status"] == "ok" and body["age_seconds"] < 60


def test_the_sweep_says_what_it_did_in_structured_logs(world: World, caplog: pytest.LogCaptureFixture) -> None:
    case = open_case(world, at=T0)
    with caplog.at_level(logging.INFO, logger="caredesk.sweep"):
        sweep_run(now=ny("2026-11-16 16:30"), worker="w-log")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "caredesk.sweep"]
    finished = [x for x in lines if x.get("event") == "sweep_finished"]
    assert len(finished) == 1 and finished[0]["warning"] == 1 and finished[0]["breached"] == 1
    assert finished[0]["worker"] == "w-log"
    breached = [x for x in lines if x.get("event") == "sla_breached"]
    assert breached and breached[0]["case_id"] == case.pk and breached[0]["target"] == "response"
