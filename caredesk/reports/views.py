"""Report pages: SLA compliance (filters, tables, trend and breakdown charts, CSV links), its CSV
export, and the what-if replay. Thin: parse the query string, one selector call, render. Scoped
like the API: the selectors only ever count the cases the user may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.safestring import mark_safe

from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.policy import Policy
from caredesk.domain.tenancy.roles import is_vendor
from caredesk.portal.views.base import actor, anyone, page, render_page
from caredesk.reports import selectors
from caredesk.reports.charts import breakdown_chart, trend_chart
from caredesk.reports.exports import SECTIONS, report_csv
from caredesk.reports.stats import KINDS, GroupRow

GROUP_LABELS = {
    "package": "Package",
    "severity": "Severity",
    "package_severity": "Package and severity",
    "reseller": "Reseller",
    "account": "End User Account",
    "service": "Cloud service",
}


def _date(value: str | None, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "use a date such as 2026-10-01"
        return None


def _int(value: str | None, field: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        errors[field] = "choose one from the list"
        return None
    return int(value)


def _query(params: QueryDict, policy: Policy | None) -> selectors.ReportQuery:
    errors: dict[str, str] = {}
    start = _date(params.get("from"), "from", errors)
    end = _date(params.get("to"), "to", errors)
    reseller_id = _int(params.get("reseller_id"), "reseller_id", errors)
    account_id = _int(params.get("account_id"), "account_id", errors)
    severity = _int(params.get("severity"), "severity", errors)
    try:
        query = selectors.report_query(
            today=timezone.now().date(),
            start=start,
            end=end,
            group_by=params.get("group_by") or None,
            reseller_id=reseller_id,
            account_id=account_id,
            package=params.get("package") or None,
            severity=severity,
            service=params.get("service") or None,
            policy=policy,
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed("The report filters are not valid.", errors=errors)
    return query


PAGE_GROUPS = 50
CHART_GROUPS = 20
"""A page shows at most this many groups (the largest by cases, in the report's order) and the
breakdown chart this many; the CSV and the JSON carry every group. 400 accounts would make a page
of 12,000 cells that nobody reads and that takes longer to render than the goal allows."""


def _largest(groups: list[GroupRow], limit: int) -> list[GroupRow]:
    if len(groups) <= limit:
        return groups
    keep = {id(g) for g in sorted(groups, key=lambda g: -g.cases)[:limit]}
    return [g for g in groups if id(g) in keep]


def _kind(params: QueryDict) -> str:
    kind = params.get("kind") or "restoration"
    return kind if kind in KINDS else "restoration"


@page(anyone)
def sla_page(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    policy = selectors.current_policy()
    context: dict[str, Any] = {
        "group_labels": GROUP_LABELS,
        "kinds": KINDS,
        "kind": _kind(request.GET),
        "choices": selectors.filter_choices_for_actor(actor=user),
        "vendor": is_vendor(user.role_enum),
        "policy": policy,
        "filters": request.GET,
    }
    try:
        query = _query(request.GET, policy)
    except ValidationFailed as exc:
        context["errors"] = exc.errors
        return render_page(request, "reports/sla.html", context, status=422)
    report = selectors.sla_report_cached(actor=user, query=query, policy=policy)
    shown = _largest(report.groups, PAGE_GROUPS)
    charted = _largest(report.groups, CHART_GROUPS)
    csv_query = request.GET.copy()
    csv_query.pop("kind", None)
    context.update(
        query=query,
        report=report,
        # Built with ElementTree from numbers and escaped labels: safe to inline.
        trend_svg=mark_safe(trend_chart(report.trend, goal_share=report.goal_share)),  # noqa: S308
        breakdown_svg=mark_safe(breakdown_chart(charted, kind=context["kind"])),  # noqa: S308
        groups=shown,
        hidden_groups=len(report.groups) - len(shown),
        charted_groups=len(charted),
        csv_query=csv_query.urlencode(),
        goal_percent=round(report.goal_share * 100, 1),
        cache_minutes=selectors.REPORT_CACHE_SECONDS // 60,
    )
    return render_page(request, "reports/sla.html", context)


@page(anyone)
def sla_csv(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    section = request.GET.get("section") or "groups"
    if section not in SECTIONS:
        raise ValidationFailed("unknown section", errors={"section": f"use one of: {', '.join(SECTIONS)}"})
    policy = selectors.current_policy()
    query = _query(request.GET, policy)
    report = selectors.sla_report_cached(actor=user, query=query, policy=policy)
    response = HttpResponse(report_csv(report, section), content_type="text/csv; charset=utf-8")
    name = f"sla-{section}-{query.start.isoformat()}-{query.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page(anyone)
def what_if_page(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    policy = selectors.current_policy()
    params = request.GET
    today = timezone.now().date()
    default_start, default_end = selectors.default_period(today)
    context: dict[str, Any] = {
        "choices": selectors.filter_choices_for_actor(actor=user),
        "vendor": is_vendor(user.role_enum),
        "policy": policy,
        "filters": params,
        "kinds": KINDS,
        "form_from": params.get("from") or default_start.isoformat(),
        "form_to": params.get("to") or default_end.isoformat(),
        "package_labels": {name: p.label for name, p in policy.packages.items()} if policy else {},
        "cache_minutes": selectors.REPORT_CACHE_SECONDS // 60,
    }
    if not params.get("package"):
        return render_page(request, "reports/what_if.html", context)
    errors: dict[str, str] = {}
    start = _date(params.get("from"), "from", errors) or default_start
    end = _date(params.get("to"), "to", errors) or default_end
    reseller_id = _int(params.get("reseller_id"), "reseller_id", errors)
    try:
        if errors:
            raise ValidationFailed("The what-if filters are not valid.", errors=errors)
        result = selectors.what_if_cached(
            actor=user, reseller_id=reseller_id, start=start, end=end, package=params["package"]
        )
    except ValidationFailed as exc:
        context["errors"] = {**errors, **exc.errors}
        return render_page(request, "reports/what_if.html", context, status=422)
    context["result"] = result
    return render_page(request, "reports/what_if.html", context)
