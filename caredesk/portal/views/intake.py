"""Opening a case: the Designated Contact's two-step wizard (the Level 1 checklist first, then every
field of the intake), its inline validation, and the agent's phone intake.

The wizard keeps no server state between its steps: step 2 carries the checklist answers as
hidden inputs. Inline validation posts the whole form to ``intake_validate``, which runs
``case_intake_check`` (every check ``case_open`` makes, nothing written) and answers with one
out-of-band error slot per field, so the messages are the ones the final submit would give.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.timezone import now as clock_now

from caredesk.cases import services
from caredesk.domain.cases.intake import ADDITIONAL_DETAIL_KEYS, LEVEL1_CHECKLIST, Frequency
from caredesk.domain.errors import DomainError, RuleViolation, ValidationFailed
from caredesk.domain.tenancy.roles import Role, may_act_for_reseller
from caredesk.knowledge import selectors as knowledge
from caredesk.portal.views.base import actor, care_only, page, render_page
from caredesk.portal.views.forms import INTAKE_FIELDS, datetime_local_value, field_errors, intake_payload, to_id
from caredesk.tenancy import selectors as tenancy
from caredesk.tenancy.models import User

LEVEL1_QUESTIONS = {
    "help_consulted": "Have you consulted the service's online help?",
    "user_guide_faq_consulted": "Have you consulted the User Guide and the Support FAQ?",
    "service_advisories_checked": "Have you checked the current service advisories?",
    "problem_reproduced": "Have you reproduced the problem?",
    "third_party_cause_ruled_out": "Have you ruled out a cause in a third-party application?",
}
DETAIL_LABELS = {
    "dns": "DNs (directory numbers)",
    "user_information": "User information",
    "ani_cli": "ANI / CLI",
    "equipment": "Equipment",
    "circuits": "Circuits",
    "campaign_name": "Campaign name",
    "report_name": "Report name",
    "other": "Other details",
}
CHECKLIST_FIELDS = ("kind", "issue_in_third_party_application", *(f"level1.{i}" for i in LEVEL1_CHECKLIST))
STEP2_FIELDS = tuple(f for f in INTAKE_FIELDS if f != "kind") + tuple(f"details.{k}" for k in ADDITIONAL_DETAIL_KEYS)


def dc_only(role: Role) -> bool:
    return may_act_for_reseller(role)


def _form_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = actor(request)
    account_id = to_id(request.POST.get("account_id"))
    service = request.POST.get("service", "")
    return {
        "accounts": tenancy.account_list_for_actor(actor=user).select_related("reseller"),
        "subscriptions": tenancy.subscription_list_for_actor(actor=user, account_id=account_id) if account_id else [],
        "advisories": _advisories(user, service),
        "level1": [(item, LEVEL1_QUESTIONS[item]) for item in LEVEL1_CHECKLIST],
        "details": [(key, DETAIL_LABELS[key]) for key in ADDITIONAL_DETAIL_KEYS],
        "frequencies": [f.value for f in Frequency],
        "values": request.POST if request.method == "POST" else {},
        "now_local": datetime_local_value(clock_now()),
        "errors": {},
        **extra,
    }


def _checklist_errors(exc: ValidationFailed) -> dict[str, str]:
    return {k: v for k, v in field_errors(exc.errors).items() if k in CHECKLIST_FIELDS or k == "level1"}


@page(dc_only, methods=("GET", "POST"))
def case_new(request: HttpRequest) -> HttpResponse:
    """GET: step 1 (the checklist). POST ``step=checklist``: check it, then step 2. POST
    ``step=details``: open the case."""
    user = actor(request)
    step = request.POST.get("step") if request.method == "POST" else None
    if step is None:
        return render_page(request, "portal/intake/checklist.html", _form_context(request))
    payload = intake_payload(request.POST)
    if step == "checklist":
        try:
            services.case_intake_check(actor=user, payload=payload, channel="portal")
        except ValidationFailed as exc:
            errors = _checklist_errors(exc)
            if errors:
                ctx = _form_context(request, errors=errors)
                return render_page(request, "portal/intake/checklist.html", ctx, status=422)
        except RuleViolation as exc:
            ctx = _form_context(request, rule_error=exc)
            return render_page(request, "portal/intake/checklist.html", ctx, status=422)
        return render_page(request, "portal/intake/details.html", _form_context(request))
    try:
        case = services.case_open(actor=user, payload=payload, channel="portal")
    except ValidationFailed as exc:
        errors = field_errors(exc.errors)
        template = "portal/intake/details.html"
        if _checklist_errors(exc) and not set(errors) - set(CHECKLIST_FIELDS) - {"level1"}:
            template = "portal/intake/checklist.html"
        return render_page(request, template, _form_context(request, errors=errors, failed=exc), status=422)
    except RuleViolation as exc:
        ctx = _form_context(request, rule_error=exc)
        return render_page(request, "portal/intake/details.html", ctx, status=422)
    return redirect("portal:case_detail", case_id=case.pk)


@page(dc_only, methods=("POST",))
def intake_validate(request: HttpRequest) -> HttpResponse:
    """htmx: the field errors of the form as it stands, for the fields already filled in and the
    one that triggered the check."""
    payload = intake_payload(request.POST)
    errors: dict[str, str] = {}
    rule_error: DomainError | None = None
    try:
        services.case_intake_check(actor=actor(request), payload=payload, channel="portal")
    except ValidationFailed as exc:
        errors = field_errors(exc.errors)
    except RuleViolation as exc:
        rule_error = exc
    # _trigger: the field just changed (caredesk.js adds it), shown even when emptied.
    touched = {name for name in STEP2_FIELDS if request.POST.get(name, "").strip()} | {request.POST.get("_trigger")}
    shown = [(name, errors.get(name, "") if name in touched else "") for name in STEP2_FIELDS]
    return render_page(request, "portal/intake/_errors_oob.html", {"shown": shown, "rule_error": rule_error})


@page(methods=("GET",))
def intake_services(request: HttpRequest) -> HttpResponse:
    """htmx: the cloud services the chosen account subscribes to, as ``<option>`` elements."""
    account_id = to_id(request.GET.get("account_id"))
    subs = tenancy.subscription_list_for_actor(actor=actor(request), account_id=account_id) if account_id else []
    selected = request.GET.get("service", "")
    return render_page(request, "portal/intake/_service_options.html", {"subscriptions": subs, "selected": selected})


def _advisories(user: User, service: str) -> list[Any]:
    if not service:
        return []
    try:
        return list(knowledge.current_advisories_for_actor(actor=user, service=service))
    except ValidationFailed:  # not a cloud service: the intake check says so next to the field
        return []


@page(methods=("GET",))
def intake_advisories(request: HttpRequest) -> HttpResponse:
    """htmx: the current advisories of the chosen service (the checklist asks the DC to read them)."""
    service = request.GET.get("service", "")
    context = {"advisories": _advisories(actor(request), service), "service": service}
    return render_page(request, "portal/intake/_advisories.html", context)


@page(methods=("GET",))
def intake_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: as the DC describes the problem, the User Guide and FAQ articles of the chosen service
    that share its words, and the service's current advisories (guide 4.1: consult them first)."""
    service = request.GET.get("service", "")
    text = " ".join(request.GET.get(name, "") for name in ("title", "business_impact")).strip()
    articles: list[Any] = []
    advisories: list[Any] = []
    if service and len(text) >= 3:
        # An unknown service suggests nothing: the intake check says so next to the field.
        with contextlib.suppress(ValidationFailed):
            articles, advisories = knowledge.suggest_for_actor(actor=actor(request), service=service, text=text[:2000])
    context = {"articles": articles, "advisories": advisories, "service": service, "asked": bool(text)}
    return render_page(request, "portal/intake/_suggestions.html", context)


@page(care_only, methods=("GET", "POST"))
def phone_intake(request: HttpRequest) -> HttpResponse:
    """An agent records a case a Designated Contact telephoned in (packages with a phone channel)."""
    user = actor(request)
    dcs = tenancy.user_list_for_actor(actor=user).filter(role=Role.DESIGNATED_CONTACT.value, is_active=True)
    ctx = _form_context(request, dcs=dcs.select_related("reseller").order_by("reseller__name", "name"))
    if request.method == "GET":
        return render_page(request, "portal/console/phone_intake.html", ctx)
    try:
        caller = to_id(request.POST.get("on_behalf_of_id")) or 0
        case = services.case_open_by_phone(actor=user, on_behalf_of_id=caller, payload=intake_payload(request.POST))
    except ValidationFailed as exc:
        ctx["errors"] = field_errors(exc.errors)
        ctx["failed"] = exc
        return render_page(request, "portal/console/phone_intake.html", ctx, status=422)
    except RuleViolation as exc:
        ctx["rule_error"] = exc
        return render_page(request, "portal/console/phone_intake.html", ctx, status=422)
    return redirect("portal:case_detail", case_id=case.pk)
