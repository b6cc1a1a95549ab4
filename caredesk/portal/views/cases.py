"""The case page (the reseller's view and Customer Care's workspace are one page, whose forms
follow the actor's role and ``lifecycle.allowed_actions``) and every action posted from it.

Each action is one service call with ``channel="portal"`` and the case version the page was
rendered with (``If-Match``), so an action on a case that changed meanwhile is refused (412)
rather than applied to a state the user never saw. On success the page is reloaded (post,
redirect, get); on a refusal it is rendered again with the error next to the form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.timezone import now as clock_now

from caredesk.cases import attachments, selectors, services
from caredesk.cases.models import Case
from caredesk.domain.cases.lifecycle import ResolutionCode
from caredesk.domain.errors import DomainError, ValidationFailed
from caredesk.domain.tenancy.roles import Role, is_care
from caredesk.incidents import selectors as post_incident
from caredesk.portal.presenters import actions_for, clocks_of, parse_instant
from caredesk.portal.timeline import timeline_rows
from caredesk.portal.views.base import actor, care_only, page, render_page, status_of
from caredesk.portal.views.forms import datetime_local_value, local_datetime, to_id, to_int
from caredesk.sla.services import policy_of
from caredesk.tenancy import selectors as tenancy
from caredesk.tenancy.models import User


def _care_people(user: User) -> list[User]:
    care = (Role.CARE_AGENT.value, Role.CARE_MANAGER.value)
    return list(tenancy.user_list_for_actor(actor=user).filter(role__in=care, is_active=True).order_by("name"))


def case_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    user = actor(request)
    now = clock_now()
    policy = policy_of(case.policy)
    care = is_care(user.role_enum)
    timeline = selectors.timeline_for_actor(actor=user, case=case)
    return {
        "case": case,
        "clocks": clocks_of(case, case.targets.all(), now),
        "post_mortem_due": parse_instant((case.sla or {}).get("post_mortem_due")),
        "comments": selectors.comment_list_for_actor(actor=user, case=case),
        "timeline": timeline_rows(timeline, actor=user),
        "proposals": list(selectors.proposal_list_for_actor(actor=user, case=case).select_related("proposed_by")),
        "actions": actions_for(case, user.role_enum),
        "is_care": care,
        "is_dc": user.role_enum is Role.DESIGNATED_CONTACT,
        "severities": sorted(policy.severities.items()),
        "severity_name": policy.severities.get(case.severity, str(case.severity)),
        "resolution_codes": [c.value for c in ResolutionCode],
        "agents": _care_people(user) if care else [],
        "attachments": attachments.attachment_list_for_actor(actor=user, case=case).select_related("uploaded_by"),
        "may_attach": (care or user.role_enum is Role.DESIGNATED_CONTACT) and case.status != "closed",
        "findings": [],
        "post_mortems": post_incident.post_mortem_list_for_actor(actor=user, case_id=case.pk).order_by("id"),
        "reports": {
            r.post_mortem_id: r for r in post_incident.incident_report_list_for_actor(actor=user, case_id=case.pk)
        },
        "action_error": None,
        "errors": {},
        **extra,
    }


@page(methods=("GET",))
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    return render_page(request, "portal/cases/detail.html", case_context(request, case))


@page(methods=("GET",))
def case_clocks(request: HttpRequest, case_id: int) -> HttpResponse:
    """htmx: the clocks card alone, polled by the case page so a change made elsewhere shows."""
    case = selectors.case_get_for_actor(actor=actor(request), case_id=case_id)
    context = {"case": case, "clocks": clocks_of(case, case.targets.all(), clock_now())}
    context["post_mortem_due"] = parse_instant((case.sla or {}).get("post_mortem_due"))
    return render_page(request, "portal/cases/_clocks.html", context)


# --------------------------------------------------------------------------- actions

Action = Callable[[User, int, QueryDict, int | None], str]


def _comment(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    internal = post.get("internal") == "on"
    services.case_comment(
        actor=user, case_id=case_id, body=post.get("body", ""), internal=internal, channel="portal", if_match=version
    )
    return "Internal note added." if internal else "Comment added."


def _acknowledge(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_acknowledge(actor=user, case_id=case_id, channel="portal", if_match=version)
    return "Case acknowledged."


def _await(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    message = post.get("message", "")
    services.case_await_reseller(actor=user, case_id=case_id, message=message, channel="portal", if_match=version)
    return "The case now awaits the reseller; restoration and resolution clocks are paused."


def _resume(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_resume(actor=user, case_id=case_id, channel="portal", if_match=version)
    return "Clocks resumed."


def _restore(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    summary = post.get("summary", "")
    services.case_restore(actor=user, case_id=case_id, summary=summary, channel="portal", if_match=version)
    return "Service recorded as restored."


def _resolve(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_resolve(
        actor=user,
        case_id=case_id,
        code=post.get("code", ""),
        summary=post.get("summary", ""),
        channel="portal",
        if_match=version,
    )
    return "Case resolved."


def _reopen(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_reopen(actor=user, case_id=case_id, reason=post.get("reason", ""), channel="portal", if_match=version)
    return "Case reopened."


def _close(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_close(actor=user, case_id=case_id, channel="portal", if_match=version)
    return "Case closed."


def _assign(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    raw = post.get("assignee_id", "")
    assignee_id = user.pk if raw == "me" else to_id(raw)
    services.case_assign(actor=user, case_id=case_id, assignee_id=assignee_id, channel="portal", if_match=version)
    return "Assignment saved." if assignee_id else "Case unassigned."


def _severity(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.case_change_severity(
        actor=user,
        case_id=case_id,
        severity=_severity_value(post.get("severity")),
        reason=post.get("reason", ""),
        channel="portal",
        if_match=version,
    )
    return "Severity changed."


def _propose(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    services.severity_propose(
        actor=user,
        case_id=case_id,
        severity=_severity_value(post.get("severity"), field="proposed"),
        reason=post.get("reason", ""),
        channel="portal",
    )
    return "Severity proposal sent to Customer Care."


def _decide(user: User, case_id: int, post: QueryDict, version: int | None) -> str:
    decision = post.get("decision")
    if decision not in ("accept", "reject"):
        raise ValidationFailed("accept or reject", errors={"decision": "choose accept or reject"})
    services.severity_decide(
        actor=user,
        case_id=case_id,
        proposal_id=to_id(post.get("proposal_id")) or 0,
        accept=decision == "accept",
        reason=post.get("reason", ""),
        channel="portal",
    )
    return "Proposal accepted; severity changed." if decision == "accept" else "Proposal rejected."


def _severity_value(raw: str | None, field: str = "severity") -> int:
    value = to_int(raw)
    if not isinstance(value, int):
        raise ValidationFailed("choose a severity", errors={field: "choose a severity"})
    return value


ACTIONS: dict[str, Action] = {
    "comment": _comment,
    "acknowledge": _acknowledge,
    "await_reseller": _await,
    "resume": _resume,
    "restore": _restore,
    "resolve": _resolve,
    "reopen": _reopen,
    "close": _close,
    "assign": _assign,
    "severity": _severity,
    "propose": _propose,
    "decide": _decide,
}


@page(methods=("POST",))
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    user = actor(request)
    do = ACTIONS.get(action)
    if do is None:
        raise Http404("no such action")
    try:
        done = do(user, case_id, request.POST, to_id(request.POST.get("version")))
    except DomainError as exc:
        # A foreign case is "not found" here too, whatever the service said first.
        case = selectors.case_get_for_actor(actor=user, case_id=case_id)
        errors = exc.errors if isinstance(exc, ValidationFailed) else {}
        context = case_context(request, case, action_error={"action": action, "error": exc}, errors=errors)
        context["values"] = request.POST
        return render_page(request, "portal/cases/detail.html", context, status=status_of(exc))
    messages.success(request, done)
    return redirect("portal:case_detail", case_id=case_id)


@page(care_only, methods=("GET", "POST"))
def raise_critical(request: HttpRequest, case_id: int) -> HttpResponse:
    """The guide's telephone procedure: the DC submitted the case as High and telephoned; the agent
    records the call and the Designated Contact available 24x7, and the case becomes Critical."""
    user = actor(request)
    case = selectors.case_get_for_actor(actor=user, case_id=case_id)
    contacts = tenancy.user_list_for_actor(actor=user, reseller_id=case.reseller_id).filter(
        role=Role.DESIGNATED_CONTACT.value, is_active=True
    )
    context: dict[str, Any] = {
        "case": case,
        "contacts": contacts.order_by("-available_24x7", "name"),
        "values": request.POST if request.method == "POST" else {"phone_call_at": datetime_local_value(clock_now())},
        "errors": {},
    }
    if request.method == "GET":
        return render_page(request, "portal/cases/raise_critical.html", context)
    call_at = local_datetime(request.POST.get("phone_call_at"))
    try:
        if not isinstance(call_at, datetime):
            raise ValidationFailed("bad time", errors={"phone_call_at": "required: the date and time of the call"})
        services.case_raise_to_critical(
            actor=user,
            case_id=case_id,
            phone_call_at=call_at,
            available_contact_id=to_id(request.POST.get("available_contact_id")) or 0,
            notes=request.POST.get("notes", ""),
            if_match=to_id(request.POST.get("version")),
        )
    except DomainError as exc:
        context["error"] = exc
        context["errors"] = exc.errors if isinstance(exc, ValidationFailed) else {}
        return render_page(request, "portal/cases/raise_critical.html", context, status=status_of(exc))
    messages.success(request, "The case is now Critical; the response target counts from the telephone call.")
    return redirect("portal:case_detail", case_id=case_id)
