"""Maintenance pages: the calendar (month and list views, in the user's time zone) with reschedule
requests and the iCalendar feed link; and Customer Care's page for notices and reschedule
decisions. Every schedule comes from ``caredesk.maintenance.selectors``; every write is one
service call with ``channel="portal"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.timezone import now as clock_now

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.tenancy.roles import Role, is_care, is_vendor
from caredesk.maintenance import conflicts as conflict_finder
from caredesk.maintenance import feeds, notice_services, selectors, services
from caredesk.portal.calendar import items, month_bounds, month_grid, parse_month, shift_month
from caredesk.portal.views.base import actor, care_only, page, render_page
from caredesk.portal.views.forms import datetime_local_value, local_datetime, to_id
from caredesk.tenancy import selectors as tenancy

LIST_DAYS = 42


def _reseller_id(request: HttpRequest) -> int | None:
    """The reseller whose calendar is shown: the user's own, or the one a vendor user picked."""
    user = actor(request)
    if not is_vendor(user.role_enum):
        return user.tenant_id
    chosen = to_id(request.GET.get("reseller_id"))
    if chosen is not None:
        return chosen
    first = tenancy.reseller_list_for_actor(actor=user).first()
    return first.pk if first else None


@page(methods=("GET",))
def calendar(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    view = "list" if request.GET.get("view") == "list" else "month"
    year, month = parse_month(request.GET.get("month"), today)
    if view == "month":
        start, end = month_bounds(year, month, zone)
    else:
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=LIST_DAYS)
    reseller_id = _reseller_id(request)
    accounts = list(tenancy.account_list_for_actor(actor=user, reseller_id=reseller_id)) if reseller_id else []
    entries = (
        selectors.reseller_schedule_for_actor(actor=user, reseller_id=reseller_id, start=start, end=end)
        if reseller_id
        else []
    )
    shown = items(entries, zone, {a.pk: a.name for a in accounts})
    context: dict[str, Any] = {
        "view": view,
        "items": shown,
        "weeks": month_grid(shown, year, month, today) if view == "month" else [],
        "month_start": start,
        "month": f"{year:04d}-{month:02d}",
        "previous_month": shift_month(year, month, -1),
        "next_month": shift_month(year, month, 1),
        "list_end": end,
        "now": clock_now(),
        "is_dc": user.role_enum is Role.DESIGNATED_CONTACT,
        "resellers": tenancy.reseller_list_for_actor(actor=user) if is_vendor(user.role_enum) else [],
        "reseller_id": reseller_id,
        "requests": selectors.reschedule_list_for_actor(actor=user).select_related("account")[:50],
        "notices": selectors.notice_list_for_actor(actor=user, since=clock_now() - timedelta(days=7))[:20],
        "feeds": selectors.feed_list_for_actor(actor=user).select_related("account")[:20],
        "feed_url": request.session.pop("feed_url", None),
    }
    return render_page(request, "portal/maintenance/calendar.html", context)


@page(methods=("GET", "POST"))
def reschedule_new(request: HttpRequest) -> HttpResponse:
    """A DC asks to move one planned occurrence for one account (reason and proposed start)."""
    user = actor(request)
    source = request.POST if request.method == "POST" else request.GET
    account_id = to_id(source.get("account_id"))
    account = tenancy.account_get_for_actor(actor=user, account_id=account_id) if account_id else None
    planned = local_datetime(source.get("planned_start"))
    context: dict[str, Any] = {
        "account": account,
        "service": source.get("service", ""),
        "planned": planned if isinstance(planned, datetime) else None,
        "values": request.POST if request.method == "POST" else {},
        "errors": {},
    }
    if request.method == "GET":
        # A draft (from the conflict finder) may carry the proposed start and the reason.
        proposed = local_datetime(request.GET.get("proposed_start"))
        if isinstance(planned, datetime):
            suggested = proposed if isinstance(proposed, datetime) else planned + timedelta(days=2)
            context["values"] = {
                "proposed_start": datetime_local_value(suggested),
                "reason": request.GET.get("reason", "")[:1000],
            }
        return render_page(request, "portal/maintenance/reschedule.html", context)
    proposed = local_datetime(request.POST.get("proposed_start"))
    try:
        if not isinstance(planned, datetime) or not isinstance(proposed, datetime):
            raise ValidationFailed(
                "times", errors={"proposed_start": "required: the date and time you propose (your time zone)"}
            )
        services.reschedule_request(
            actor=user,
            account_id=account.pk if account else 0,
            service=request.POST.get("service", ""),
            planned_start=planned,
            proposed_start=proposed,
            reason=request.POST.get("reason", ""),
            channel="portal",
        )
    except ValidationFailed as exc:
        context["errors"] = exc.errors
        return render_page(request, "portal/maintenance/reschedule.html", context, status=422)
    messages.success(request, "Reschedule request sent: Customer Care will accept or decline it.")
    return redirect("portal:maintenance")


@page(methods=("GET",))
def conflicts(request: HttpRequest) -> HttpResponse:
    """The conflict finder: an account's occurrences in the next N weeks that overlap the working
    hours of its impacted users, each overlap in the users' local time, with a one-click draft of
    the reschedule request (issue 6 item 5)."""
    user = actor(request)
    reseller_id = _reseller_id(request)
    accounts = list(tenancy.account_list_for_actor(actor=user, reseller_id=reseller_id)) if reseller_id else []
    account_id = to_id(request.GET.get("account_id")) or (accounts[0].pk if accounts else None)
    weeks = to_id(request.GET.get("weeks")) or 4
    context: dict[str, Any] = {
        "accounts": accounts,
        "account_id": account_id,
        "weeks": weeks,
        "report": None,
        "errors": {},
        "is_dc": user.role_enum is Role.DESIGNATED_CONTACT,
    }
    if account_id is not None:
        try:
            context["report"] = conflict_finder.account_conflicts_for_actor(
                actor=user, account_id=account_id, weeks=weeks, now=clock_now()
            )
        except ValidationFailed as exc:
            context["errors"] = exc.errors
    return render_page(request, "portal/maintenance/conflicts.html", context, status=422 if context["errors"] else 200)


@page(methods=("POST",))
def feed_create(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    reseller_id = to_id(request.POST.get("reseller_id")) if is_vendor(user.role_enum) else None
    _, secret = feeds.feed_create(actor=user, reseller_id=reseller_id, account_id=to_id(request.POST.get("account_id")))
    # Shown once on the next page (a redirect must not put the secret in a URL or a log).
    request.session["feed_url"] = request.build_absolute_uri(f"/feeds/{secret}.ics")
    return redirect("portal:maintenance")


@page(methods=("POST",))
def feed_change(request: HttpRequest, feed_id: int, change: str) -> HttpResponse:
    user = actor(request)
    feed = selectors.feed_get_for_actor(actor=user, feed_id=feed_id)
    if change == "rotate":
        _, secret = feeds.feed_rotate(actor=user, feed_id=feed.pk)
        request.session["feed_url"] = request.build_absolute_uri(f"/feeds/{secret}.ics")
        messages.success(request, "New feed address: the old one no longer works.")
    elif change == "revoke":
        feeds.feed_revoke(actor=user, feed_id=feed.pk)
        messages.success(request, "Feed revoked.")
    else:
        raise ValidationFailed("unknown change", errors={"change": "rotate or revoke"})
    return redirect("portal:maintenance")


# --------------------------------------------------------------------------- Customer Care


@page(care_only, methods=("GET", "POST"))
def console_maintenance(request: HttpRequest) -> HttpResponse:
    """Post and cancel notices; accept or decline reschedule requests."""
    user = actor(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        start, end = local_datetime(request.POST.get("start")), local_datetime(request.POST.get("end"))
        try:
            if not isinstance(start, datetime) or not isinstance(end, datetime):
                raise ValidationFailed("times", errors={"start": "required: start and end (your time zone)"})
            notice_services.notice_post(
                actor=user,
                service=request.POST.get("service", ""),
                start=start,
                end=end,
                reason=request.POST.get("reason", ""),
                emergency=request.POST.get("emergency") == "on",
                channel="portal",
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Notice posted; the affected resellers' Designated Contacts are told.")
            return redirect("portal:console_maintenance")
    context = {
        "pending": selectors.reschedule_list_for_actor(actor=user, status="pending").select_related(
            "account", "requested_by", "reseller"
        ),
        "decided": selectors.reschedule_list_for_actor(actor=user)
        .exclude(status="pending")
        .select_related("account", "reseller")[:20],
        "notices": selectors.notice_list_for_actor(actor=user, since=clock_now() - timedelta(days=30))[:50],
        "values": request.POST if request.method == "POST" else {},
        "errors": errors,
        "is_care": is_care(user.role_enum),
    }
    return render_page(request, "portal/maintenance/console.html", context, status=422 if errors else 200)


@page(care_only, methods=("POST",))
def reschedule_decide(request: HttpRequest, reschedule_id: int) -> HttpResponse:
    user = actor(request)
    req = selectors.reschedule_get_for_actor(actor=user, reschedule_id=reschedule_id)
    try:
        if request.POST.get("decision") == "accept":
            services.reschedule_accept(
                actor=user, reschedule_id=req.pk, note=request.POST.get("reason", ""), channel="portal"
            )
            messages.success(request, f"Accepted: the occurrence moves for {req.account.name}.")
        else:
            services.reschedule_decline(
                actor=user, reschedule_id=req.pk, reason=request.POST.get("reason", ""), channel="portal"
            )
            messages.success(request, "Declined: the occurrence stays where it was planned.")
    except ValidationFailed as exc:
        messages.error(request, f"Request #{req.pk}: {exc} ({'; '.join(exc.errors.values())})")
    return redirect("portal:console_maintenance")


@page(care_only, methods=("POST",))
def notice_cancel(request: HttpRequest, notice_id: int) -> HttpResponse:
    user = actor(request)
    notice = selectors.notice_get_for_actor(actor=user, notice_id=notice_id)
    try:
        notice_services.notice_cancel(
            actor=user, notice_id=notice.pk, reason=request.POST.get("reason", ""), channel="portal"
        )
    except ValidationFailed as exc:
        messages.error(request, f"Notice #{notice.pk}: {'; '.join(exc.errors.values()) or exc}")
    else:
        messages.success(request, "Notice cancelled; the resellers it reached are told.")
    return redirect("portal:console_maintenance")
