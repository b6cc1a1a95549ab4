"""Service advisories: every role reads those it may see (a reseller, those of the services its
accounts subscribe to); Customer Care managers publish and retire them. An advisory's body is
Markdown rendered once, on write, by ``caredesk.knowledge.markdown`` (escaped, then allow-listed),
and only that HTML is ever marked safe in a template."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.tenancy.roles import is_manager
from caredesk.knowledge import selectors, services
from caredesk.knowledge.models import AdvisorySeverity
from caredesk.portal.views.base import actor, care_only, page, render_page


@page(methods=("GET",))
def advisories(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    service = request.GET.get("service") or None
    include_retired = request.GET.get("retired") == "on"
    try:
        found = selectors.advisory_list_for_actor(actor=user, service=service, include_retired=include_retired)[:100]
    except ValidationFailed:
        found = selectors.advisory_list_for_actor(actor=user, include_retired=include_retired)[:100]
    context = {
        "advisories": found,
        "service": service or "",
        "retired": include_retired,
        "may_publish": is_manager(user.role_enum),
    }
    return render_page(request, "portal/knowledge/advisories.html", context)


@page(methods=("GET",))
def advisory_detail(request: HttpRequest, advisory_id: int) -> HttpResponse:
    user = actor(request)
    advisory = selectors.advisory_get_for_actor(actor=user, advisory_id=advisory_id)
    context = {"advisory": advisory, "may_retire": is_manager(user.role_enum) and advisory.retired_at is None}
    return render_page(request, "portal/knowledge/advisory.html", context)


@page(care_only, methods=("GET", "POST"))
def advisory_new(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        try:
            advisory = services.advisory_publish(
                actor=actor(request),
                service=post.get("service", ""),
                title=post.get("title", ""),
                body=post.get("body", ""),
                severity=post.get("severity", "info"),
                impact=post.get("impact", ""),
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Advisory published.")
            return redirect("portal:advisory_detail", advisory_id=advisory.pk)
    context = {
        "severities": AdvisorySeverity.values,
        "values": request.POST if request.method == "POST" else {},
        "errors": errors,
    }
    return render_page(request, "portal/knowledge/advisory_new.html", context, status=422 if errors else 200)


@page(care_only, methods=("POST",))
def advisory_retire(request: HttpRequest, advisory_id: int) -> HttpResponse:
    user = actor(request)
    advisory = selectors.advisory_get_for_actor(actor=user, advisory_id=advisory_id)
    services.advisory_retire(actor=user, advisory_id=advisory.pk, reason=request.POST.get("reason", ""))
    messages.success(request, "Advisory retired.")
    return redirect("portal:advisory_detail", advisory_id=advisory.pk)
