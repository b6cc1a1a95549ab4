"""A breach the clocks store at a case write, before any sweep saw the target running past its due
instant, is still recorded once: DOMAIN.md "Breach" and issue 5 item 1 ("each event recorded
exactly once")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caredesk.cases import services
from caredesk.cases.models import CaseEvent
from caredesk.sweep.models import SweepAlert
from caredesk.sweep.services import sweep_run
from tests.conftest import World, case_payload

pytestmark = pytest.mark.django_db


def test_a_late_first_response_records_the_breach_once_and_the_sweep_adds_nothing(world: World) -> None:
    t0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
    payload = case_payload(world.a.account, first_observed_at=t0 - timedelta(hours=1))
    case = services.case_open(actor=world.a.dcs[0], payload=payload, now=t0)
    # Care for Cloud, High: response 6 business hours. The agent answers three days later, and no
    # sweep ran meanwhile (workers down).
    late = t0 + timedelta(days=3)
    services.case_acknowledge(actor=world.agent, case_id=case.pk, now=late)
    breaches = CaseEvent.objects.filter(case=case, kind="sla_breached")
    assert [e.data["target"] for e in breaches] == ["response"]
    assert SweepAlert.objects.filter(case=case, alert="breached").count() == 1
    sweep_run(now=late + timedelta(minutes=1))
    assert CaseEvent.objects.filter(case=case, kind="sla_breached", data__target="response").count() == 1
