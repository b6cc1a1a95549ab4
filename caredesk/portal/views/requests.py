"""Requests that are not incidents: MAC/D requests (the policy routes them to Customer Care as a
service request, or to the account's CSM) and feature requests (their own statuses, no clock).

A Designated Contact submits both; reseller staff read them; the CSM inbox lists the MAC/D
requests routed to the signed-in CSM, and Customer Care reviews feature requests. The detail
pages are shared: their status forms appear for the roles that work them, and the services
refuse everyone else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from caredesk.cases import requests_selectors as selectors
from caredesk.cases import requests_services as services
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.tenancy.roles import Role, is_care, may_act_for_reseller
from caredesk.portal.views.base import actor, console_side, page, render_page
from caredesk.portal.views.forms import to_id
from caredesk.tenancy import selectors as tenancy


def _events(subject_type: str, subject_id: int) -> Any:
    return selectors.request_events(subject_type=subject_type, subject_id=subject_id).select_related("actor")


# --------------------------------------------------------------------------- feature requests


@page(methods=("GET", "POST"))
def feature_requests(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        try:
            fr = services.feature_request_submit(
                actor=user,
                service=post.get("service", ""),
                title=post.get("title", ""),
                description=post.get("description", ""),
                business_case=post.get("business_case", ""),
                account_id=to_id(post.get("account_id")),
                channel="portal",
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Feature request submitted.")
            return redirect("portal:feature_request_detail", feature_request_id=fr.pk)
    status = request.GET.get("status") or None
    context = {
        "requests": selectors.feature_request_list_for_actor(actor=user, status=status).select_related(
            "reseller", "account"
        )[:200],
        "may_submit": may_act_for_reseller(user.role_enum),
        "accounts": tenancy.account_list_for_actor(actor=user) if not is_care(user.role_enum) else [],
        "statuses": list(services.FEATURE_TRANSITIONS),
        "status": status or "",
        "values": request.POST if request.method == "POST" else {},
        "errors": errors,
    }
    return render_page(request, "portal/requests/features.html", context, status=422 if errors else 200)


@page(methods=("GET", "POST"))
def feature_request_detail(request: HttpRequest, feature_request_id: int) -> HttpResponse:
    user = actor(request)
    fr = selectors.feature_request_get_for_actor(actor=user, request_id=feature_request_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.feature_request_set_status(
                actor=user,
                request_id=fr.pk,
                status=request.POST.get("status", ""),
                note=request.POST.get("note", ""),
                channel="portal",
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Status changed.")
            return redirect("portal:feature_request_detail", feature_request_id=fr.pk)
    context = {
        "fr": fr,
        "events": _events("feature_request", fr.pk),
        "next_statuses": sorted(services.FEATURE_TRANSITIONS.get(fr.status, ())) if is_care(user.role_enum) else [],
        "errors": errors,
    }
    return render_page(request, "portal/requests/feature_detail.html", context, status=422 if errors else 200)


# --------------------------------------------------------------------------- MAC/D


@page(methods=("GET", "POST"))
def macd_requests(request: HttpRequest) -> HttpResponse:
    """A DC's MAC/D form and the reseller's MAC/D requests routed to a CSM (those routed to
    Customer Care are service-request cases and appear with the cases)."""
    user = actor(request)
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        try:
            outcome = services.macd_submit(
                actor=user,
                account_id=to_id(post.get("account_id")) or 0,
                service=post.get("service", ""),
                title=post.get("title", ""),
                description=post.get("description", ""),
                local_contact=post.get("local_contact", ""),
                channel="portal",
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            if outcome.case is not None:
                messages.success(request, "Customer Care handles this MAC/D as a service request case.")
                return redirect("portal:case_detail", case_id=outcome.case.pk)
            assert outcome.csm_request is not None
            messages.success(request, "The account's Customer Success Manager received your MAC/D request.")
            return redirect("portal:macd_detail", csm_request_id=outcome.csm_request.pk)
    status = request.GET.get("status") or None
    context = {
        "requests": selectors.csm_request_list_for_actor(actor=user, status=status).select_related("csm", "reseller")[
            :200
        ],
        "may_submit": may_act_for_reseller(user.role_enum),
        "accounts": tenancy.account_list_for_actor(actor=user),
        "statuses": list(services.CSM_TRANSITIONS),
        "status": status or "",
        "values": request.POST if request.method == "POST" else {},
        "errors": errors,
        "inbox": user.role_enum is Role.CSM,
    }
    template = "portal/console/macd_inbox.html" if console_side(user.role_enum) else "portal/requests/macd.html"
    return render_page(request, template, context, status=422 if errors else 200)


@page(methods=("GET", "POST"))
def macd_detail(request: HttpRequest, csm_request_id: int) -> HttpResponse:
    user = actor(request)
    req = selectors.csm_request_get_for_actor(actor=user, request_id=csm_request_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            services.csm_request_set_status(
                actor=user,
                request_id=req.pk,
                status=request.POST.get("status", ""),
                note=request.POST.get("note", ""),
                channel="portal",
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, "Status changed.")
            return redirect("portal:macd_detail", csm_request_id=req.pk)
    works_it = user.role_enum in (Role.CSM, Role.VENDOR_ADMIN)
    context = {
        "req": req,
        "events": _events("csm_request", req.pk),
        "next_statuses": sorted(services.CSM_TRANSITIONS.get(req.status, ())) if works_it else [],
        "errors": errors,
    }
    return render_page(request, "portal/requests/macd_detail.html", context, status=422 if errors else 200)
