"""DOMAIN.md "After the incident" (guide section 2), rule by rule, on the pure post-incident rules.

The calendar is the vendor default (Mon-Fri 09:00-17:00, America/New_York); the week is Monday
2026-03-02 ... Friday 2026-03-06, the next Monday 2026-03-09 is EDT (UTC-4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from caredesk.domain.errors import InvalidTransition, PermissionDenied, ValidationFailed
from caredesk.domain.incidents.postincident import (
    PostMortemState,
    ReportState,
    check_can_request_report,
    check_can_work,
    check_held,
    check_meeting,
    check_not_applicable,
    check_publish,
    check_report_request,
    check_writable,
    incident_report_deadline,
    post_mortem_deadline,
    post_mortem_transition,
)
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.policy import load_default_policy
from caredesk.domain.tenancy.roles import Role

NY = BusinessCalendar.from_dict({"timezone": "America/New_York"})
POLICY = load_default_policy()
S = PostMortemState


def ny(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("America/New_York"))


def test_critical_post_mortem_is_due_two_business_days_after_service_resolution() -> None:
    d = post_mortem_deadline(policy=POLICY, calendar=NY, severity=1, resolved_at=ny("2026-03-02 15:00"))
    assert d is not None
    assert d.due == ny("2026-03-04 15:00")  # 16 business hours: Mon 2h + Tue 8h + Wed 6h
    assert d.reminder == ny("2026-03-04 11:00")  # 75 % of 16 business hours = 12h


def test_high_post_mortem_is_due_five_business_days_after_service_resolution_over_a_weekend() -> None:
    d = post_mortem_deadline(policy=POLICY, calendar=NY, severity=2, resolved_at=ny("2026-03-04 10:00"))
    assert d is not None
    assert d.due == ny("2026-03-11 10:00")  # Wed -> next Wed, the weekend not counted


def test_no_post_mortem_is_due_for_medium_and_low() -> None:
    for severity in (3, 4):
        assert (
            post_mortem_deadline(policy=POLICY, calendar=NY, severity=severity, resolved_at=ny("2026-03-02 10:00"))
            is None
        )


def test_resolution_on_saturday_counts_from_monday_opening() -> None:
    d = post_mortem_deadline(policy=POLICY, calendar=NY, severity=1, resolved_at=ny("2026-03-07 12:00"))
    assert d is not None and d.due == ny("2026-03-10 17:00")


def test_incident_report_is_due_three_business_days_after_the_meeting() -> None:
    d = incident_report_deadline(policy=POLICY, calendar=NY, meeting_at=ny("2026-03-05 14:00"))
    assert d.due == ny("2026-03-10 14:00")  # Thu -> Tue (3 x 8 business hours)
    assert d.reminder == ny("2026-03-09 16:00")  # 18 business hours after the meeting
    assert d.due.astimezone(UTC) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # EDT after the DST change


def test_customer_care_schedules_holds_or_marks_not_applicable_and_final_states_stay_final() -> None:
    assert post_mortem_transition(S.DUE, "schedule") is S.SCHEDULED
    assert post_mortem_transition(S.SCHEDULED, "schedule") is S.SCHEDULED  # rescheduling
    assert post_mortem_transition(S.SCHEDULED, "hold") is S.HELD
    assert post_mortem_transition(S.DUE, "hold") is S.HELD
    assert post_mortem_transition(S.DUE, "not_applicable") is S.NOT_APPLICABLE
    assert post_mortem_transition(S.SCHEDULED, "cancel") is S.CANCELLED
    for final in (S.HELD, S.NOT_APPLICABLE, S.CANCELLED):
        for action in ("schedule", "hold", "not_applicable", "cancel"):
            with pytest.raises(InvalidTransition):
                post_mortem_transition(final, action)


def test_a_critical_post_mortem_cannot_be_completed_without_a_root_cause_analysis() -> None:
    kwargs = dict(held_at=ny("2026-03-03 10:00"), resolved_at=ny("2026-03-02 10:00"), now=ny("2026-03-03 11:00"))
    with pytest.raises(ValidationFailed) as err:
        check_held(severity=1, root_cause_analysis="  ", policy=POLICY, **kwargs)
    assert "root_cause_analysis" in err.value.errors
    check_held(severity=1, root_cause_analysis="Expired TLS certificate on the SIP proxy", policy=POLICY, **kwargs)
    check_held(severity=2, root_cause_analysis="", policy=POLICY, **kwargs)  # High: not required


def test_the_meeting_is_never_before_the_resolution_nor_recorded_held_in_the_future() -> None:
    resolved = ny("2026-03-02 10:00")
    with pytest.raises(ValidationFailed) as err:
        check_meeting(ny("2026-03-02 09:00"), resolved_at=resolved)
    assert "meeting_at" in err.value.errors
    with pytest.raises(ValidationFailed):
        check_meeting(datetime(2026, 3, 3, 10, 0), resolved_at=resolved)  # naive
    with pytest.raises(ValidationFailed) as err:
        check_held(
            severity=2,
            root_cause_analysis="",
            held_at=ny("2026-03-04 10:00"),
            resolved_at=resolved,
            now=ny("2026-03-03 10:00"),
            policy=POLICY,
        )
    assert "held_at" in err.value.errors
    with pytest.raises(ValidationFailed):
        check_held(
            severity=2,
            root_cause_analysis="",
            held_at=ny("2026-03-01 10:00"),
            resolved_at=resolved,
            now=ny("2026-03-03 10:00"),
            policy=POLICY,
        )


def test_not_applicable_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed) as err:
        check_not_applicable("   ")
    assert "reason" in err.value.errors
    assert check_not_applicable("  duplicate of case 12 ") == "duplicate of case 12"


def test_only_customer_care_works_post_mortems_and_only_a_designated_contact_requests_the_report() -> None:
    for role in (Role.CARE_AGENT, Role.CARE_MANAGER, Role.VENDOR_ADMIN):
        check_can_work(role)
    for role in (Role.DESIGNATED_CONTACT, Role.RESELLER_STAFF, Role.CSM):
        with pytest.raises(PermissionDenied):
            check_can_work(role)
    check_can_request_report(Role.DESIGNATED_CONTACT)
    for role in (Role.RESELLER_STAFF, Role.CARE_AGENT, Role.CSM):
        with pytest.raises(PermissionDenied):
            check_can_request_report(role)


def test_the_incident_report_is_requested_in_writing_after_the_meeting_once() -> None:
    with pytest.raises(InvalidTransition):
        check_report_request(S.SCHEDULED, "please send it", already_requested=False)
    with pytest.raises(InvalidTransition):
        check_report_request(S.HELD, "please send it", already_requested=True)
    with pytest.raises(ValidationFailed) as err:
        check_report_request(S.HELD, " ", already_requested=False)
    assert "request" in err.value.errors
    assert (
        check_report_request(S.HELD, " Please send the report. ", already_requested=False) == "Please send the report."
    )


def test_the_report_holds_summary_timeline_root_cause_and_remediation_and_never_changes_once_published() -> None:
    parts = {"summary": "s", "timeline": "t", "root_cause": "r", "remediation": ""}
    with pytest.raises(ValidationFailed) as err:
        check_publish(ReportState.REQUESTED, parts)
    assert set(err.value.errors) == {"remediation"}
    check_publish(ReportState.REQUESTED, {**parts, "remediation": "rotate certificates automatically"})
    with pytest.raises(InvalidTransition):
        check_publish(ReportState.PUBLISHED, {**parts, "remediation": "x"})
    with pytest.raises(InvalidTransition):
        check_writable(ReportState.PUBLISHED)
    check_writable(ReportState.REQUESTED)
