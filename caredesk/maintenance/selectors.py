"""Reads of the maintenance app, always through the actor: another tenant's account, reseller,
request or feed is "not found". Notices are vendor-wide, but a reseller sees only those of the
services its accounts subscribe to (or that reached it)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from caredesk.cases.models import RequestEvent
from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.domain.tenancy.roles import is_vendor
from caredesk.maintenance.models import CalendarFeed, MaintenanceNotice, NoticeReseller, RescheduleRequest
from caredesk.maintenance.schedules import Entry, check_interval, current_policy, entry_at, schedule_for_accounts
from caredesk.tenancy.models import Subscription, User
from caredesk.tenancy.selectors import account_get_for_actor, account_list_for_actor, reseller_get_for_actor


def account_schedule_for_actor(*, actor: User, account_id: int, start: datetime, end: datetime) -> list[Entry]:
    """The effective schedule of one account the actor may see."""
    account = account_get_for_actor(actor=actor, account_id=account_id)
    check_interval(start, end)
    return schedule_for_accounts(accounts=[account], start=start, end=end)


def reseller_schedule_for_actor(*, actor: User, reseller_id: int, start: datetime, end: datetime) -> list[Entry]:
    """The effective schedules of every account of a reseller that the actor may see, labelled
    with the account's name."""
    reseller_get_for_actor(actor=actor, reseller_id=reseller_id)
    check_interval(start, end)
    accounts = list(account_list_for_actor(actor=actor, reseller_id=reseller_id))
    return schedule_for_accounts(accounts=accounts, start=start, end=end, labels={a.pk: str(a) for a in accounts})


def in_window_for_actor(*, actor: User, account_id: int, service: str, at: datetime) -> Entry | None:
    """ "Is service S of account A in a window at instant t?": the occurrence holding ``at``."""
    account = account_get_for_actor(actor=actor, account_id=account_id)
    errors: dict[str, str] = {}
    if at.tzinfo is None or at.utcoffset() is None:
        errors["at"] = "must carry a UTC offset (e.g. 2027-01-05T05:30:00Z)"
    if not service:
        errors["service"] = "required: the cloud service to ask about"
    elif service not in current_policy().services:
        errors["service"] = "unknown cloud service"
    if errors:
        raise ValidationFailed("the question is not valid", errors=errors)
    return entry_at(account=account, service=service, instant=at)


def reschedule_list_for_actor(
    *, actor: User, account_id: int | None = None, status: str | None = None
) -> QuerySet[RescheduleRequest]:
    qs = RescheduleRequest.objects.filter(account__in=account_list_for_actor(actor=actor))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


def reschedule_get_for_actor(*, actor: User, reschedule_id: int) -> RescheduleRequest:
    request = reschedule_list_for_actor(actor=actor).filter(pk=reschedule_id).first()
    if request is None:
        raise NotFound("reschedule request not found")
    return request


def reschedule_events_for_actor(*, actor: User, reschedule_id: int) -> list[RequestEvent]:
    request = reschedule_get_for_actor(actor=actor, reschedule_id=reschedule_id)
    return list(RequestEvent.objects.filter(subject_type="reschedule", subject_id=request.pk).order_by("seq"))


def subscribed_services(*, reseller_id: int, today: datetime | None = None) -> set[str]:
    """The services a reseller's accounts subscribe to on ``today`` (UTC date) or later."""
    day = (today or datetime.now(UTC)).astimezone(UTC).date()
    return set(
        Subscription.objects.filter(reseller_id=reseller_id, term_end__gte=day).values_list("service", flat=True)
    )


def notice_list_for_actor(
    *, actor: User, service: str | None = None, since: datetime | None = None
) -> QuerySet[MaintenanceNotice]:
    """Notices the actor may see, newest first; ``since`` keeps those still running at or after it."""
    qs = MaintenanceNotice.objects.all()
    if not is_vendor(actor.role_enum):
        assert actor.reseller_id is not None
        reached = NoticeReseller.objects.filter(reseller_id=actor.reseller_id).values("notice_id")
        qs = qs.filter(Q(service__in=subscribed_services(reseller_id=actor.reseller_id)) | Q(pk__in=reached))
    if service is not None:
        qs = qs.filter(service=service)
    if since is not None:
        qs = qs.filter(end__gt=since)
    return qs.order_by("-start", "-id")


def notice_get_for_actor(*, actor: User, notice_id: int) -> MaintenanceNotice:
    notice = notice_list_for_actor(actor=actor).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound("maintenance notice not found")
    return notice


def feed_list_for_actor(*, actor: User) -> QuerySet[CalendarFeed]:
    qs = CalendarFeed.objects.all()
    if not is_vendor(actor.role_enum):
        qs = qs.filter(reseller_id=actor.reseller_id or 0)
    return qs.order_by("-created_at", "-id")


def feed_get_for_actor(*, actor: User, feed_id: int) -> CalendarFeed:
    feed = feed_list_for_actor(actor=actor).filter(pk=feed_id).first()
    if feed is None:
        raise NotFound("calendar feed not found")
    return feed
