"""Maintenance API: schedules in the viewer's zone, "in a window at t?", the conflict finder,
reschedule requests and decisions, notices, and calendar feeds. Thin: parse, one service or
selector call, render."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils.timezone import now as clock_now
from ninja import Query, Router, Status

from caredesk.api.base import ErrorOut, actor
from caredesk.domain.maintenance import to_zone
from caredesk.domain.maintenance.local import zone_name
from caredesk.domain.maintenance.rules import resolve_zone
from caredesk.maintenance import feeds, notice_services, selectors, services
from caredesk.maintenance.conflicts import ConflictReport, account_conflicts_for_actor
from caredesk.maintenance.models import CalendarFeed
from caredesk.maintenance.schedules import Entry
from caredesk.maintenance.schemas import (
    ConflictReportOut,
    FeedCreatedOut,
    FeedIn,
    FeedOut,
    InWindowOut,
    MaintenanceReasonIn,
    NoteIn,
    NoticeIn,
    NoticeOut,
    RescheduleEventOut,
    RescheduleIn,
    RescheduleOut,
    ScheduleOut,
    WindowQuery,
)
from caredesk.tenancy.models import User

router = Router(tags=["maintenance"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
DEFAULT_SPAN = timedelta(weeks=4)


def _zone(user: User, tz: str | None) -> str:
    """The viewer's zone: ``tz`` if given (validated), else the user's own."""
    return zone_name(resolve_zone(tz or user.timezone or "UTC", field="tz"))


def occurrence_out(entry: Entry, zone: str) -> dict[str, Any]:
    occurrence = entry.occurrence
    local = to_zone(occurrence, zone)
    notice = occurrence.notice
    return {
        "account_id": entry.account_id,
        "service": occurrence.service,
        "label": entry.label,
        "source": occurrence.source,
        "start": local.start,
        "end": local.end,
        "zone": local.zone,
        "display": local.label(),
        "start_utc": occurrence.start,
        "end_utc": occurrence.end,
        "planned_start": occurrence.planned_start,
        "moved_from": occurrence.moved_from,
        "reschedule_id": entry.reschedule_id,
        "notice_id": entry.notice_id,
        "emergency": notice.emergency if notice is not None else None,
        "reason": notice.reason if notice is not None else None,
    }


def _window(query: WindowQuery) -> tuple[datetime, datetime]:
    start = query.start or clock_now().replace(microsecond=0)
    return start, query.end or start + DEFAULT_SPAN


def _schedule(entries: list[Entry], zone: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "zone": zone,
        "start": start.astimezone(UTC),
        "end": end.astimezone(UTC),
        "occurrences": [occurrence_out(e, zone) for e in entries],
    }


@router.get("/maintenance/accounts/{account_id}/schedule", response={200: ScheduleOut, **ERRORS})
def account_schedule(request: HttpRequest, account_id: int, query: Query[WindowQuery]) -> object:
    """Planned, moved and unplanned maintenance of one account in ``[from, to)``, whole."""
    me = actor(request)
    start, end = _window(query)
    entries = selectors.account_schedule_for_actor(actor=me, account_id=account_id, start=start, end=end)
    return _schedule(entries, _zone(me, query.tz), start, end)


@router.get("/maintenance/resellers/{reseller_id}/schedule", response={200: ScheduleOut, **ERRORS})
def reseller_schedule(request: HttpRequest, reseller_id: int, query: Query[WindowQuery]) -> object:
    """The same for every account of a reseller (each occurrence names its account)."""
    me = actor(request)
    start, end = _window(query)
    entries = selectors.reseller_schedule_for_actor(actor=me, reseller_id=reseller_id, start=start, end=end)
    return _schedule(entries, _zone(me, query.tz), start, end)


@router.get("/maintenance/accounts/{account_id}/in-window", response={200: InWindowOut, **ERRORS})
def in_window(
    request: HttpRequest, account_id: int, service: str = "", at: datetime | None = None, tz: str | None = None
) -> object:
    """Is ``service`` (required) of this account in a maintenance window at ``at`` (default: now)?"""
    me = actor(request)
    instant = at or clock_now()
    entry = selectors.in_window_for_actor(actor=me, account_id=account_id, service=service, at=instant)
    zone = _zone(me, tz)
    return {
        "account_id": account_id,
        "service": service,
        "at": instant,
        "in_window": entry is not None,
        "occurrence": occurrence_out(entry, zone) if entry is not None else None,
    }


def _report(report: ConflictReport, zone: str) -> dict[str, Any]:
    return {
        "account_id": report.account.pk,
        "start": report.start,
        "end": report.end,
        "sources": [
            {
                "kind": s.kind,
                "case_id": s.case_id,
                "timezone": s.timezone,
                "text": s.text,
                "understood": s.understood,
                "hours": s.hours,
            }
            for s in report.sources
        ],
        "conflicts": [
            {
                "occurrence": occurrence_out(item.entry, zone),
                "overlap_minutes": sum(int((o.local.end - o.local.start).total_seconds()) for o in item.overlaps) // 60,
                "overlaps": [
                    {
                        "source": o.source.kind,
                        "case_id": o.source.case_id,
                        "zone": o.local.zone,
                        "start": o.local.start,
                        "end": o.local.end,
                        "display": o.local.label(),
                    }
                    for o in item.overlaps
                ],
                "draft": vars(item.draft) if item.draft is not None else None,
            }
            for item in report.items
        ],
    }


@router.get("/maintenance/accounts/{account_id}/conflicts", response={200: ConflictReportOut, **ERRORS})
def account_conflicts(request: HttpRequest, account_id: int, weeks: int = 4, tz: str | None = None) -> object:
    """Maintenance in the next ``weeks`` that overlaps the working hours of the account's users."""
    me = actor(request)
    now = clock_now().replace(microsecond=0)
    report = account_conflicts_for_actor(actor=me, account_id=account_id, weeks=weeks, now=now)
    return _report(report, _zone(me, tz))


@router.post("/maintenance/reschedules", response={201: RescheduleOut, **ERRORS})
def reschedule_request(request: HttpRequest, payload: RescheduleIn) -> object:
    return Status(201, services.reschedule_request(actor=actor(request), **payload.dict()))


@router.get("/maintenance/reschedules", response={200: list[RescheduleOut], **ERRORS})
def reschedule_list(
    request: HttpRequest, account_id: int | None = None, status: str | None = None, limit: int = 100
) -> object:
    qs = selectors.reschedule_list_for_actor(actor=actor(request), account_id=account_id, status=status)
    return list(qs[: max(1, min(limit, 500))])


@router.get("/maintenance/reschedules/{reschedule_id}", response={200: RescheduleOut, **ERRORS})
def reschedule_get(request: HttpRequest, reschedule_id: int) -> object:
    return selectors.reschedule_get_for_actor(actor=actor(request), reschedule_id=reschedule_id)


@router.get("/maintenance/reschedules/{reschedule_id}/events", response={200: list[RescheduleEventOut], **ERRORS})
def reschedule_events(request: HttpRequest, reschedule_id: int) -> object:
    return selectors.reschedule_events_for_actor(actor=actor(request), reschedule_id=reschedule_id)


@router.post("/maintenance/reschedules/{reschedule_id}/accept", response={200: RescheduleOut, **ERRORS})
def reschedule_accept(request: HttpRequest, reschedule_id: int, payload: NoteIn) -> object:
    me = actor(request)
    selectors.reschedule_get_for_actor(actor=me, reschedule_id=reschedule_id)
    return services.reschedule_accept(actor=me, reschedule_id=reschedule_id, note=payload.note)


@router.post("/maintenance/reschedules/{reschedule_id}/decline", response={200: RescheduleOut, **ERRORS})
def reschedule_decline(request: HttpRequest, reschedule_id: int, payload: MaintenanceReasonIn) -> object:
    me = actor(request)
    selectors.reschedule_get_for_actor(actor=me, reschedule_id=reschedule_id)
    return services.reschedule_decline(actor=me, reschedule_id=reschedule_id, reason=payload.reason)


@router.post("/maintenance/notices", response={201: NoticeOut, **ERRORS})
def notice_post(request: HttpRequest, payload: NoticeIn) -> object:
    return Status(201, notice_services.notice_post(actor=actor(request), **payload.dict()))


@router.get("/maintenance/notices", response={200: list[NoticeOut], **ERRORS})
def notice_list(
    request: HttpRequest, service: str | None = None, since: datetime | None = None, limit: int = 100
) -> object:
    """Notices you may see, newest first; ``since`` keeps those still running at or after it."""
    qs = selectors.notice_list_for_actor(actor=actor(request), service=service, since=since)
    return list(qs[: max(1, min(limit, 500))])


@router.get("/maintenance/notices/{notice_id}", response={200: NoticeOut, **ERRORS})
def notice_get(request: HttpRequest, notice_id: int) -> object:
    return selectors.notice_get_for_actor(actor=actor(request), notice_id=notice_id)


@router.post("/maintenance/notices/{notice_id}/cancel", response={200: NoticeOut, **ERRORS})
def notice_cancel(request: HttpRequest, notice_id: int, payload: MaintenanceReasonIn) -> object:
    me = actor(request)
    selectors.notice_get_for_actor(actor=me, notice_id=notice_id)
    return notice_services.notice_cancel(actor=me, notice_id=notice_id, reason=payload.reason)


def _created(request: HttpRequest, feed: CalendarFeed, secret: str) -> dict[str, Any]:
    url = request.build_absolute_uri(f"/feeds/{secret}.ics")
    return {
        **{f: getattr(feed, f) for f in FeedOut.model_fields},
        "url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
    }


@router.post("/maintenance/feeds", response={201: FeedCreatedOut, **ERRORS})
def feed_create(request: HttpRequest, payload: FeedIn) -> object:
    feed, secret = feeds.feed_create(actor=actor(request), **payload.dict())
    return Status(201, _created(request, feed, secret))


@router.get("/maintenance/feeds", response={200: list[FeedOut], **ERRORS})
def feed_list(request: HttpRequest, include_revoked: bool = False) -> object:
    qs = selectors.feed_list_for_actor(actor=actor(request))
    return list(qs if include_revoked else qs.filter(revoked_at__isnull=True))


@router.post("/maintenance/feeds/{feed_id}/rotate", response={200: FeedCreatedOut, **ERRORS})
def feed_rotate(request: HttpRequest, feed_id: int) -> object:
    feed, secret = feeds.feed_rotate(actor=actor(request), feed_id=feed_id)
    return _created(request, feed, secret)


@router.delete("/maintenance/feeds/{feed_id}", response={200: FeedOut, **ERRORS})
def feed_revoke(request: HttpRequest, feed_id: int) -> object:
    return feeds.feed_revoke(actor=actor(request), feed_id=feed_id)
