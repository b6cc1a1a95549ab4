"""Cases on a known calendar for the sweep and post-incident tests, driven with ``now=``.

Tenant A's account works Mon-Fri 09:00-17:00 America/New_York with US holidays. The week used is
Monday 2026-11-16 ... Friday 2026-11-20 (EST, UTC-5); Thursday 2026-11-26 is Thanksgiving."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from caredesk.cases import services as case_services
from caredesk.cases.models import Case, CaseEvent
from caredesk.sweep.models import SweepAlert
from tests.conftest import World, case_payload

NY = ZoneInfo("America/New_York")


def ny(text: str) -> datetime:
    """``ny("2026-11-16 10:00")``: a New York wall-clock instant."""
    return datetime.fromisoformat(text).replace(tzinfo=NY)


def open_case(
    world: World, *, at: datetime, severity: int = 2, service: str = "pureengage_cloud", **extra: Any
) -> Case:
    """A case of tenant A opened by its first DC at ``at`` (pureengage_cloud: Care for Cloud)."""
    payload = case_payload(world.a.account, severity=severity, service=service, **extra)
    payload["first_observed_at"] = datetime.fromisoformat(payload["first_observed_at"])
    return case_services.case_open(actor=world.a.dcs[0], payload=payload, now=at)


def critical_case(world: World, *, at: datetime) -> Case:
    """Opened High at ``at``, raised to Critical after the DC's telephone call at the same instant."""
    case = open_case(world, at=at, severity=2)
    return case_services.case_raise_to_critical(
        actor=world.agent, case_id=case.pk, phone_call_at=at, available_contact_id=world.a.dcs[0].pk, now=at
    )


def resolve(world: World, case: Case, *, at: datetime, code: str = "solution") -> Case:
    return case_services.case_resolve(actor=world.agent, case_id=case.pk, code=code, summary="fixed", now=at)


def kinds(case: Case, prefix: str = "") -> list[str]:
    """The case's timeline event kinds (those starting with ``prefix``), in order."""
    return [
        k
        for k in CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True)
        if k.startswith(prefix)
    ]


def alerts(case: Case) -> list[tuple[str, str]]:
    return list(SweepAlert.objects.filter(case=case).order_by("pk").values_list("subject", "alert"))
