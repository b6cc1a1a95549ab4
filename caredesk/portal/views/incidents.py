"""After the incident (guide section 2): post-mortems on the case page and in Customer Care's list,
the Designated Contact's written request for an Incident Report, and the report itself (Customer
Care writes and publishes it; the reseller reads it, and downloads it as PDF, once published).

Every step is one ``caredesk.incidents.services`` call; the states and who may act are
``caredesk.domain.incidents.postincident``'s, so a refused step comes back as the service says it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect

from caredesk.domain.errors import DomainError, InvalidTransition, ValidationFailed
from caredesk.domain.incidents.postincident import REPORT_PARTS, PostMortemState
from caredesk.domain.tenancy.roles import Role, is_care
from caredesk.incidents import selectors, services
from caredesk.incidents.pdf import incident_report_pdf
from caredesk.portal.views.base import actor, console_side, page, render_page
from caredesk.portal.views.forms import local_datetime, to_id
from caredesk.tenancy.models import User

PART_LABELS = {
    "summary": "Summary",
    "timeline": "Timeline",
    "root_cause": "Root cause",
    "remediation": "Steps to address the root causes",
}


def _when(post: QueryDict, name: str) -> datetime | None:
    value = local_datetime(post.get(name))
    if value is not None and not isinstance(value, datetime):
        raise ValidationFailed("bad time", errors={name: "a date and time (your time zone)"})
    return value


def _schedule(user: User, pm_id: int, post: QueryDict) -> str:
    meeting = _when(post, "meeting_at")
    if meeting is None:
        raise ValidationFailed("when", errors={"meeting_at": "required: the meeting's date and time"})
    services.post_mortem_schedule(
        actor=user, post_mortem_id=pm_id, meeting_at=meeting, notes=post.get("notes", ""), channel="portal"
    )
    return "Post-mortem meeting scheduled; the Designated Contacts are told."


def _hold(user: User, pm_id: int, post: QueryDict) -> str:
    services.post_mortem_hold(
        actor=user,
        post_mortem_id=pm_id,
        root_cause_analysis=post.get("root_cause_analysis", ""),
        held_at=_when(post, "held_at"),
        notes=post.get("notes", ""),
        channel="portal",
    )
    return "Post-mortem meeting recorded as held."


def _not_applicable(user: User, pm_id: int, post: QueryDict) -> str:
    services.post_mortem_mark_not_applicable(
        actor=user, post_mortem_id=pm_id, reason=post.get("reason", ""), channel="portal"
    )
    return "Post-mortem marked not applicable."


def _request_report(user: User, pm_id: int, post: QueryDict) -> str:
    services.incident_report_request(
        actor=user, post_mortem_id=pm_id, request=post.get("request", ""), channel="portal"
    )
    return "Incident Report requested; Customer Care is told."


STEPS = {"schedule": _schedule, "hold": _hold, "not_applicable": _not_applicable, "request_report": _request_report}


@page(methods=("POST",))
def post_mortem_step(request: HttpRequest, post_mortem_id: int, step: str) -> HttpResponse:
    user = actor(request)
    pm = selectors.post_mortem_get_for_actor(actor=user, post_mortem_id=post_mortem_id)
    do = STEPS.get(step)
    if do is None:
        raise Http404("no such step")
    try:
        messages.success(request, do(user, pm.pk, request.POST))
    except (ValidationFailed, InvalidTransition) as exc:
        details = "; ".join(f"{k}: {v}" for k, v in getattr(exc, "errors", {}).items())
        messages.error(request, f"{exc}{' (' + details + ')' if details else ''}")
    return redirect(f"/cases/{pm.case_id}/#post-incident")


@page(console_side, methods=("GET",))
def post_mortems(request: HttpRequest) -> HttpResponse:
    """Customer Care's list: open post-mortems soonest due first, and the Incident Reports owed."""
    user = actor(request)
    status = request.GET.get("status", "open")
    chosen = ["due", "scheduled"] if status == "open" else ([status] if status in PostMortemState else None)
    context: dict[str, Any] = {
        "post_mortems": selectors.post_mortem_list_for_actor(actor=user, status=chosen)
        .select_related("case__account", "reseller")
        .order_by("due_at", "id")[:200],
        "reports": selectors.incident_report_list_for_actor(actor=user, status=["requested"])
        .select_related("reseller")
        .order_by("due_at", "id")[:200],
        "status": status,
        "states": [s.value for s in PostMortemState],
    }
    return render_page(request, "portal/incidents/post_mortems.html", context)


@page(methods=("GET", "POST"))
def incident_report(request: HttpRequest, incident_report_id: int) -> HttpResponse:
    user = actor(request)
    report = selectors.incident_report_get_for_actor(actor=user, incident_report_id=incident_report_id)
    errors: dict[str, str] = {}
    error: DomainError | None = None
    if request.method == "POST":
        version = to_id(request.POST.get("version"))
        try:
            changes = {part: request.POST.get(part, "") for part in REPORT_PARTS if part in request.POST}
            written = services.incident_report_write(
                actor=user, incident_report_id=report.pk, changes=changes, if_match=version, channel="portal"
            )
            if request.POST.get("publish") == "yes":
                # What is published is exactly what was just saved (its version).
                services.incident_report_publish(
                    actor=user, incident_report_id=report.pk, if_match=written.version, channel="portal"
                )
                messages.success(request, "Incident Report published to the reseller.")
            else:
                messages.success(request, "Draft saved.")
        except (ValidationFailed, InvalidTransition) as exc:
            errors = getattr(exc, "errors", {})
            error = exc
        else:
            return redirect("portal:incident_report", incident_report_id=report.pk)
        report = selectors.incident_report_get_for_actor(actor=user, incident_report_id=incident_report_id)
    view = selectors.incident_report_view(actor=user, report=report)
    context = {
        "report": report,
        "view": view,
        "parts": [(part, PART_LABELS[part], view.get(part)) for part in REPORT_PARTS],
        "may_write": is_care(user.role_enum) and report.status == "requested",
        "values": request.POST if request.method == "POST" else None,
        "errors": errors,
        "error": error,
        "is_dc": user.role_enum is Role.DESIGNATED_CONTACT,
    }
    return render_page(request, "portal/incidents/report.html", context, status=422 if error else 200)


@page(methods=("GET",))
def incident_report_download(request: HttpRequest, incident_report_id: int) -> HttpResponse:
    """The published report as a PDF download."""
    report = selectors.incident_report_get_for_actor(actor=actor(request), incident_report_id=incident_report_id)
    if report.status != "published":
        raise InvalidTransition("The Incident Report is not published yet.")
    response = HttpResponse(incident_report_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="incident-report-case-{report.case_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
