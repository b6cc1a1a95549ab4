"""After the incident (DOMAIN.md; guide section 2) on a real database, driven with ``now=``: the
post-mortem opened on Service Resolution with its due date on the account's calendar, the meeting
scheduled, held (Critical needs the root cause analysis) or not applicable, reopening, the
Incident Report requested, written, published and downloaded as a PDF, and the sweep's reminders
and escalations when a due date passes. Dates: see tests/integration/sweep/support.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caredesk.cases import services as case_services
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.incidents import selectors
from caredesk.incidents import services as incident_services
from caredesk.incidents.models import IncidentReport, PostMortem
from caredesk.incidents.pdf import incident_report_pdf
from caredesk.notifications.models import EmailDelivery
from caredesk.sweep.services import sweep_run
from tests.conftest import World
from tests.integration.incidents.pdftext import pdf_text
from tests.integration.sweep.support import critical_case, kinds, ny, open_case, resolve

pytestmark = pytest.mark.django_db

T0 = ny("2026-11-16 10:00")


def resolved_high(world: World, at: str = "2026-11-17 11:00") -> PostMortem:
    case = open_case(world, at=T0)
    case_services.case_assign(actor=world.manager, case_id=case.pk, assignee_id=world.agent.pk, now=T0)
    resolve(world, case, at=ny(at))
    return PostMortem.objects.get(case=case)


def held(world: World, pm: PostMortem, at: str, rca: str = "") -> PostMortem:
    return incident_services.post_mortem_hold(
        actor=world.agent, post_mortem_id=pm.pk, root_cause_analysis=rca, held_at=ny(at), now=ny(at)
    )


def recipients(key: str) -> set[int]:
    return set(EmailDelivery.objects.filter(dedupe_key=key).values_list("recipient_id", flat=True))


# ------------------------------------------------------------------ opening


def test_service_resolution_of_a_high_case_opens_a_post_mortem_due_in_five_business_days(world: World) -> None:
    pm = resolved_high(world)
    assert pm.status == "due" and pm.severity == 2
    assert pm.resolved_at == ny("2026-11-17 11:00")
    assert pm.due_at == ny("2026-11-24 11:00")
    assert pm.case.sla["post_mortem_due"] == "2026-11-24T16:00:00Z"  # the engine's, stored on the case
    assert pm.reminder_at == ny("2026-11-20 17:00")  # 75 % of 40 business hours: Friday's closing time
    assert kinds(pm.case, "post_mortem") == ["post_mortem_opened"]
    assert recipients(f"post_mortem_opened:{pm.pk}") == {dc.pk for dc in world.a.dcs}


def test_a_critical_post_mortem_is_due_in_two_business_days_on_the_account_calendar(world: World) -> None:
    case = critical_case(world, at=T0)
    resolve(world, case, at=ny("2026-11-24 15:00"))  # Tuesday; Thursday 26 is Thanksgiving
    pm = PostMortem.objects.get(case=case)
    assert pm.severity == 1 and pm.due_at == ny("2026-11-27 15:00")
    assert pm.reminder_at == ny("2026-11-27 11:00")


def test_third_party_resolution_and_medium_cases_owe_no_post_mortem(world: World) -> None:
    third = open_case(world, at=T0)
    resolve(world, third, at=ny("2026-11-17 11:00"), code="third_party")
    medium = open_case(world, at=T0, severity=3)
    resolve(world, medium, at=ny("2026-11-17 11:00"))
    assert not PostMortem.objects.filter(case__in=[third, medium]).exists()
    assert kinds(third, "post_mortem") == [] and kinds(medium, "post_mortem") == []


# ------------------------------------------------------------------ the meeting


def test_customer_care_schedules_then_records_the_meeting_held(world: World) -> None:
    pm = resolved_high(world)
    with pytest.raises(PermissionDenied):
        incident_services.post_mortem_schedule(
            actor=world.a.dcs[0], post_mortem_id=pm.pk, meeting_at=ny("2026-11-19 14:00"), now=ny("2026-11-18 09:00")
        )
    with pytest.raises(ValidationFailed) as err:
        incident_services.post_mortem_schedule(
            actor=world.agent, post_mortem_id=pm.pk, meeting_at=ny("2026-11-17 10:00"), now=ny("2026-11-18 09:00")
        )
    assert "meeting_at" in err.value.errors
    incident_services.post_mortem_schedule(
        actor=world.agent, post_mortem_id=pm.pk, meeting_at=ny("2026-11-19 14:00"), now=ny("2026-11-18 09:00")
    )
    pm = incident_services.post_mortem_schedule(
        actor=world.agent, post_mortem_id=pm.pk, meeting_at=ny("2026-11-20 14:00"), now=ny("2026-11-18 10:00")
    )
    assert pm.status == "scheduled" and pm.meeting_at == ny("2026-11-20 14:00")
    assert recipients(f"post_mortem_scheduled:{pm.pk}:{pm.version}") == {dc.pk for dc in world.a.dcs}
    pm = incident_services.post_mortem_hold(actor=world.agent, post_mortem_id=pm.pk, now=ny("2026-11-20 15:30"))
    assert pm.status == "held" and pm.held_at == ny("2026-11-20 14:00")  # the scheduled time, which has come
    assert kinds(pm.case, "post_mortem") == [
        "post_mortem_opened",
        "post_mortem_scheduled",
        "post_mortem_rescheduled",
        "post_mortem_held",
    ]
    with pytest.raises(InvalidTransition):
        incident_services.post_mortem_schedule(
            actor=world.agent, post_mortem_id=pm.pk, meeting_at=ny("2026-11-23 14:00"), now=ny("2026-11-21 10:00")
        )


def test_a_critical_post_mortem_cannot_be_completed_without_a_root_cause_analysis(world: World) -> None:
    case = critical_case(world, at=T0)
    resolve(world, case, at=ny("2026-11-17 11:00"))
    pm = PostMortem.objects.get(case=case)
    with pytest.raises(ValidationFailed) as err:
        held(world, pm, "2026-11-18 10:00")
    assert "root_cause_analysis" in err.value.errors
    assert PostMortem.objects.get(pk=pm.pk).status == "due"
    pm = held(world, pm, "2026-11-18 10:00", rca="A certificate expired on the SIP proxy pool.")
    assert pm.status == "held" and pm.root_cause_analysis.startswith("A certificate")


def test_customer_care_marks_a_post_mortem_not_applicable_with_a_reason(world: World) -> None:
    pm = resolved_high(world)
    with pytest.raises(ValidationFailed):
        incident_services.post_mortem_mark_not_applicable(actor=world.agent, post_mortem_id=pm.pk, reason=" ")
    pm = incident_services.post_mortem_mark_not_applicable(
        actor=world.agent, post_mortem_id=pm.pk, reason="The reseller declined a meeting.", now=ny("2026-11-18 09:00")
    )
    assert pm.status == "not_applicable" and pm.not_applicable_reason == "The reseller declined a meeting."
    sweep_run(now=ny("2026-12-01 09:00"))
    assert kinds(pm.case, "post_mortem_") == ["post_mortem_opened", "post_mortem_not_applicable"]  # nothing is due


def test_reopening_cancels_an_open_post_mortem_and_the_next_resolution_opens_a_new_one(world: World) -> None:
    pm = resolved_high(world)
    case_services.case_reopen(
        actor=world.a.dcs[0], case_id=pm.case_id, reason="It failed again.", now=ny("2026-11-18 09:00")
    )
    assert PostMortem.objects.get(pk=pm.pk).status == "cancelled"
    resolve(world, pm.case, at=ny("2026-11-18 15:00"))
    again = PostMortem.objects.get(case=pm.case, status="due")
    assert again.pk != pm.pk and again.due_at == ny("2026-11-25 15:00")
    assert kinds(pm.case, "post_mortem") == ["post_mortem_opened", "post_mortem_cancelled", "post_mortem_opened"]
    # A meeting already held stays as history when the case is reopened.
    held(world, again, "2026-11-19 10:00")
    case_services.case_reopen(actor=world.a.dcs[0], case_id=pm.case_id, reason="Once more.", now=ny("2026-11-19 11:00"))
    assert PostMortem.objects.get(pk=again.pk).status == "held"


# ------------------------------------------------------------------ the Incident Report


def test_the_incident_report_is_requested_after_the_meeting_and_due_three_business_days_later(world: World) -> None:
    pm = resolved_high(world)
    with pytest.raises(InvalidTransition):
        incident_services.incident_report_request(
            actor=world.a.dcs[0], post_mortem_id=pm.pk, request="Please send it.", now=ny("2026-11-18 09:00")
        )
    pm = held(world, pm, "2026-11-19 14:00")
    with pytest.raises(PermissionDenied):
        incident_services.incident_report_request(
            actor=world.a.staff, post_mortem_id=pm.pk, request="Please send it.", now=ny("2026-11-19 15:00")
        )
    with pytest.raises(NotFound):
        incident_services.incident_report_request(
            actor=world.b.dcs[0], post_mortem_id=pm.pk, request="Please send it.", now=ny("2026-11-19 15:00")
        )
    report = incident_services.incident_report_request(
        actor=world.a.dcs[0],
        post_mortem_id=pm.pk,
        request="Please send the written report.",
        now=ny("2026-11-19 15:00"),
    )
    assert report.due_at == ny("2026-11-24 14:00")  # Thursday's meeting + 24 business hours
    assert "case opened" in report.timeline  # drafted from the case's public timeline
    assert recipients(f"incident_report_requested:{report.pk}") == {world.agent.pk}
    with pytest.raises(InvalidTransition):
        incident_services.incident_report_request(
            actor=world.a.dcs[1], post_mortem_id=pm.pk, request="Again.", now=ny("2026-11-19 16:00")
        )


def test_customer_care_writes_and_publishes_the_report_and_the_pdf_holds_it(world: World) -> None:
    pm = held(world, resolved_high(world), "2026-11-19 14:00")
    report = incident_services.incident_report_request(
        actor=world.a.dcs[0], post_mortem_id=pm.pk, request="Please send it.", now=ny("2026-11-19 15:00")
    )
    dc_view = selectors.incident_report_view(actor=world.a.dcs[0], report=report)
    assert dc_view["summary"] is None and dc_view["timeline"] is None  # drafts are Customer Care's
    with pytest.raises(PermissionDenied):
        incident_services.incident_report_write(
            actor=world.a.dcs[0], incident_report_id=report.pk, changes={"summary": "x"}
        )
    incident_services.incident_report_write(
        actor=world.agent,
        incident_report_id=report.pk,
        changes={
            "summary": "Agents in Chicago could not log in for 50 minutes.",
            "root_cause": "An expired certificate.",
        },
        now=ny("2026-11-20 10:00"),
    )
    with pytest.raises(ValidationFailed) as err:
        incident_services.incident_report_publish(
            actor=world.agent, incident_report_id=report.pk, now=ny("2026-11-20 11:00")
        )
    assert set(err.value.errors) == {"remediation"}
    report = incident_services.incident_report_write(
        actor=world.agent,
        incident_report_id=report.pk,
        changes={"remediation": "Certificates now renew automatically 30 days ahead."},
        if_match=2,
        now=ny("2026-11-20 11:00"),
    )
    report = incident_services.incident_report_publish(
        actor=world.agent, incident_report_id=report.pk, if_match=report.version, now=ny("2026-11-20 12:00")
    )
    assert report.status == "published" and report.published_at == ny("2026-11-20 12:00")
    with pytest.raises(InvalidTransition):
        incident_services.incident_report_write(
            actor=world.agent, incident_report_id=report.pk, changes={"summary": "x"}
        )
    assert selectors.incident_report_view(actor=world.a.dcs[0], report=report)["summary"].startswith("Agents")
    assert recipients(f"incident_report_published:{report.pk}") == {dc.pk for dc in world.a.dcs}
    text = pdf_text(incident_report_pdf(report=IncidentReport.objects.get(pk=report.pk)))
    for expected in (
        "Incident Report",
        f"#{pm.case_id} ",
        "Summary",
        "Agents in Chicago could not log in for 50 minutes.",
        "Root cause",
        "An expired certificate.",
        "Steps to address the root causes",
        "Certificates now renew automatically 30 days ahead.",
        "2026-11-19 19:00 UTC",  # the meeting
    ):
        assert expected in text, expected
    assert kinds(pm.case, "incident_report") == [
        "incident_report_requested",
        "incident_report_updated",
        "incident_report_updated",
        "incident_report_published",
    ]


# ------------------------------------------------------------------ reminders and escalation


def test_reminders_before_each_due_date_and_escalation_when_one_passes(world: World) -> None:
    pm = resolved_high(world)  # due Tue 2026-11-24 11:00, reminder Fri 2026-11-20 17:00
    sweep_run(now=ny("2026-11-20 16:59"))
    assert kinds(pm.case, "post_mortem_") == ["post_mortem_opened"]
    assert sweep_run(now=ny("2026-11-20 17:00")).counts["reminder"] == 1
    assert recipients(f"post_mortem_reminder:{pm.pk}") == {world.agent.pk}  # who works it
    assert sweep_run(now=ny("2026-11-23 09:00")).counts.total() == 0
    assert sweep_run(now=ny("2026-11-24 11:00:01")).counts["overdue"] == 1
    assert recipients(f"post_mortem_overdue:{pm.pk}") == {world.agent.pk, world.manager.pk}  # the escalation
    assert sweep_run(now=ny("2026-11-25 09:00")).counts.total() == 0
    reminder, overdue = pm.case.events.filter(kind__in=["post_mortem_reminder", "post_mortem_overdue"]).order_by("seq")
    assert reminder.internal and not overdue.internal

    pm = held(world, pm, "2026-11-25 10:00")
    report = incident_services.incident_report_request(
        actor=world.a.dcs[0], post_mortem_id=pm.pk, request="Please send it.", now=ny("2026-11-25 11:00")
    )
    assert report.due_at == ny("2026-12-01 10:00")  # Wed + 3bd, Thanksgiving not counted
    sweep_run(now=ny("2026-12-02 09:00"))  # the workers were down past the due date: the escalation, no reminder
    assert kinds(pm.case, "incident_report_") == ["incident_report_requested", "incident_report_overdue"]
    assert recipients(f"incident_report_overdue:{report.pk}") == {world.agent.pk, world.manager.pk}


def test_a_report_reminder_comes_before_its_due_date_and_not_after_publishing(world: World) -> None:
    pm = held(world, resolved_high(world), "2026-11-19 14:00")
    report = incident_services.incident_report_request(
        actor=world.a.dcs[0], post_mortem_id=pm.pk, request="Please.", now=ny("2026-11-19 15:00")
    )
    assert report.reminder_at == ny("2026-11-23 16:00")
    assert sweep_run(now=report.reminder_at).counts["reminder"] == 1
    incident_services.incident_report_write(
        actor=world.agent,
        incident_report_id=report.pk,
        changes={"summary": "s", "timeline": "t", "root_cause": "r", "remediation": "m"},
        now=ny("2026-11-23 17:00"),
    )
    incident_services.incident_report_publish(
        actor=world.agent, incident_report_id=report.pk, now=ny("2026-11-23 17:01")
    )
    sweep_run(now=report.due_at + timedelta(days=3))
    assert kinds(pm.case, "incident_report_") == [
        "incident_report_requested",
        "incident_report_reminder",
        "incident_report_updated",
        "incident_report_published",
    ]
