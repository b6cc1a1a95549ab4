"""Reports API: the SLA compliance report and the what-if replay as JSON (the numbers the pages and
the CSV export show). Thin: parse, one selector call, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from caredesk.api.base import ErrorOut, actor
from caredesk.reports import selectors

router = Router(tags=["reports"])
ERRORS = {404: ErrorOut, 422: ErrorOut}


class ReportParams(Schema):
    model_config = ConfigDict(populate_by_name=True)

    start: date | None = Field(None, alias="from", description="First day (UTC), inclusive; default: 5 months ago, 1st")
    end: date | None = Field(None, alias="to", description="Last day (UTC), inclusive; default: today")
    group_by: str = Field("package", description=f"One of: {', '.join(selectors.GROUP_BY)}")
    reseller_id: int | None = None
    account_id: int | None = None
    package: str | None = None
    severity: int | None = None
    service: str | None = None


class WhatIfParams(Schema):
    model_config = ConfigDict(populate_by_name=True)

    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    package: str = Field(description="The support package to replay the cases under")
    reseller_id: int | None = Field(None, description="Required for vendor roles; a reseller's own by default")


class BucketsOut(Schema):
    met: int
    breached: int
    running: int
    cancelled: int
    not_applicable: int
    share_met: float | None = Field(description="met / (met + breached); null when nothing is decided")


class ReportTargetOut(BucketsOut):
    median_hours: float | None = Field(description="Median time from submission to the met instant, hours")
    p90_hours: float | None = Field(description="90th percentile of the same, hours")


class TargetsOut(Schema):
    response: ReportTargetOut
    restoration: ReportTargetOut
    resolution: ReportTargetOut


class GroupOut(Schema):
    key: dict[str, Any]
    label: str
    cases: int
    targets: TargetsOut


class TrendOut(Schema):
    month: str
    cases: int
    targets: TargetsOut


class GoalOut(Schema):
    package: str
    package_label: str
    severity: int
    severity_label: str
    restored_within_target: int
    restored_late_or_breached: int
    running: int
    share_within_target: float | None
    goal_share: float
    under_goal: bool | None = Field(description="true when the share is under the goal; null with no data")


class ReportOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    group_by: str
    generated_at: str
    restoration_goal_share: float
    groups: list[GroupOut]
    totals: GroupOut
    trend: list[TrendOut]
    restoration_goal: list[GoalOut]


class WhatIfSideOut(Schema):
    actual: BucketsOut
    what_if: BucketsOut
    breach_delta: int = Field(description="what-if breaches minus actual breaches")


class WhatIfTargetsOut(Schema):
    response: WhatIfSideOut
    restoration: WhatIfSideOut
    resolution: WhatIfSideOut


class ChangeOut(Schema):
    actual: str
    what_if: str


class ChangedCaseOut(Schema):
    case_id: int
    title: str
    package: str
    severity: int
    changes: dict[str, ChangeOut]


class WhatIfOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    reseller_id: int
    reseller: str
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    package: str
    package_label: str
    generated_at: str
    cases: int
    cases_by_package: dict[str, int]
    targets: WhatIfTargetsOut
    changed_cases: list[ChangedCaseOut]
    changed_total: int


@router.get("/reports/sla", response={200: ReportOut, **ERRORS}, by_alias=True)
def sla_report(request: HttpRequest, params: Query[ReportParams]) -> object:
    """SLA compliance of the cases submitted in the period, as the caller may see them: per group
    (package, severity, package_severity, reseller, account or service), in total, per month, and
    the restoration goal per package and severity."""
    now = timezone.now()
    policy = selectors.current_policy()
    query = selectors.report_query(
        today=now.date(),
        start=params.start,
        end=params.end,
        group_by=params.group_by,
        reseller_id=params.reseller_id,
        account_id=params.account_id,
        package=params.package,
        severity=params.severity,
        service=params.service,
        policy=policy,
    )
    return selectors.sla_report_cached(actor=actor(request), query=query, policy=policy).to_json()


@router.get("/reports/what-if", response={200: WhatIfOut, **ERRORS}, by_alias=True)
def what_if(request: HttpRequest, params: Query[WhatIfParams]) -> object:
    """How many targets the reseller's cases of the period would have breached under another package:
    every case replayed through the SLA engine under its own package and under ``package``."""
    now = timezone.now()
    default_start, default_end = selectors.default_period(now.date())
    return selectors.what_if_cached(
        actor=actor(request),
        reseller_id=params.reseller_id,
        start=params.start or default_start,
        end=params.end or default_end,
        package=params.package,
    ).to_json()
