"""Writes for a case's severity: Customer Care changes it (a manager's decision is final), the
telephone procedure raises it to Critical, and Designated Contacts propose while Customer Care
decides (guide 1.2; DOMAIN.md "Severity re-determination")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.actions import _iso, _locked, _policy, _save
from caredesk.cases.models import Case, CaseEvent, CaseStatus, SeverityProposal
from caredesk.cases.timeline import case_event_append
from caredesk.domain.cases import lifecycle
from caredesk.domain.errors import InvalidTransition, NotFound, ValidationFailed
from caredesk.domain.tenancy import roles
from caredesk.domain.tenancy.roles import Role
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import User


def _change_severity(
    case: Case,
    actor: User,
    new: int,
    reason: str,
    at: datetime,
    channel: str,
    kind: str = "severity_changed",
    data: dict[str, Any] | None = None,
    counts_from: datetime | None = None,
) -> None:
    before = case.severity
    case.severity = new
    # The SLA history must stay in time order: a change dated before the latest SLA event (a phone
    # call recorded after the agent already answered) counts from that latest event instead.
    latest = (
        CaseEvent.objects.filter(case=case, sla__isnull=False).order_by("-seq").values_list("at", flat=True).first()
    )
    start = counts_from or at
    sla_at = max(start, latest) if latest is not None else start
    case_event_append(
        case=case,
        actor=actor,
        kind=kind,
        at=at,
        channel=channel,
        data={"severity": [before, new], "reason": reason, **(data or {})},
        sla={"type": "severity_changed", "at": _iso(sla_at), "severity": new},
    )
    restoration = (case.sla or {}).get("targets", {}).get("restoration", {}).get("state")
    if (
        case.restored_at is not None
        and restoration in ("not_applicable", "cancelled")
        and _policy(case).targets(case.package, new).restoration is not None
    ):
        # Restoration is met when an agent records that service is restored (DOMAIN.md "Clocks"). A
        # restore recorded while the target did not apply (Low) still holds when a new severity makes
        # it apply: the target starts met, instead of running on a case that is restored, may not be
        # restored again, and would breach while service is up.
        case_event_append(
            case=case,
            actor=actor,
            kind="restored",
            at=at,
            channel=channel,
            data={"with": kind, "restored_at": _iso(case.restored_at)},
            sla={"type": "restored", "at": _iso(sla_at)},
        )
    if roles.is_manager(actor.role_enum):
        case.severity_final = True


def _open_for_severity(case: Case) -> None:
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        raise InvalidTransition(f"The case is {case.status}; its severity no longer changes (reopen it first).")


def _critical_contact(case: Case, contact_id: int | None) -> User | None:
    if contact_id is None:
        return None
    contact = User.objects.filter(
        pk=contact_id, reseller_id=case.reseller_id, is_active=True, role=Role.DESIGNATED_CONTACT.value
    ).first()
    if contact is None:
        raise ValidationFailed(
            "no such Designated Contact",
            errors={"available_contact_id": "no active Designated Contact of this case's reseller with this id"},
        )
    if not contact.available_24x7:
        raise ValidationFailed(
            "not available 24x7",
            errors={"available_contact_id": "this Designated Contact is not marked available 24x7 for Critical cases"},
        )
    return contact


def _check_phone_call(case: Case, phone_call_at: datetime | None, at: datetime) -> datetime | None:
    """The call instant the Critical clocks count from. A time given to the minute (as forms do)
    that falls in the minute the case was submitted counts from the submission itself."""
    if phone_call_at is None:
        return None
    if phone_call_at.tzinfo is None:
        raise ValidationFailed("bad phone call time", errors={"phone_call_at": "must carry a UTC offset"})
    if phone_call_at > at:
        raise ValidationFailed("bad phone call time", errors={"phone_call_at": "must not be in the future"})
    if case.submitted_at - timedelta(minutes=1) < phone_call_at < case.submitted_at:
        return case.submitted_at
    if phone_call_at < case.submitted_at:
        raise ValidationFailed(
            "bad phone call time", errors={"phone_call_at": "must not be before the case was submitted"}
        )
    return phone_call_at


@transaction.atomic
def case_change_severity(
    *,
    actor: User,
    case_id: int,
    severity: int,
    reason: str,
    phone_call_at: datetime | None = None,
    available_contact_id: int | None = None,
    notes: str = "",
    channel: str = "api",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Customer Care sets the severity. A manager's decision is final for agents. Raising to Critical
    is the guide's procedure: the DC submitted the case as High and telephoned; the agent records the
    call (the Critical response counts from it) and the DC available for it at all times."""
    at = now or clock_now()
    case = _locked(actor, case_id, if_match)
    _open_for_severity(case)
    policy = _policy(case)
    phone_call_at = _check_phone_call(case, phone_call_at, at)
    contact = _critical_contact(case, available_contact_id)
    lifecycle.check_severity_change(
        role=actor.role_enum,
        current=case.severity,
        new=severity,
        reason=reason,
        policy=policy,
        decided_by_manager=case.severity_final,
        phone_call_at=phone_call_at,
        available_contact=contact,
    )
    raising_to_top = phone_call_at is not None and contact is not None and severity < policy.intake.portal_max_severity
    if raising_to_top:
        assert phone_call_at is not None and contact is not None
        _change_severity(
            case,
            actor,
            severity,
            reason.strip(),
            at,
            "phone",
            kind="raised_to_critical",
            counts_from=phone_call_at,
            data={"phone_call_at": phone_call_at.isoformat(), "available_contact": contact.pk, "notes": notes.strip()},
        )
        case.critical_contact = contact
    else:
        _change_severity(case, actor, severity, reason.strip(), at, channel)
    return _save(case, at, refresh=True, fields=["severity", "severity_final", "critical_contact"])


@transaction.atomic
def severity_propose(
    *, actor: User, case_id: int, severity: int, reason: str, channel: str = "api", now: datetime | None = None
) -> SeverityProposal:
    """A Designated Contact proposes another severity; Customer Care accepts or rejects it."""
    at = now or clock_now()
    case = _locked(actor, case_id, None)
    _open_for_severity(case)
    lifecycle.check_severity_proposal(
        role=actor.role_enum, current=case.severity, proposed=severity, reason=reason, policy=_policy(case)
    )
    if SeverityProposal.objects.filter(case=case, status=SeverityProposal.Status.PENDING).exists():
        raise InvalidTransition("A severity proposal for this case is waiting for Customer Care's decision.")
    proposal = SeverityProposal.objects.create(
        case=case,
        reseller_id=case.reseller_id,
        proposed_by=actor,
        severity=severity,
        reason=reason.strip(),
        created_at=at,
    )
    case_event_append(
        case=case,
        actor=actor,
        kind="severity_proposed",
        at=at,
        channel=channel,
        data={"proposal": proposal.pk, "severity": [case.severity, severity], "reason": proposal.reason},
    )
    _save(case, at, refresh=False, fields=[])
    return proposal


@transaction.atomic
def severity_decide(
    *,
    actor: User,
    case_id: int,
    proposal_id: int,
    accept: bool,
    reason: str,
    channel: str = "api",
    now: datetime | None = None,
) -> SeverityProposal:
    at = now or clock_now()
    case = _locked(actor, case_id, None)
    proposal = SeverityProposal.objects.select_for_update().filter(pk=proposal_id, case=case).first()
    if proposal is None:
        raise NotFound("proposal not found")
    if proposal.status != SeverityProposal.Status.PENDING:
        raise InvalidTransition(f"This proposal was already {proposal.status}.")
    if accept:
        _open_for_severity(case)
    lifecycle.check_severity_decision(
        role=actor.role_enum,
        accept=accept,
        current=case.severity,
        proposed=proposal.severity,
        reason=reason,
        policy=_policy(case),
        decided_by_manager=case.severity_final,
    )
    proposal.status = SeverityProposal.Status.ACCEPTED if accept else SeverityProposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_reason = actor, at, reason.strip()
    proposal.save()
    case_event_append(
        case=case,
        actor=actor,
        kind="severity_decided",
        at=at,
        channel=channel,
        data={
            "proposal": proposal.pk,
            "accepted": accept,
            "reason": proposal.decision_reason,
            "final": roles.is_manager(actor.role_enum),
        },
    )
    if accept:
        _change_severity(
            case, actor, proposal.severity, f"proposal {proposal.pk} accepted: {reason.strip()}", at, channel
        )
    elif roles.is_manager(actor.role_enum):
        case.severity_final = True
    _save(case, at, refresh=accept, fields=["severity", "severity_final"])
    return proposal


def case_raise_to_critical(
    *,
    actor: User,
    case_id: int,
    phone_call_at: datetime,
    available_contact_id: int,
    notes: str = "",
    if_match: int | None = None,
    now: datetime | None = None,
) -> Case:
    """The telephone procedure of the guide's Table 1 footnote, to the policy's most severe level."""
    from caredesk.cases.selectors import case_get_for_actor

    top = min(policy_of(case_get_for_actor(actor=actor, case_id=case_id).policy).severities)
    return case_change_severity(
        actor=actor,
        case_id=case_id,
        severity=top,
        reason="raised after the Designated Contact's telephone call",
        phone_call_at=phone_call_at,
        available_contact_id=available_contact_id,
        notes=notes,
        if_match=if_match,
        now=now,
    )
