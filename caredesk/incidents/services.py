"""Writes for post-mortems and Incident Reports: the one write path of each step (guide section 2).

Every function locks the case (the lock every write of a case takes first), then its post-mortem or
report, checks the rules in caredesk.domain.incidents.postincident, saves, appends the step to the
case's timeline and records the notifications, in one transaction.

``post_incident_case_changed`` is called by caredesk.cases.services after a resolve or reopen, in
the same transaction: Service Resolution of a case whose severity owes a post-mortem opens one, due
at the case's stored ``sla.post_mortem_due`` (the SLA engine's; none for ``third_party``);
reopening cancels a post-mortem still open (there is no Service Resolution any more; the next
resolution opens a new one), and leaves a held one, with its report, as history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.clocks import calendar_of
from caredesk.cases.models import Case, CaseEvent
from caredesk.cases.timeline import case_event_append
from caredesk.domain.errors import StaleVersion, ValidationFailed
from caredesk.domain.incidents import postincident as rules
from caredesk.domain.incidents.postincident import PostMortemState, ReportState
from caredesk.incidents.models import OPEN_POST_MORTEM, IncidentReport, PostMortem
from caredesk.incidents.notify import care_workers, designated_contacts, post_incident_notify
from caredesk.incidents.selectors import incident_report_get_for_actor, post_mortem_get_for_actor
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import User


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def post_incident_case_changed(*, case: Case, action: str, at: datetime) -> PostMortem | None:
    """After ``resolve`` or ``reopen`` of ``case`` (locked, clocks refreshed); else nothing."""
    if action == "resolve":
        return _open(case, at)
    if action == "reopen":
        for pm in PostMortem.objects.select_for_update().filter(OPEN_POST_MORTEM, case=case):
            pm.status = rules.post_mortem_transition(PostMortemState(pm.status), "cancel").value
            _save(pm, at)
            case_event_append(
                case=case,
                actor=None,
                kind="post_mortem_cancelled",
                at=at,
                channel="system",
                data={"post_mortem": pm.pk, "reason": "the case was reopened; the next resolution opens a new one"},
            )
    return None


def _open(case: Case, at: datetime) -> PostMortem | None:
    due_text = (case.sla or {}).get("post_mortem_due")
    if not due_text:
        return None
    deadline = rules.post_mortem_deadline(
        policy=policy_of(case.policy), calendar=calendar_of(case), severity=case.severity, resolved_at=at
    )
    if deadline is None:
        return None
    due = _instant(due_text)
    pm = PostMortem.objects.create(
        case=case,
        reseller_id=case.reseller_id,
        severity=case.severity,
        resolved_at=at,
        due_at=due,
        reminder_at=min(deadline.reminder, due),
        created_at=at,
        updated_at=at,
    )
    case_event_append(
        case=case,
        actor=None,
        kind="post_mortem_opened",
        at=at,
        channel="system",
        data={"post_mortem": pm.pk, "severity": case.severity, "due_at": due.isoformat()},
    )
    post_incident_notify(
        case=case,
        event_kind="post_mortem_opened",
        recipients=designated_contacts(case),
        subject=f"Case #{case.pk}: post-mortem due by {due.isoformat()}",
        body=f"Case #{case.pk} ({case.title}) is resolved. Customer Care will hold the post-mortem meeting by "
        f"{due.isoformat()} and schedule it with you.",
        context={"post_mortem": pm.pk, "due_at": due.isoformat()},
        key=str(pm.pk),
    )
    return pm


def _save(row: PostMortem | IncidentReport, at: datetime) -> None:
    row.version += 1
    row.updated_at = at
    row.save()


def _post_mortem_locked(actor: User, post_mortem_id: int) -> tuple[PostMortem, Case]:
    visible = post_mortem_get_for_actor(actor=actor, post_mortem_id=post_mortem_id)
    case = Case.objects.select_for_update().select_related("policy").get(pk=visible.case_id)
    return PostMortem.objects.select_for_update().get(pk=visible.pk), case


@transaction.atomic
def post_mortem_schedule(
    *,
    actor: User,
    post_mortem_id: int,
    meeting_at: datetime,
    notes: str = "",
    channel: str = "api",
    now: datetime | None = None,
) -> PostMortem:
    """Customer Care schedules (or reschedules) the meeting; the Designated Contacts hear of it."""
    at = now or clock_now()
    pm, case = _post_mortem_locked(actor, post_mortem_id)
    rules.check_can_work(actor.role_enum)
    pm.status = rules.post_mortem_transition(PostMortemState(pm.status), "schedule").value
    rules.check_meeting(meeting_at, resolved_at=pm.resolved_at)
    before = pm.meeting_at
    pm.meeting_at = meeting_at
    pm.notes = notes.strip() or pm.notes
    _save(pm, at)
    case_event_append(
        case=case,
        actor=actor,
        kind="post_mortem_rescheduled" if before else "post_mortem_scheduled",
        at=at,
        channel=channel,
        data={
            "post_mortem": pm.pk,
            "meeting_at": meeting_at.isoformat(),
            "previous": before.isoformat() if before else None,
        },
    )
    post_incident_notify(
        case=case,
        event_kind="post_mortem_scheduled",
        recipients=designated_contacts(case),
        subject=f"Case #{case.pk}: post-mortem meeting on {meeting_at.isoformat()}",
        body=f"The post-mortem meeting for case #{case.pk} ({case.title}) is scheduled for {meeting_at.isoformat()}.",
        context={"post_mortem": pm.pk, "meeting_at": meeting_at.isoformat()},
        key=f"{pm.pk}:{pm.version}",
    )
    return pm


@transaction.atomic
def post_mortem_hold(
    *,
    actor: User,
    post_mortem_id: int,
    root_cause_analysis: str = "",
    held_at: datetime | None = None,
    notes: str = "",
    channel: str = "api",
    now: datetime | None = None,
) -> PostMortem:
    """Customer Care records the meeting held (by default at the scheduled time if it has come,
    else now). A Critical one needs its root cause analysis."""
    at = now or clock_now()
    pm, case = _post_mortem_locked(actor, post_mortem_id)
    rules.check_can_work(actor.role_enum)
    pm.status = rules.post_mortem_transition(PostMortemState(pm.status), "hold").value
    if held_at is None:
        held_at = pm.meeting_at if pm.meeting_at is not None and pm.meeting_at <= at else at
    rules.check_held(
        severity=pm.severity,
        root_cause_analysis=root_cause_analysis,
        held_at=held_at,
        resolved_at=pm.resolved_at,
        now=at,
        policy=policy_of(case.policy),
    )
    pm.held_at, pm.root_cause_analysis, pm.decided_by = held_at, root_cause_analysis.strip(), actor
    pm.notes = notes.strip() or pm.notes
    _save(pm, at)
    case_event_append(
        case=case,
        actor=actor,
        kind="post_mortem_held",
        at=at,
        channel=channel,
        data={"post_mortem": pm.pk, "held_at": held_at.isoformat(), "root_cause_analysis": pm.root_cause_analysis},
    )
    return pm


@transaction.atomic
def post_mortem_mark_not_applicable(
    *, actor: User, post_mortem_id: int, reason: str, channel: str = "api", now: datetime | None = None
) -> PostMortem:
    at = now or clock_now()
    pm, case = _post_mortem_locked(actor, post_mortem_id)
    rules.check_can_work(actor.role_enum)
    pm.status = rules.post_mortem_transition(PostMortemState(pm.status), "not_applicable").value
    pm.not_applicable_reason, pm.decided_by = rules.check_not_applicable(reason), actor
    _save(pm, at)
    case_event_append(
        case=case,
        actor=actor,
        kind="post_mortem_not_applicable",
        at=at,
        channel=channel,
        data={"post_mortem": pm.pk, "reason": pm.not_applicable_reason},
    )
    return pm


def _draft_timeline(case: Case) -> str:
    """The case's public timeline as a starting point for the report's timeline."""
    rows = CaseEvent.objects.filter(case=case, internal=False).order_by("seq").values_list("at", "kind")
    return "\n".join(f"{at.isoformat(timespec='minutes')}  {kind.replace('_', ' ')}" for at, kind in rows)


@transaction.atomic
def incident_report_request(
    *, actor: User, post_mortem_id: int, request: str, channel: str = "api", now: datetime | None = None
) -> IncidentReport:
    """A Designated Contact requests the Incident Report in writing, after the meeting was held;
    it is due the policy's time (3bd) after the meeting, on the case's calendar."""
    at = now or clock_now()
    pm, case = _post_mortem_locked(actor, post_mortem_id)
    rules.check_can_request_report(actor.role_enum)
    text = rules.check_report_request(
        PostMortemState(pm.status), request, already_requested=IncidentReport.objects.filter(post_mortem=pm).exists()
    )
    assert pm.held_at is not None
    deadline = rules.incident_report_deadline(
        policy=policy_of(case.policy), calendar=calendar_of(case), meeting_at=pm.held_at
    )
    report = IncidentReport.objects.create(
        post_mortem=pm,
        case=case,
        reseller_id=case.reseller_id,
        requested_by=actor,
        requested_at=at,
        request=text,
        due_at=deadline.due,
        reminder_at=deadline.reminder,
        timeline=_draft_timeline(case),
        root_cause=pm.root_cause_analysis,
        updated_at=at,
    )
    case_event_append(
        case=case,
        actor=actor,
        kind="incident_report_requested",
        at=at,
        channel=channel,
        data={"incident_report": report.pk, "request": text, "due_at": deadline.due.isoformat()},
    )
    post_incident_notify(
        case=case,
        event_kind="incident_report_requested",
        recipients=care_workers(case),
        subject=f"Case #{case.pk}: Incident Report requested, due {deadline.due.isoformat()}",
        body=f"{actor.name} requested the Incident Report of case #{case.pk} ({case.title}):\n\n{text}",
        context={"incident_report": report.pk, "due_at": deadline.due.isoformat()},
        key=str(report.pk),
    )
    return report


def _report_locked(actor: User, incident_report_id: int, if_match: int | None) -> tuple[IncidentReport, Case]:
    visible = incident_report_get_for_actor(actor=actor, incident_report_id=incident_report_id)
    case = Case.objects.select_for_update().get(pk=visible.case_id)
    report = IncidentReport.objects.select_for_update().get(pk=visible.pk)
    rules.check_can_work(actor.role_enum)
    if if_match is not None and if_match != report.version:
        raise StaleVersion(f"The report changed since you read it (your version {if_match}, now {report.version}).")
    return report, case


@transaction.atomic
def incident_report_write(
    *,
    actor: User,
    incident_report_id: int,
    changes: dict[str, Any],
    if_match: int | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> IncidentReport:
    """Customer Care writes the report's parts (summary, timeline, root cause, remediation)."""
    at = now or clock_now()
    report, case = _report_locked(actor, incident_report_id, if_match)
    rules.check_writable(ReportState(report.status))
    unknown = {k: "not a part of the report" for k in changes if k not in rules.REPORT_PARTS}
    if unknown:
        raise ValidationFailed("unknown report parts", errors=unknown)
    for part, text in changes.items():
        setattr(report, part, str(text).strip())
    report.written_by = actor
    _save(report, at)
    case_event_append(
        case=case,
        actor=actor,
        kind="incident_report_updated",
        at=at,
        channel=channel,
        internal=True,
        data={"incident_report": report.pk, "parts": sorted(changes)},
    )
    return report


@transaction.atomic
def incident_report_publish(
    *,
    actor: User,
    incident_report_id: int,
    if_match: int | None = None,
    channel: str = "api",
    now: datetime | None = None,
) -> IncidentReport:
    """Publish the complete report to the reseller; it never changes afterwards."""
    at = now or clock_now()
    report, case = _report_locked(actor, incident_report_id, if_match)
    rules.check_publish(ReportState(report.status), {p: getattr(report, p) for p in rules.REPORT_PARTS})
    report.status, report.published_at, report.published_by = ReportState.PUBLISHED.value, at, actor
    _save(report, at)
    case_event_append(
        case=case,
        actor=actor,
        kind="incident_report_published",
        at=at,
        channel=channel,
        data={"incident_report": report.pk, "late": at > report.due_at},
    )
    post_incident_notify(
        case=case,
        event_kind="incident_report_published",
        recipients=designated_contacts(case),
        subject=f"Case #{case.pk}: the Incident Report is published",
        body=f"The Incident Report of case #{case.pk} ({case.title}) is published; download it as a PDF.",
        context={"incident_report": report.pk},
        key=str(report.pk),
    )
    return report
