"""Post-incident API: post-mortems (schedule, held, not applicable), Incident Reports (request,
write, publish, PDF). Thin: parse, one service or selector call, render. Reports answer with
``ETag: "<version>"``; writes accept ``If-Match``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from caredesk.api.base import ErrorOut, actor
from caredesk.cases.api import if_match
from caredesk.domain.errors import InvalidTransition
from caredesk.incidents import selectors, services
from caredesk.incidents.pdf import incident_report_pdf
from caredesk.incidents.schemas import (
    HeldIn,
    IncidentReportOut,
    NotApplicableIn,
    PostMortemOut,
    ReportRequestIn,
    ReportWriteIn,
    ScheduleIn,
)

router = Router(tags=["post-incident"])
ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 412: ErrorOut, 422: ErrorOut}


class ListFilters(Schema):
    status: list[str] | None = None
    case_id: int | None = None


def _report(request: HttpRequest, response: HttpResponse, incident_report_id: int) -> object:
    report = selectors.incident_report_get_for_actor(actor=actor(request), incident_report_id=incident_report_id)
    response["ETag"] = f'"{report.version}"'
    return selectors.incident_report_view(actor=actor(request), report=report)


@router.get("/post-mortems", response={200: list[PostMortemOut], **ERRORS})
def post_mortem_list(request: HttpRequest, filters: Query[ListFilters], limit: int = 100) -> object:
    """Post-mortems the caller may see, soonest due first (at most `limit`, up to 500)."""
    qs = selectors.post_mortem_list_for_actor(actor=actor(request), **filters.dict())
    return list(qs.order_by("due_at", "id")[: max(1, min(limit, 500))])


@router.get("/post-mortems/{post_mortem_id}", response={200: PostMortemOut, **ERRORS})
def post_mortem_get(request: HttpRequest, post_mortem_id: int) -> object:
    return selectors.post_mortem_get_for_actor(actor=actor(request), post_mortem_id=post_mortem_id)


@router.post("/post-mortems/{post_mortem_id}/schedule", response={200: PostMortemOut, **ERRORS})
def post_mortem_schedule(request: HttpRequest, post_mortem_id: int, payload: ScheduleIn) -> object:
    pm = services.post_mortem_schedule(
        actor=actor(request), post_mortem_id=post_mortem_id, meeting_at=payload.meeting_at, notes=payload.notes
    )
    return selectors.post_mortem_get_for_actor(actor=actor(request), post_mortem_id=pm.pk)


@router.post("/post-mortems/{post_mortem_id}/held", response={200: PostMortemOut, **ERRORS})
def post_mortem_hold(request: HttpRequest, post_mortem_id: int, payload: HeldIn) -> object:
    pm = services.post_mortem_hold(actor=actor(request), post_mortem_id=post_mortem_id, **payload.model_dump())
    return selectors.post_mortem_get_for_actor(actor=actor(request), post_mortem_id=pm.pk)


@router.post("/post-mortems/{post_mortem_id}/not-applicable", response={200: PostMortemOut, **ERRORS})
def post_mortem_not_applicable(request: HttpRequest, post_mortem_id: int, payload: NotApplicableIn) -> object:
    pm = services.post_mortem_mark_not_applicable(
        actor=actor(request), post_mortem_id=post_mortem_id, reason=payload.reason
    )
    return selectors.post_mortem_get_for_actor(actor=actor(request), post_mortem_id=pm.pk)


@router.post("/post-mortems/{post_mortem_id}/incident-report", response={201: IncidentReportOut, **ERRORS})
def incident_report_request(
    request: HttpRequest, response: HttpResponse, post_mortem_id: int, payload: ReportRequestIn
) -> object:
    """A Designated Contact requests the Incident Report in writing, after the meeting was held."""
    report = services.incident_report_request(
        actor=actor(request), post_mortem_id=post_mortem_id, request=payload.request
    )
    return Status(201, _report(request, response, report.pk))


@router.get("/incident-reports", response={200: list[IncidentReportOut], **ERRORS})
def incident_report_list(request: HttpRequest, filters: Query[ListFilters], limit: int = 100) -> object:
    me = actor(request)
    qs = selectors.incident_report_list_for_actor(actor=me, **filters.dict())
    return [
        selectors.incident_report_view(actor=me, report=r)
        for r in qs.order_by("due_at", "id")[: max(1, min(limit, 500))]
    ]


@router.get("/incident-reports/{incident_report_id}", response={200: IncidentReportOut, **ERRORS})
def incident_report_get(request: HttpRequest, response: HttpResponse, incident_report_id: int) -> object:
    return _report(request, response, incident_report_id)


@router.patch("/incident-reports/{incident_report_id}", response={200: IncidentReportOut, **ERRORS})
def incident_report_write(
    request: HttpRequest, response: HttpResponse, incident_report_id: int, payload: ReportWriteIn
) -> object:
    """Customer Care writes parts of the report (only the parts sent change)."""
    services.incident_report_write(
        actor=actor(request),
        incident_report_id=incident_report_id,
        changes=payload.model_dump(exclude_unset=True, exclude_none=True),
        if_match=if_match(request),
    )
    return _report(request, response, incident_report_id)


@router.post("/incident-reports/{incident_report_id}/publish", response={200: IncidentReportOut, **ERRORS})
def incident_report_publish(request: HttpRequest, response: HttpResponse, incident_report_id: int) -> object:
    services.incident_report_publish(
        actor=actor(request), incident_report_id=incident_report_id, if_match=if_match(request)
    )
    return _report(request, response, incident_report_id)


@router.get("/incident-reports/{incident_report_id}/pdf", response={200: None, **ERRORS})
def incident_report_download(request: HttpRequest, incident_report_id: int) -> HttpResponse:
    """The published report as a PDF."""
    report = selectors.incident_report_get_for_actor(actor=actor(request), incident_report_id=incident_report_id)
    if report.status != "published":
        raise InvalidTransition("The Incident Report is not published yet.")
    response = HttpResponse(incident_report_pdf(report=report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="incident-report-case-{report.case_id}.pdf"'
    return response
