"""Writes of the maintenance app: reschedule requests and their decisions, unplanned and emergency
notices. Each function is the one write path for its concept; in the same transaction it leaves
its hash-chained timeline event (``caredesk.cases.timeline.request_event_append``) and records the
notifications to send (``notify.enqueue``).

Reschedule requests: ``pending`` -> ``accepted`` | ``declined``; any other transition is refused
(``InvalidTransition``, 409). An accepted request is a ``Move`` of one planned occurrence for one
account. Timeline subject ``reschedule``: ``reschedule_requested``, ``reschedule_accepted``,
``reschedule_declined``.

Notices reach every reseller with an account subscribed to the service during the notice: one
``NoticeReseller`` row each, whose timeline (subject ``notice_reseller``) holds ``notice_posted``
and ``notice_cancelled``, so every tenant's chain is whole; the vendor-side act is an AuditEvent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.timeline import request_event_append
from caredesk.domain.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from caredesk.domain.maintenance.local import local_interval
from caredesk.domain.tenancy.roles import Role, is_care
from caredesk.maintenance import notify
from caredesk.maintenance.models import MaintenanceNotice, NoticeReseller, RescheduleRequest, RescheduleStatus
from caredesk.maintenance.schedules import (
    TICK,
    current_policy,
    schedule_for_accounts,
    service_label,
    subscriptions_overlapping,
)
from caredesk.tenancy.models import EndUserAccount, Subscription, User
from caredesk.tenancy.services import audit_record

REASON_MAX = 2000


def _iso(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _text(value: str, field: str, errors: dict[str, str], *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = "required"
    elif len(text) > REASON_MAX:
        errors[field] = f"at most {REASON_MAX} characters"
    return text


def _aware(value: datetime, field: str, errors: dict[str, str]) -> datetime | None:
    if value.tzinfo is None or value.utcoffset() is None:
        errors[field] = "must carry a UTC offset (e.g. 2027-01-05T05:00:00Z)"
        return None
    return value


def _care_only(actor: User, what: str) -> None:
    if not is_care(actor.role_enum):
        raise PermissionDenied(f"Only Customer Care {what}.")


def _when(start: datetime, end: datetime, zone: str) -> str:
    utc = local_interval(start, end, "UTC").label()
    return utc if zone == "UTC" else f"{local_interval(start, end, zone).label()}; {utc}"


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
    reason = _text(reason, "reason", errors)
    planned = _aware(planned_start, "planned_start", errors)
    proposed = _aware(proposed_start, "proposed_start", errors)
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
                f"the moved window would overlap the maintenance from {_iso(clash[0].start)} to {_iso(clash[0].end)}"
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
            "planned_start": _iso(planned),
            "planned_end": _iso(original.end),
            "proposed_start": _iso(proposed),
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
            f"Planned: {_when(planned, original.end, zone)}\n"
            f"Proposed: {_when(proposed, proposed + original.duration, zone)}\n"
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
        "planned_start": _iso(request.planned_start),
        "planned_end": _iso(request.planned_end),
        "proposed_start": _iso(request.proposed_start),
        "status": request.status,
    }


def _pending_for_decision(actor: User, reschedule_id: int) -> RescheduleRequest:
    _care_only(actor, "accepts or declines reschedule requests")
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
        moved = _when(request.proposed_start, request.proposed_start + duration, zone)
        outcome = f"accepted: the maintenance now runs {moved}"
    else:
        outcome = f"declined: the maintenance stays {_when(request.planned_start, request.planned_end, zone)}"
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
    note = _text(note, "note", errors, required=False)
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
    reason = _text(reason, "reason", errors)
    if errors:
        raise ValidationFailed("a decline needs a reason", errors=errors)
    _decide(request, actor=actor, status=RescheduleStatus.DECLINED, reason=reason, at=at, channel=channel)
    return request


# --- notices ----------------------------------------------------------------------------------


def _audience(notice: MaintenanceNotice) -> dict[int, list[str]]:
    """Reseller id -> names of its accounts subscribed to the notice's service during it."""
    subs = Subscription.objects.filter(
        service=notice.service,
        term_start__lte=notice.end.astimezone(UTC).date(),
        term_end__gte=notice.start.astimezone(UTC).date(),
        reseller__is_active=True,
    ).values_list("reseller_id", "account__name")
    audience: dict[int, list[str]] = {}
    for reseller_id, name in subs.order_by("reseller_id", "account__name"):
        names = audience.setdefault(reseller_id, [])
        if name not in names:
            names.append(name)
    return audience


def _notice_data(notice: MaintenanceNotice) -> dict[str, object]:
    return {
        "notice_id": notice.pk,
        "service": notice.service,
        "start": _iso(notice.start),
        "end": _iso(notice.end),
        "emergency": notice.emergency,
        "reason": notice.reason,
    }


@transaction.atomic
def notice_post(
    *,
    actor: User,
    service: str,
    start: datetime,
    end: datetime,
    reason: str,
    emergency: bool = False,
    channel: str = "api",
    now: datetime | None = None,
) -> MaintenanceNotice:
    """Customer Care posts unplanned or emergency maintenance; every affected reseller's DCs hear of it."""
    at = now or clock_now()
    _care_only(actor, "posts maintenance notices")
    errors: dict[str, str] = {}
    policy = current_policy()
    if service not in policy.services:
        errors["service"] = f"unknown cloud service; one of {', '.join(sorted(policy.services))}"
    reason = _text(reason, "reason", errors)
    start_ok = _aware(start, "start", errors)
    end_ok = _aware(end, "end", errors)
    if start_ok is not None and end_ok is not None:
        if end_ok <= start_ok:
            errors["end"] = "must be after start"
        elif end_ok <= at:
            errors["end"] = "is in the past: a notice announces maintenance that is still to come or running"
    if errors:
        raise ValidationFailed("the maintenance notice is not valid", errors=errors)
    notice = MaintenanceNotice.objects.create(
        service=service, start=start, end=end, reason=reason, emergency=emergency, posted_by=actor, posted_at=at
    )
    audit_record(
        actor=actor,
        kind="maintenance_notice_posted",
        subject=notice,
        reseller_id=None,
        data=_notice_data(notice),
        channel=channel,
    )
    kind = "Emergency" if emergency else "Unplanned"
    label = service_label(policy, service)
    for reseller_id, accounts in _audience(notice).items():
        row = NoticeReseller.objects.create(notice=notice, reseller_id=reseller_id, notified_at=at)
        request_event_append(
            subject_type="notice_reseller",
            subject_id=row.pk,
            reseller_id=reseller_id,
            actor=actor,
            kind="notice_posted",
            at=at,
            channel=channel,
            data={**_notice_data(notice), "accounts": accounts},
        )
        notify.enqueue(
            event_kind="maintenance_notice_posted",
            recipients=notify.reseller_dcs(reseller_id),
            subject=f"{kind} maintenance of {label}: {_iso(notice.start)} to {_iso(notice.end)}",
            body=(
                f"{kind} maintenance of {label}.\nWhen: {_when(notice.start, notice.end, 'UTC')}\n"
                f"Reason: {reason}\nYour accounts using it: {', '.join(accounts)}"
            ),
            context={**_notice_data(notice), "accounts": accounts},
            dedupe_key=f"maintenance_notice_posted:{notice.pk}:{reseller_id}",
            reseller_id=reseller_id,
        )
    return notice


@transaction.atomic
def notice_cancel(
    *, actor: User, notice_id: int, reason: str, channel: str = "api", now: datetime | None = None
) -> MaintenanceNotice:
    """Customer Care withdraws a notice; the resellers it reached are told."""
    at = now or clock_now()
    _care_only(actor, "cancels maintenance notices")
    notice = MaintenanceNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("maintenance notice not found")
    if notice.cancelled_at is not None:
        raise InvalidTransition("this maintenance notice is already cancelled")
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors)
    if errors:
        raise ValidationFailed("a cancellation needs a reason", errors=errors)
    notice.cancelled_at, notice.cancelled_by, notice.cancel_reason = at, actor, reason
    notice.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    audit_record(
        actor=actor,
        kind="maintenance_notice_cancelled",
        subject=notice,
        reseller_id=None,
        data={"notice_id": notice.pk, "reason": reason},
        channel=channel,
    )
    label = service_label(current_policy(), notice.service)
    for row in NoticeReseller.objects.filter(notice=notice).order_by("reseller_id"):
        request_event_append(
            subject_type="notice_reseller",
            subject_id=row.pk,
            reseller_id=row.reseller_id,
            actor=actor,
            kind="notice_cancelled",
            at=at,
            channel=channel,
            data={"notice_id": notice.pk, "reason": reason},
        )
        notify.enqueue(
            event_kind="maintenance_notice_cancelled",
            recipients=notify.reseller_dcs(row.reseller_id),
            subject=f"Cancelled: maintenance of {label} from {_iso(notice.start)}",
            body=(
                f"The maintenance of {label} ({_when(notice.start, notice.end, 'UTC')}) is cancelled.\nReason: {reason}"
            ),
            context={**_notice_data(notice), "cancelled": True},
            dedupe_key=f"maintenance_notice_cancelled:{notice.pk}:{row.reseller_id}",
            reseller_id=row.reseller_id,
        )
    return notice
