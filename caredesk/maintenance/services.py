"""Writes of reschedule requests: a DC asks, Customer Care accepts or declines. Each function is the
one write path for its step; in the same transaction it leaves its hash-chained timeline event
(``caredesk.cases.timeline.request_event_append``, subject ``reschedule``) and records the
notifications to send (``notify.enqueue``). Notices are in ``notice_services``.

States: ``pending`` -> ``accepted`` | ``declined``; any other transition is refused
(``InvalidTransition``, 409). An accepted request is a ``Move`` of one planned occurrence for one
account. Events: ``reschedule_requested``, ``reschedule_accepted``, ``reschedule_declined``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.timeline import request_event_append
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.tenancy.roles import Role
from caredesk.maintenance import notify
from caredesk.maintenance.inputs import aware, care_only, iso, text_field, when
from caredesk.maintenance.models import RescheduleRequest, RescheduleStatus
from caredesk.maintenance.schedules import (
    TICK,
    current_policy,
    schedule_for_accounts,
    service_label,
    subscriptions_overlapping,
)
from caredesk.tenancy.models import EndUserAccount, User

# --- reschedule requests ----------------------------------------------------------------------


@transaction.atomic
def reschedule_request(
    *,
    actor: User,
    account_id: int,
    service: str,
    planned_start: datetime,
    proposed_start: datetime,
    reason: str,
    channel: str = "api",
    now: datetime | None = None,
) -> RescheduleRequest:
    """A DC asks to move the occurrence of ``service`` planned at ``planned_start`` for one of its
    accounts to ``proposed_start`` (same duration)."""
    at = now or clock_now()
    if actor.role_enum is not Role.DESIGNATED_CONTACT:
        raise PermissionDenied("Only a Designated Contact asks to reschedule maintenance for an End User Account.")
    errors: dict[str, str] = {}
    account = EndUserAccount.objects.filter(pk=account_id, reseller_id=actor.reseller_id or 0).first()
    if account is None:
        errors["account_id"] = "no such End User Account"
    reason = text_field(reason, "reason", errors)
    planned = aware(planned_start, "planned_start", errors)
    proposed = aware(proposed_start, "proposed_start", errors)
    policy = current_policy()
    if service not in policy.services:
        errors["service"] = f"unknown cloud service; one of {', '.join(sorted(policy.services))}"
    if errors:
        raise ValidationFailed("the reschedule request is not valid", errors=errors)
    assert account is not None and planned is not None and proposed is not None
    if not subscriptions_overlapping([account.pk], planned, planned + TICK, {service}):
        raise ValidationFailed(
            "the account does not subscribe to this service", errors={"service": "not subscribed by this account"}
        )
    live = RescheduleRequest.objects.filter(
        account=account, service=service, planned_start=planned, status__in=[RescheduleStatus.PENDING, "accepted"]
    ).first()
    if live is not None:
        raise InvalidTransition(f"this occurrence already has a {live.status} reschedule request (#{live.pk})")
    entries = schedule_for_accounts(
        accounts=[account], start=planned, end=planned + TICK, policy=policy, services={service}
    )
    original = next(
        (e.occurrence for e in entries if e.occurrence.source == "planned" and e.occurrence.start == planned), None
    )
    if original is None:
        errors["planned_start"] = "no planned occurrence of this service starts at this instant for this account"
    elif planned <= at:
        errors["planned_start"] = "this occurrence has already begun"
    if proposed <= at:
        errors["proposed_start"] = "must be in the future"
    elif proposed == planned:
        errors["proposed_start"] = "is the planned start: propose another time"
    if original is not None and "proposed_start" not in errors:
        clash = [
            e.occurrence
            for e in schedule_for_accounts(
                accounts=[account], start=proposed, end=proposed + original.duration, policy=policy, services={service}
            )
            if e.occurrence.source != "notice" and e.occurrence.planned_start != planned
        ]
        if clash:
            errors["proposed_start"] = (
                f"the moved window would overlap the maintenance from {iso(clash[0].start)} to {iso(clash[0].end)}"
            )
    if errors:
        raise ValidationFailed("the reschedule request is not valid", errors=errors)
    assert original is not None
    try:
        with transaction.atomic():
            request = RescheduleRequest.objects.create(
                reseller_id=account.reseller_id,
                account=account,
                service=service,
                planned_start=planned,
                planned_end=original.end,
                proposed_start=proposed,
                reason=reason,
                requested_by=actor,
                requested_at=at,
            )
    except IntegrityError:
        raise InvalidTransition("this occurrence already has a pending or accepted reschedule request") from None
    request_event_append(
        subject_type="reschedule",
        subject_id=request.pk,
        reseller_id=request.reseller_id,
        actor=actor,
        kind="reschedule_requested",
        at=at,
        channel=channel,
        data={
            "account": account.pk,
            "service": service,
            "planned_start": iso(planned),
            "planned_end": iso(original.end),
            "proposed_start": iso(proposed),
            "reason": reason,
        },
    )
    label = service_label(policy, service)
    zone = str(account.calendar.get("timezone", "UTC"))
    notify.enqueue(
        event_kind="reschedule_requested",
        recipients=notify.customer_care(),
        subject=f"Reschedule request #{request.pk}: {label} for {account.name}",
        body=(
            f"{actor.name} asks to move the planned maintenance of {label} for {account} "
            f"({account.reseller.name}).\n"
            f"Planned: {when(planned, original.end, zone)}\n"
            f"Proposed: {when(proposed, proposed + original.duration, zone)}\n"
            f"Reason: {reason}"
        ),
        context=_context(request),
        dedupe_key=f"reschedule_requested:{request.pk}",
        reseller_id=request.reseller_id,
    )
    return request


def _context(request: RescheduleRequest) -> dict[str, object]:
    return {
        "reschedule_id": request.pk,
        "account_id": request.account_id,
        "service": request.service,
        "planned_start": iso(request.planned_start),
        "planned_end": iso(request.planned_end),
        "proposed_start": iso(request.proposed_start),
        "status": request.status,
    }


def _pending_for_decision(actor: User, reschedule_id: int) -> RescheduleRequest:
    care_only(actor, "accepts or declines reschedule requests")
    request = (
        RescheduleRequest.objects.select_for_update()
        .select_related("account", "account__reseller", "requested_by")
        .filter(pk=reschedule_id)
        .first()
    )
    if request is None:
        raise NotFound("reschedule request not found")
    if request.status != RescheduleStatus.PENDING:
        raise InvalidTransition(f"this reschedule request is already {request.status}")
    return request


def _decide(request: RescheduleRequest, *, actor: User, status: str, reason: str, at: datetime, channel: str) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = at
    request.decision_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    request_event_append(
        subject_type="reschedule",
        subject_id=request.pk,
        reseller_id=request.reseller_id,
        actor=actor,
        kind=f"reschedule_{status}",
        at=at,
        channel=channel,
        data={"reason": reason},
    )
    policy = current_policy()
    label = service_label(policy, request.service)
    account = request.account
    zone = str(account.calendar.get("timezone", "UTC"))
    duration = request.planned_end - request.planned_start
    if status == RescheduleStatus.ACCEPTED:
        moved = when(request.proposed_start, request.proposed_start + duration, zone)
        outcome = f"accepted: the maintenance now runs {moved}"
    else:
        outcome = f"declined: the maintenance stays {when(request.planned_start, request.planned_end, zone)}"
    notify.enqueue(
        event_kind="reschedule_decided",
        recipients=notify.reseller_dcs(request.reseller_id, request.requested_by),
        subject=f"Reschedule request #{request.pk} {status}: {label} for {account.name}",
        body=f"Customer Care {outcome}.\n" + (f"Reason: {reason}\n" if reason else ""),
        context=_context(request),
        dedupe_key=f"reschedule_decided:{request.pk}",
        reseller_id=request.reseller_id,
    )


@transaction.atomic
def reschedule_accept(
    *, actor: User, reschedule_id: int, note: str = "", channel: str = "api", now: datetime | None = None
) -> RescheduleRequest:
    """Customer Care accepts: the occurrence moves for that account only."""
    at = now or clock_now()
    request = _pending_for_decision(actor, reschedule_id)
    errors: dict[str, str] = {}
    note = text_field(note, "note", errors, required=False)
    if request.planned_start <= at:
        errors["planned_start"] = "the occurrence has already begun; decline the request instead"
    if request.proposed_start <= at:
        errors["proposed_start"] = "the proposed start has passed; decline the request instead"
    if errors:
        raise ValidationFailed("the reschedule request can no longer be accepted", errors=errors)
    _decide(request, actor=actor, status=RescheduleStatus.ACCEPTED, reason=note, at=at, channel=channel)
    return request


@transaction.atomic
def reschedule_decline(
    *, actor: User, reschedule_id: int, reason: str, channel: str = "api", now: datetime | None = None
) -> RescheduleRequest:
    """Customer Care declines, saying why: the occurrence stays where it was planned."""
    at = now or clock_now()
    request = _pending_for_decision(actor, reschedule_id)
    errors: dict[str, str] = {}
    reason = text_field(reason, "reason", errors)
    if errors:
        raise ValidationFailed("a decline needs a reason", errors=errors)
    _decide(request, actor=actor, status=RescheduleStatus.DECLINED, reason=reason, at=at, channel=channel)
    return request
