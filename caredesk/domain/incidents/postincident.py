"""After the incident (guide section 2; DOMAIN.md "After the incident"): the post-mortem and the
Incident Report as a pure state machine with their deadlines.

Concept. When a case whose severity the policy lists under ``post_incident.post_mortem_due``
(Critical 2bd, High 5bd) reaches Service Resolution, a post-mortem is *due* that amount after the
resolution instant on the account's business calendar. Customer Care *schedules* the meeting
(and may reschedule it), records it *held* or marks it *not applicable* with a reason. After the
meeting is held, a Designated Contact may request an Incident Report in writing; it is then due
``incident_report_due_after_meeting`` (3bd) after the meeting, holds a summary, a timeline, the
root cause and the steps to address the root causes, and Customer Care writes and *publishes* it.

Invariants.
- Post-mortem states: ``due -> scheduled -> held``; ``due|scheduled -> not_applicable``;
  ``due|scheduled -> cancelled`` (the case was reopened: there is no Service Resolution any
  more; the next resolution opens a new post-mortem). ``held``, ``not_applicable`` and
  ``cancelled`` are final. Anything else raises ``InvalidTransition`` and changes nothing.
- A post-mortem of a severity in ``root_cause_required`` (Critical) is never recorded held
  without a root cause analysis (``ValidationFailed`` on ``root_cause_analysis``).
- Only Customer Care (agents, managers, the vendor admin) works post-mortems and writes reports;
  only a Designated Contact requests a report (``PermissionDenied`` otherwise).
- An Incident Report is requested only after the meeting was held, once per post-mortem; it is
  published only with all four parts written, and a published report never changes.
- Meeting and held instants are aware and never before the Service Resolution; a held instant is
  never in the future (``now`` is an argument; nothing here reads the clock).
- Reminders fall when the policy's warning threshold (75 %) of the time to a deadline is used,
  measured on the deadline's own clock, so every deadline has one reminder before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from caredesk.domain.errors import InvalidTransition, PermissionDenied, ValidationFailed
from caredesk.domain.sla.amounts import Amount, add_amount
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy.roles import Role, is_care

__all__ = [
    "REPORT_PARTS",
    "Deadline",
    "PostMortemState",
    "ReportState",
    "check_can_request_report",
    "check_can_work",
    "check_held",
    "check_meeting",
    "check_not_applicable",
    "check_publish",
    "check_report_request",
    "check_writable",
    "incident_report_deadline",
    "post_mortem_deadline",
    "post_mortem_transition",
]


class PostMortemState(StrEnum):
    DUE = "due"
    SCHEDULED = "scheduled"
    HELD = "held"
    NOT_APPLICABLE = "not_applicable"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({PostMortemState.DUE, PostMortemState.SCHEDULED})


class ReportState(StrEnum):
    REQUESTED = "requested"
    PUBLISHED = "published"


REPORT_PARTS = ("summary", "timeline", "root_cause", "remediation")
"""What an Incident Report holds: summary, timeline, root cause, steps to address the root causes."""

_ACTIONS: dict[str, tuple[frozenset[PostMortemState], PostMortemState]] = {
    "schedule": (OPEN_STATES, PostMortemState.SCHEDULED),
    "hold": (OPEN_STATES, PostMortemState.HELD),
    "not_applicable": (OPEN_STATES, PostMortemState.NOT_APPLICABLE),
    "cancel": (OPEN_STATES, PostMortemState.CANCELLED),
}


@dataclass(frozen=True, slots=True)
class Deadline:
    """A due instant and the reminder before it (both aware, UTC)."""

    due: datetime
    reminder: datetime


def post_mortem_transition(state: PostMortemState, action: str) -> PostMortemState:
    """The state after ``action`` (schedule, hold, not_applicable, cancel) from ``state``."""
    allowed, after = _ACTIONS[action]
    if state not in allowed:
        raise InvalidTransition(f"The post-mortem is {state.value}; it can no longer be {_verb(action)}.")
    return after


def _verb(action: str) -> str:
    return {
        "schedule": "scheduled",
        "hold": "recorded as held",
        "not_applicable": "marked not applicable",
        "cancel": "cancelled",
    }[action]


def check_can_work(role: Role) -> None:
    if not is_care(role):
        raise PermissionDenied("Only Customer Care schedules post-mortems and writes Incident Reports.")


def check_can_request_report(role: Role) -> None:
    if role is not Role.DESIGNATED_CONTACT:
        raise PermissionDenied("Only a Designated Contact requests an Incident Report.")


def _aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationFailed(f"{field} needs a UTC offset", errors={field: "must carry a UTC offset"})


def check_meeting(meeting_at: datetime, *, resolved_at: datetime) -> None:
    """A meeting is about a Service Resolution, so it is never before it."""
    _aware(meeting_at, "meeting_at")
    if meeting_at < resolved_at:
        raise ValidationFailed(
            "the meeting is before the Service Resolution",
            errors={"meeting_at": "must not be before the case was resolved"},
        )


def check_held(
    *, severity: int, root_cause_analysis: str, held_at: datetime, resolved_at: datetime, now: datetime, policy: Policy
) -> None:
    """Recording the meeting held: not in the future, not before the resolution, and with a root
    cause analysis when the severity requires one (Critical)."""
    _aware(held_at, "held_at")
    if held_at > now:
        raise ValidationFailed("the meeting is in the future", errors={"held_at": "must not be in the future"})
    if held_at < resolved_at:
        raise ValidationFailed(
            "the meeting is before the Service Resolution",
            errors={"held_at": "must not be before the case was resolved"},
        )
    if severity in policy.post_incident.root_cause_required and not root_cause_analysis.strip():
        raise ValidationFailed(
            f"a {policy.severities.get(severity, str(severity))} post-mortem needs a root cause analysis",
            errors={"root_cause_analysis": "required for this severity: the meeting discusses the root cause"},
        )


def check_not_applicable(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed("say why no post-mortem is needed", errors={"reason": "must not be empty"})
    return reason.strip()


def check_report_request(state: PostMortemState, request: str, *, already_requested: bool) -> str:
    """The written request of a Designated Contact, after the meeting was held, once."""
    if state is not PostMortemState.HELD:
        raise InvalidTransition("An Incident Report can be requested once the post-mortem meeting was held.")
    if already_requested:
        raise InvalidTransition("An Incident Report was already requested for this post-mortem.")
    if not request.strip():
        raise ValidationFailed("put the request in writing", errors={"request": "must not be empty"})
    return request.strip()


def check_writable(state: ReportState) -> None:
    if state is ReportState.PUBLISHED:
        raise InvalidTransition("The Incident Report is published; a published report never changes.")


def check_publish(state: ReportState, parts: dict[str, str]) -> None:
    check_writable(state)
    missing = {part: "must be written before publishing" for part in REPORT_PARTS if not parts.get(part, "").strip()}
    if missing:
        raise ValidationFailed("the Incident Report is not complete", errors=missing)


def _deadline(calendar: BusinessCalendar, start: datetime, amount: Amount, threshold: float) -> Deadline:
    early = Amount(Decimal(amount.value) * Decimal(str(threshold)), amount.unit)
    return Deadline(due=add_amount(calendar, start, amount), reminder=add_amount(calendar, start, early))


def post_mortem_deadline(
    *, policy: Policy, calendar: BusinessCalendar, severity: int, resolved_at: datetime
) -> Deadline | None:
    """When the post-mortem of a case resolved at ``resolved_at`` is due, or None if none is."""
    amount = policy.post_mortem_due(severity)
    if amount is None:
        return None
    return _deadline(calendar, resolved_at, amount, policy.warning_threshold)


def incident_report_deadline(*, policy: Policy, calendar: BusinessCalendar, meeting_at: datetime) -> Deadline:
    """An Incident Report requested after the meeting is due this long after the meeting."""
    return _deadline(
        calendar, meeting_at, policy.post_incident.incident_report_due_after_meeting, policy.warning_threshold
    )
