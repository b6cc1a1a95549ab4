"""A small set of cases driven through the real case services at chosen instants, whose report
numbers are worked out by hand in the docstring of ``drive_report_cases``.

Tenant A's account works Mon-Fri 09:00-17:00 America/New_York (EDT, UTC-4, in September and
October 2026) with US holidays (none fall on the days used). Its PureEngage Cloud subscription is
Care for Cloud (C4C), its Premier Edition one Business Care for Cloud (BC). Targets:
C4C High 6bh / 4bd / 15bd, Medium 1bd / 10bd / 30bd; BC High 2bh / 2bd / 15bd, Medium 4bh / 5bd / 15bd.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from caredesk.cases import services
from caredesk.cases.models import Case
from tests.conftest import World, case_payload

NY = ZoneInfo("America/New_York")
REPORT_NOW = datetime(2026, 10, 20, 18, 0, tzinfo=ZoneInfo("UTC"))  # Tue 14:00 EDT
PERIOD = ("2026-09-01", "2026-10-31")


def ny(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=NY)


@dataclass
class ReportCases:
    c1: Case
    c2: Case
    c3: Case
    c4: Case
    c5: Case
    c6: Case
    c7: Case
    c9: Case
    b1: Case


def open_case(world: World, dc_tenant: str, service: str, severity: int, at: datetime, title: str) -> Case:
    tenant = world.a if dc_tenant == "a" else world.b
    payload = case_payload(
        tenant.account,
        service=service,
        severity=severity,
        title=title,
        first_observed_at=at - timedelta(hours=2),
    )
    return services.case_open(actor=tenant.dcs[0], payload=payload, now=at)


def drive_report_cases(world: World) -> ReportCases:
    """Eight cases of tenant A and one of tenant B. As of REPORT_NOW (Tue 2026-10-20 14:00 EDT):

    ========  =====  =========================  =================  =====================  ==================
    case      pkg    submitted (EDT)            response           restoration            resolution
    ========  =====  =========================  =================  =====================  ==================
    c1        C4C 2  Tue 09-15 10:00            met 1h             met 24h                met 48h
    c2        C4C 2  Tue 09-15 14:00            breached (24h)     breached (running,     breached (running,
                                                                   due Mon 09-21 14:00)   due Tue 10-06)
    c3        BC 2   Wed 09-16 09:00            met 0.5h           met 31h (15bh)         met 48h
    c4        BC 2   Wed 09-16 09:00            breached (2.5h)    breached (120h, 24bh)  met 121h
    c5        C4C 3  Thu 10-01 10:00            met 23.5h (7.5bh)  cancelled              cancelled
                     (third_party resolve Fri 09:30 responds first)
    c6        BC 2   Mon 10-19 09:00            met 10min          running                running
    c7        C4C 2  Mon 10-19 10:00            met 0.5h           running (paused)       running (paused)
    c9        BC 3   Thu 10-15 09:00            met 1h             met 6h                 running
    b1 (B)    C4C 2  Tue 09-15 10:00            met 0.25h          running->breached      running->breached
    ========  =====  =========================  =================  =====================  ==================
    """
    agent = world.agent
    pec, pe = "pureengage_cloud", "premier_edition"

    c1 = open_case(world, "a", pec, 2, ny("2026-09-15", "10:00"), "c1 login failures")
    services.case_acknowledge(actor=agent, case_id=c1.pk, now=ny("2026-09-15", "11:00"))
    services.case_restore(actor=agent, case_id=c1.pk, summary="restarted", now=ny("2026-09-16", "10:00"))
    services.case_resolve(actor=agent, case_id=c1.pk, code="solution", summary="patched", now=ny("2026-09-17", "10:00"))

    c2 = open_case(world, "a", pec, 2, ny("2026-09-15", "14:00"), "c2 slow reports")
    services.case_acknowledge(actor=agent, case_id=c2.pk, now=ny("2026-09-16", "14:00"))

    c3 = open_case(world, "a", pe, 2, ny("2026-09-16", "09:00"), "c3 IVR down")
    services.case_acknowledge(actor=agent, case_id=c3.pk, now=ny("2026-09-16", "09:30"))
    services.case_restore(actor=agent, case_id=c3.pk, summary="failover", now=ny("2026-09-17", "16:00"))
    services.case_resolve(actor=agent, case_id=c3.pk, code="solution", summary="fixed", now=ny("2026-09-18", "09:00"))

    c4 = open_case(world, "a", pe, 2, ny("2026-09-16", "09:00"), "c4 dropped calls")
    services.case_acknowledge(actor=agent, case_id=c4.pk, now=ny("2026-09-16", "11:30"))
    services.case_restore(actor=agent, case_id=c4.pk, summary="rerouted", now=ny("2026-09-21", "09:00"))
    services.case_resolve(
        actor=agent, case_id=c4.pk, code="workaround", summary="carrier", now=ny("2026-09-21", "10:00")
    )

    c5 = open_case(world, "a", pec, 3, ny("2026-10-01", "10:00"), "c5 CRM plugin")
    services.case_resolve(
        actor=agent, case_id=c5.pk, code="third_party", summary="the CRM vendor's bug", now=ny("2026-10-02", "09:30")
    )

    c6 = open_case(world, "a", pe, 2, ny("2026-10-19", "09:00"), "c6 queue stuck")
    services.case_acknowledge(actor=agent, case_id=c6.pk, now=ny("2026-10-19", "09:10"))

    c7 = open_case(world, "a", pec, 2, ny("2026-10-19", "10:00"), "c7 recording gaps")
    services.case_acknowledge(actor=agent, case_id=c7.pk, now=ny("2026-10-19", "10:30"))
    services.case_await_reseller(
        actor=agent, case_id=c7.pk, message="Please send a call id.", now=ny("2026-10-19", "11:00")
    )

    c9 = open_case(world, "a", pe, 3, ny("2026-10-15", "09:00"), "c9 report totals")
    services.case_acknowledge(actor=agent, case_id=c9.pk, now=ny("2026-10-15", "10:00"))
    services.case_restore(actor=agent, case_id=c9.pk, summary="re-ran", now=ny("2026-10-15", "15:00"))

    b1 = open_case(world, "b", pec, 2, ny("2026-09-15", "10:00"), "b1 tenant B only")
    services.case_acknowledge(actor=agent, case_id=b1.pk, now=ny("2026-09-15", "10:15"))

    return ReportCases(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6, c7=c7, c9=c9, b1=b1)
