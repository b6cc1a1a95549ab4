"""Writes of unplanned and emergency maintenance notices, posted and cancelled by Customer Care.

A notice reaches every reseller with an account subscribed to its service during it: one
``NoticeReseller`` row each, whose timeline (subject ``notice_reseller``) holds ``notice_posted``
and ``notice_cancelled``, so every tenant's hash chain is whole for that tenant; the vendor-side act
itself is an AuditEvent. Each reseller's active DCs are notified (``maintenance_notice_posted``,
``maintenance_notice_cancelled``) in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.utils.timezone import now as clock_now

from caredesk.cases.timeline import request_event_append
from caredesk.domain.errors import InvalidTransition, NotFound, ValidationFailed
from caredesk.maintenance import notify
from caredesk.maintenance.inputs import aware, care_only, iso, text_field, when
from caredesk.maintenance.models import MaintenanceNotice, NoticeReseller
from caredesk.maintenance.schedules import current_policy, service_label
from caredesk.tenancy.models import Subscription, User
from caredesk.tenancy.services import audit_record


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
        "start": iso(notice.start),
        "end": iso(notice.end),
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
    care_only(actor, "posts maintenance notices")
    errors: dict[str, str] = {}
    policy = current_policy()
    if service not in policy.services:
        errors["service"] = f"unknown cloud service; one of {', '.join(sorted(policy.services))}"
    reason = text_field(reason, "reason", errors)
    start_ok = aware(start, "start", errors)
    end_ok = aware(end, "end", errors)
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
            subject=f"{kind} maintenance of {label}: {iso(notice.start)} to {iso(notice.end)}",
            body=(
                f"{kind} maintenance of {label}.\nWhen: {when(notice.start, notice.end, 'UTC')}\n"
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
    care_only(actor, "cancels maintenance notices")
    notice = MaintenanceNotice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("maintenance notice not found")
    if notice.cancelled_at is not None:
        raise InvalidTransition("this maintenance notice is already cancelled")
    errors: dict[str, str] = {}
    reason = text_field(reason, "reason", errors)
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
            subject=f"Cancelled: maintenance of {label} from {iso(notice.start)}",
            body=(
                f"The maintenance of {label} ({when(notice.start, notice.end, 'UTC')}) is cancelled.\nReason: {reason}"
            ),
            context={**_notice_data(notice), "cancelled": True},
            dedupe_key=f"maintenance_notice_cancelled:{notice.pk}:{row.reseller_id}",
            reseller_id=row.reseller_id,
        )
    return notice
