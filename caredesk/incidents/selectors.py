"""Reads for post-mortems and Incident Reports: the only doors. They follow the cases' rule
(caredesk.cases.selectors.case_visible_for_actor): reseller roles see their own reseller's, a CSM
those of the accounts assigned to them, Customer Care all; anything else is "not found". A
reseller sees a report's content only once it is published."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from caredesk.domain.errors import NotFound, ValidationFailed
from caredesk.domain.incidents.postincident import PostMortemState, ReportState
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.incidents.models import IncidentReport, PostMortem
from caredesk.tenancy.models import User


def _scope[M: Model](actor: User, qs: QuerySet[M]) -> QuerySet[M]:
    if not is_vendor(actor.role_enum):
        return qs.filter(reseller_id=actor.reseller_id)
    if actor.role_enum is Role.CSM:
        return qs.filter(case__account__csm=actor)
    return qs


def post_mortem_list_for_actor(
    *, actor: User, status: list[str] | None = None, case_id: int | None = None
) -> QuerySet[PostMortem]:
    qs = _scope(actor, PostMortem.objects.select_related("case"))
    if status:
        known = {s.value for s in PostMortemState}
        if not set(status) <= known:
            raise ValidationFailed("unknown status", errors={"status": f"use: {', '.join(sorted(known))}"})
        qs = qs.filter(status__in=status)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    return qs


def post_mortem_get_for_actor(*, actor: User, post_mortem_id: int) -> PostMortem:
    pm = post_mortem_list_for_actor(actor=actor).filter(pk=post_mortem_id).first()
    if pm is None:
        raise NotFound("post-mortem not found")
    return pm


def incident_report_list_for_actor(
    *, actor: User, status: list[str] | None = None, case_id: int | None = None
) -> QuerySet[IncidentReport]:
    qs = _scope(actor, IncidentReport.objects.select_related("case", "requested_by"))
    if status:
        known = {s.value for s in ReportState}
        if not set(status) <= known:
            raise ValidationFailed("unknown status", errors={"status": f"use: {', '.join(sorted(known))}"})
        qs = qs.filter(status__in=status)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    return qs


def incident_report_get_for_actor(*, actor: User, incident_report_id: int) -> IncidentReport:
    report = incident_report_list_for_actor(actor=actor).filter(pk=incident_report_id).first()
    if report is None:
        raise NotFound("incident report not found")
    return report


def incident_report_content_visible(*, actor: User, report: IncidentReport) -> bool:
    """Drafts are Customer Care's; a reseller reads the report once it is published."""
    return is_vendor(actor.role_enum) or report.status == ReportState.PUBLISHED.value


def incident_report_view(*, actor: User, report: IncidentReport) -> dict[str, Any]:
    """The report as the actor may read it."""
    visible = incident_report_content_visible(actor=actor, report=report)
    parts = ("summary", "timeline", "root_cause", "remediation")
    return {
        "id": report.pk,
        "version": report.version,
        "post_mortem_id": report.post_mortem_id,
        "case_id": report.case_id,
        "status": report.status,
        "requested_by": report.requested_by.name,
        "requested_at": report.requested_at,
        "request": report.request,
        "due_at": report.due_at,
        "published_at": report.published_at,
        **{p: (getattr(report, p) if visible else None) for p in parts},
    }
