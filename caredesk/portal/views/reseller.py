"""The reseller side's pages, and the home page every role lands on: a Designated Contact or staff
member sees their reseller's open cases, soonest due first, each with a live countdown; the vendor
side sees the top of the queue. Also: the reseller's case list, its Designated Contacts (with the
two-DC rule) and the user's own profile (time zone, phone, 24x7 availability).

Lists are read with a constant number of queries whatever their length: the case selector joins
account and assignee, the targets come in one prefetch, and pages are keyset-paginated.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.timezone import now as clock_now

from caredesk.api.keyset import keyset_page
from caredesk.cases import selectors as cases
from caredesk.cases.models import Case, CaseStatus, CaseTarget
from caredesk.domain.errors import DomainError, ValidationFailed
from caredesk.domain.tenancy.roles import MIN_DESIGNATED_CONTACTS, Role, is_care, is_vendor
from caredesk.portal.presenters import next_due_of
from caredesk.portal.views.base import actor, page, query_without, render_page, reseller_side, safe_next, status_of
from caredesk.portal.views.forms import to_id, to_int
from caredesk.tenancy import selectors as tenancy
from caredesk.tenancy import services as tenancy_services

HOME_ROWS = 100
PAGE_ROWS = 50


def with_clock_rows(qs: Any) -> Any:
    """The case rows a list shows: reseller and account joined, targets prefetched."""
    return qs.select_related("reseller").prefetch_related(Prefetch("targets", queryset=CaseTarget.objects.all()))


def soonest_due(qs: Any, limit: int) -> tuple[list[Case], bool]:
    """The first ``limit`` cases, soonest next due first (the selector's "next_due" ordering), and
    whether there are more."""
    rows, cursor = keyset_page(with_clock_rows(qs), cases.ORDERINGS["next_due"], cursor=None, page_size=limit)
    return rows, cursor is not None


def rows_with_due(cases_: list[Case]) -> list[tuple[Case, Any]]:
    now = clock_now()
    return [(case, next_due_of(case, now)) for case in cases_]


@page(methods=("GET",))
def home(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    if is_vendor(user.role_enum):
        qs = cases.case_list_for_actor(actor=user, open_only=True, ordering="next_due")
        mine = cases.case_list_for_actor(actor=user, open_only=True, assignee="me") if is_care(user.role_enum) else None
        context: dict[str, Any] = {
            "rows": rows_with_due(soonest_due(qs, 10)[0]),
            "mine": rows_with_due(soonest_due(mine, 10)[0]) if mine is not None else None,
            "resellers": tenancy.reseller_list_for_actor(actor=user)[:50],
            "accounts": tenancy.account_list_for_actor(actor=user)[:50],
            "minimum": MIN_DESIGNATED_CONTACTS,
        }
        return render_page(request, "portal/home_vendor.html", context)
    rows, more = soonest_due(cases.case_list_for_actor(actor=user, open_only=True), HOME_ROWS)
    context = {
        "rows": rows_with_due(rows),
        "more": more,
        "reseller": tenancy.reseller_get_for_actor(actor=user, reseller_id=user.tenant_id),
        "accounts": tenancy.account_list_for_actor(actor=user)[:50],
        "minimum": MIN_DESIGNATED_CONTACTS,
        "is_dc": user.role_enum is Role.DESIGNATED_CONTACT,
    }
    return render_page(request, "portal/home_reseller.html", context)


@page(reseller_side, methods=("GET",))
def case_list(request: HttpRequest) -> HttpResponse:
    """Every case of the reseller, open or not, filtered; newest first or soonest due first."""
    user = actor(request)
    status = request.GET.get("status", "")
    severity = to_int(request.GET.get("severity"))
    ordering = request.GET.get("ordering", "-submitted")
    qs = cases.case_list_for_actor(
        actor=user,
        status=[status] if status and status != "open" else None,
        open_only=status == "open",
        severity=[severity] if isinstance(severity, int) else None,
        account_id=to_id(request.GET.get("account_id")),
        ordering=ordering,
    )
    rows, cursor = keyset_page(
        with_clock_rows(qs), cases.ORDERINGS[ordering], cursor=request.GET.get("cursor") or None, page_size=PAGE_ROWS
    )
    context = {
        "rows": rows_with_due(rows),
        "next_cursor": cursor,
        "query": query_without(request, "cursor"),
        "statuses": [s.value for s in CaseStatus],
        "accounts": tenancy.account_list_for_actor(actor=user),
        "filters": request.GET,
    }
    return render_page(request, "portal/cases/list.html", context)


@page(methods=("GET",))
def contacts(request: HttpRequest) -> HttpResponse:
    """The Designated Contacts (and staff) of the user's reseller; on the vendor side, of every
    reseller. Shows whether each reseller meets the at-least-two-active-DCs rule."""
    user = actor(request)
    resellers = list(tenancy.reseller_list_for_actor(actor=user))
    people = tenancy.user_list_for_actor(actor=user).filter(reseller__isnull=False).order_by("reseller_id", "name")
    by_reseller: dict[int, list[Any]] = {r.pk: [] for r in resellers}
    for person in people:
        by_reseller.setdefault(person.reseller_id or 0, []).append(person)
    context = {
        "groups": [(r, by_reseller.get(r.pk, [])) for r in resellers],
        "minimum": MIN_DESIGNATED_CONTACTS,
        "may_deactivate": user.role_enum is Role.VENDOR_ADMIN,
    }
    return render_page(request, "portal/people/contacts.html", context)


@page(methods=("POST",))
def contact_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    user = actor(request)
    person = tenancy.user_get_for_actor(actor=user, user_id=user_id)
    try:
        tenancy_services.user_deactivate(actor=user, user_id=person.pk)
    except DomainError as exc:
        if status_of(exc) == 403:
            raise
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{person.name} is deactivated.")
    return redirect(safe_next(request, "/contacts/"))


@page(methods=("GET", "POST"))
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own details: the time zone every page shows instants in, phone, 24x7 flag."""
    user = actor(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            tenancy_services.user_update(
                actor=user,
                user_id=user.pk,
                name=request.POST.get("name", user.name),
                phone=request.POST.get("phone", user.phone),
                timezone_name=request.POST.get("timezone", user.timezone),
                available_24x7=request.POST.get("available_24x7") == "on"
                if user.role_enum is Role.DESIGNATED_CONTACT
                else None,
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("portal:profile")
    context = {"values": request.POST if request.method == "POST" else None, "errors": errors}
    return render_page(request, "portal/people/profile.html", context, status=status)
