"""The Customer Care console: the queue of open cases ordered by breach risk (soonest next due
instant first), with filters, keyboard shortcuts and bulk assignment.

Bulk assignment calls ``case_assign`` once per case, each in its own transaction: a case that
cannot be assigned (closed, changed, not visible) is reported and the others are still assigned,
and no case is ever half-assigned.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from caredesk.api.keyset import keyset_page
from caredesk.cases import selectors as cases
from caredesk.cases import services
from caredesk.cases.models import CaseStatus
from caredesk.domain.errors import DomainError
from caredesk.domain.tenancy.roles import Role, is_care
from caredesk.portal.views.base import actor, care_only, console_side, page, query_without, render_page, safe_next
from caredesk.portal.views.forms import to_id, to_int
from caredesk.portal.views.reseller import rows_with_due, with_clock_rows
from caredesk.tenancy import selectors as tenancy

QUEUE_ROWS = 50


def _filters(request: HttpRequest) -> dict[str, Any]:
    get = request.GET
    status = get.get("status", "open")
    severities = [s for s in (to_int(v) for v in get.getlist("severity")) if isinstance(s, int)]
    return {
        "status": [status] if status not in ("open", "all", "") else None,
        "open_only": status == "open",
        "severity": severities or None,
        "package": get.get("package") or None,
        "service": get.get("service") or None,
        "reseller_id": to_id(get.get("reseller_id")),
        "assignee": get.get("assignee") or None,
        "ordering": "next_due",
    }


@page(console_side, methods=("GET",))
def queue(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    qs = cases.case_list_for_actor(actor=user, **_filters(request))
    rows, cursor = keyset_page(
        with_clock_rows(qs), cases.ORDERINGS["next_due"], cursor=request.GET.get("cursor") or None, page_size=QUEUE_ROWS
    )
    care = (Role.CARE_AGENT.value, Role.CARE_MANAGER.value)
    context = {
        "rows": rows_with_due(rows),
        "next_cursor": cursor,
        "query": query_without(request, "cursor"),
        "filters": request.GET,
        "chosen_severities": request.GET.getlist("severity"),
        "statuses": [s.value for s in CaseStatus],
        "resellers": tenancy.reseller_list_for_actor(actor=user),
        "agents": tenancy.user_list_for_actor(actor=user).filter(role__in=care, is_active=True).order_by("name"),
        "may_assign": is_care(user.role_enum),
    }
    template = "portal/console/_queue.html" if request.headers.get("HX-Target") == "queue" else None
    return render_page(request, template or "portal/console/queue.html", context)


@page(care_only, methods=("POST",))
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign every ticked case: one ``case_assign`` per case; a summary of what was done."""
    user = actor(request)
    raw = request.POST.get("assignee_id", "")
    assignee_id = user.pk if raw == "me" else to_id(raw)
    ids = [i for i in (to_id(v) for v in request.POST.getlist("case_ids")) if i is not None]
    back = safe_next(request, "/console/")
    if not ids:
        messages.error(request, "Tick at least one case to assign.")
        return redirect(back)
    done, failed = [], []
    for case_id in dict.fromkeys(ids):
        try:
            services.case_assign(actor=user, case_id=case_id, assignee_id=assignee_id, channel="portal")
        except DomainError as exc:
            failed.append((case_id, exc))
        else:
            done.append(case_id)
    if done:
        who = "you" if assignee_id == user.pk else ("nobody" if assignee_id is None else "the chosen agent")
        cases_text = ", ".join(f"#{i}" for i in done)
        messages.success(request, f"Assigned {len(done)} case(s) to {who}: {cases_text}.")
    for case_id, refusal in failed:
        messages.error(request, f"Case #{case_id} was not assigned: {refusal}")
    return redirect(back)
