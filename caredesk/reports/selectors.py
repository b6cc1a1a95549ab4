"""Reads for SLA compliance reports: aggregate queries over the cases an actor may see.

Scoping is the cases' own door, ``case_visible_for_actor``: Customer Care and the vendor admin see
every case, a CSM the cases of the accounts assigned to them, a Designated Contact or reseller staff
only their reseller's. A filter naming something outside that scope simply matches nothing.

Query count is constant, whatever the number of cases or groups: each section of a report (the
breakdown, the totals, the monthly trend, the restoration goal) is one GROUP BY query that counts
every bucket with conditional aggregates and, on PostgreSQL, computes the percentiles with
``percentile_cont`` in the same query. SQLite has no ``percentile_cont``: there a second query ranks
the met durations of each group with window functions and fetches only the (at most four) rows
around the median and the 90th percentile, which ``stats.percentile_cont`` interpolates exactly as
PostgreSQL would.

The what-if replays the cases of one reseller and period through ``caredesk.domain.sla.replay``
(the engine of ``caredesk sla replay``) under their own package and under another one, with every
case's SLA history fetched in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Abs, RowNumber, TruncMonth

from caredesk.cases.clocks import calendar_of
from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.selectors import case_visible_for_actor
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.clocks import ClockState, TargetState
from caredesk.domain.sla.policy import DEFAULT_RESTORATION_GOAL_SHARE, Policy
from caredesk.domain.sla.replay import events_from_json, replay
from caredesk.domain.tenancy.roles import is_vendor
from caredesk.reports.stats import (
    KINDS,
    PERCENTILES,
    GoalRow,
    GroupRow,
    SlaReport,
    TargetStats,
    TrendPoint,
    WhatIf,
    WhatIfCase,
    WhatIfKind,
    hours,
    months_between,
    needed_ranks,
    percentile_cont,
)
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import Reseller, User
from caredesk.tenancy.selectors import reseller_get_for_actor

GROUP_BY: dict[str, tuple[str, ...]] = {
    "package": ("package",),
    "severity": ("severity",),
    "package_severity": ("package", "severity"),
    "reseller": ("reseller_id",),
    "account": ("account_id",),
    "service": ("service",),
}
"""What a report may be grouped by -> the Case fields of its key."""

DEFAULT_MONTHS = 6
MAX_PERIOD_DAYS = 3 * 366
WHAT_IF_MAX_CASES = 5000
"""A what-if replays every case in Python; a larger selection asks for a shorter period."""
WHAT_IF_LISTED = 50


# --------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class ReportQuery:
    """A validated report request: the period is the local dates ``start``..``end`` inclusive, read
    as UTC days (cases submitted from ``start`` 00:00Z to the end of ``end``)."""

    start: date
    end: date
    group_by: str = "package"
    reseller_id: int | None = None
    account_id: int | None = None
    package: str | None = None
    severity: int | None = None
    service: str | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive: midnight after ``end``."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def default_period(today: date) -> tuple[date, date]:
    """The current month and the five before it."""
    month = today.month - (DEFAULT_MONTHS - 1)
    year = today.year
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1), today


def report_query(
    *,
    today: date,
    start: date | None = None,
    end: date | None = None,
    group_by: str | None = None,
    reseller_id: int | None = None,
    account_id: int | None = None,
    package: str | None = None,
    severity: int | None = None,
    service: str | None = None,
    policy: Policy | None = None,
) -> ReportQuery:
    """Check a report request; one ``ValidationFailed`` naming every bad field."""
    default_start, default_end = default_period(today)
    start = start or default_start
    end = end or default_end
    errors: dict[str, str] = {}
    if end < start:
        errors["to"] = "must not be before from"
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["to"] = f"a period is at most {MAX_PERIOD_DAYS} days"
    group_by = group_by or "package"
    if group_by not in GROUP_BY:
        errors["group_by"] = f"use one of: {', '.join(GROUP_BY)}"
    if policy is not None:
        if package and package not in policy.packages:
            errors["package"] = f"unknown package; use one of: {', '.join(policy.packages)}"
        if severity is not None and severity not in policy.severities:
            errors["severity"] = f"unknown severity; use one of: {', '.join(map(str, policy.severities))}"
        if service and policy.services and service not in policy.services:
            errors["service"] = f"unknown service; use one of: {', '.join(policy.services)}"
    if errors:
        raise ValidationFailed("The report request is not valid.", errors=errors)
    return ReportQuery(
        start=start,
        end=end,
        group_by=group_by,
        reseller_id=reseller_id,
        account_id=account_id,
        package=package or None,
        severity=severity,
        service=service or None,
    )


def current_policy() -> Policy | None:
    """The current policy version, parsed; ``None`` before any is loaded (reads never load one)."""
    version = PolicyVersion.objects.filter(is_current=True).first()
    return policy_of(version) if version is not None else None


def cases_for_report(*, actor: User, query: ReportQuery) -> QuerySet[Case]:
    qs = case_visible_for_actor(actor=actor).filter(submitted_at__gte=query.start_at, submitted_at__lt=query.end_at)
    if query.reseller_id is not None:
        qs = qs.filter(reseller_id=query.reseller_id)
    if query.account_id is not None:
        qs = qs.filter(account_id=query.account_id)
    if query.package:
        qs = qs.filter(package=query.package)
    if query.severity is not None:
        qs = qs.filter(severity=query.severity)
    if query.service:
        qs = qs.filter(service=query.service)
    return qs


# --------------------------------------------------------------------------- aggregation


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(f) WITHIN GROUP (ORDER BY x)``."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile fraction lies in [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _buckets(now: datetime, prefix: str = "targets__") -> dict[str, Q]:
    """Each report bucket as a condition on a CaseTarget (see stats.py): a running target past its
    due instant is breached as of ``now``; a paused one is still running."""

    def q(**kw: Any) -> Q:
        return Q(**{prefix + k: v for k, v in kw.items()})

    return {
        "met": q(state=TargetState.MET.value),
        "breached": q(state=TargetState.BREACHED.value) | q(state=TargetState.RUNNING.value, due_at__lte=now),
        "running": (q(state=TargetState.RUNNING.value) & (q(due_at__gt=now) | q(due_at__isnull=True)))
        | q(state=TargetState.PAUSED.value),
        "cancelled": q(state=TargetState.CANCELLED.value),
        "not_applicable": q(state=TargetState.NOT_APPLICABLE.value),
    }


def _postgres() -> bool:
    return connection.vendor == "postgresql"


Key = tuple[Any, ...]


@dataclass
class _Group:
    values: dict[str, Any]
    cases: int
    targets: dict[str, TargetStats]


def _aggregate(
    cases: QuerySet[Case],
    dims: Mapping[str, tuple[Expression | F, Expression | F]],
    *,
    now: datetime,
    kinds: Sequence[str] = KINDS,
    extra: Sequence[str] = (),
) -> dict[Key, _Group]:
    """Bucket counts and time-to-target percentiles per group of ``cases``.

    ``dims`` maps each key name to its expression from Case and from CaseTarget (the latter for the
    SQLite percentile query); ``extra`` names Case fields to read along (labels), grouped too."""
    buckets = _buckets(now)
    annotations: dict[str, Any] = {"n_cases": Count("id", distinct=True)}
    for kind in kinds:
        for bucket, condition in buckets.items():
            annotations[f"{kind}__{bucket}"] = Count("targets", filter=Q(targets__kind=kind) & condition)
    if _postgres():
        seconds = Func(
            ExpressionWrapper(F("targets__met_at") - F("submitted_at"), output_field=DurationField()),
            template="EXTRACT(EPOCH FROM %(expressions)s)",
            output_field=FloatField(),
        )
        for kind in kinds:
            for name, fraction in PERCENTILES:
                annotations[f"{kind}__{name}"] = PercentileCont(
                    seconds, fraction, filter=Q(targets__kind=kind, targets__met_at__isnull=False)
                )
    names = list(dims)
    if names:
        rows = list(
            cases.annotate(**{f"k_{n}": e for n, (e, _) in dims.items()})
            .values(*[f"k_{n}" for n in names], *extra)
            .annotate(**annotations)
            .order_by(*[f"k_{n}" for n in names])
        )
    else:
        rows = [cases.aggregate(**annotations)]
    groups: dict[Key, _Group] = {}
    for row in rows:
        key = tuple(row[f"k_{n}"] for n in names)
        targets = {}
        for kind in kinds:
            stats = TargetStats(**{b: row[f"{kind}__{b}"] or 0 for b in buckets})
            if _postgres():
                for name, _ in PERCENTILES:
                    setattr(stats, name, hours(row[f"{kind}__{name}"]))
            targets[kind] = stats
        values = {n: row[f"k_{n}"] for n in names} | {x: row[x] for x in extra}
        groups[key] = _Group(values=values, cases=row["n_cases"] or 0, targets=targets)
    if not _postgres():
        _percentiles_by_ranking(cases, dims, kinds, groups)
    return groups


def _percentiles_by_ranking(
    cases: QuerySet[Case],
    dims: Mapping[str, tuple[Expression | F, Expression | F]],
    kinds: Sequence[str],
    groups: dict[Key, _Group],
) -> None:
    """Fill the percentiles of ``groups`` on a database without ``percentile_cont``: rank the met
    durations within each (group, kind) in SQL and fetch only the rows the percentiles read."""
    duration = ExpressionWrapper(F("met_at") - F("case__submitted_at"), output_field=DurationField())
    partition = [expr for _, expr in dims.values()] + [F("kind")]
    qs = (
        CaseTarget.objects.filter(case__in=cases.values("pk"), kind__in=kinds, met_at__isnull=False)
        .annotate(**{f"k_{n}": expr for n, (_, expr) in dims.items()})
        .annotate(
            duration=duration,
            rank=Window(RowNumber(), partition_by=partition, order_by=duration.asc()),
            count=Window(Count("id"), partition_by=partition),
        )
    )
    nearness = {}
    for index, (_, fraction) in enumerate(PERCENTILES):
        # |(rank - 1) - fraction * (count - 1)| < 1 keeps exactly the floor and ceil ranks.
        nearness[f"near_{index}"] = Abs(
            F("rank") - Value(1.0) - Value(fraction) * (F("count") - Value(1.0)), output_field=FloatField()
        )
    near = Q()
    for name in nearness:
        near |= Q(**{f"{name}__lt": 1})
    rows = (
        qs.annotate(**nearness).filter(near).values_list(*[f"k_{n}" for n in dims], "kind", "rank", "count", "duration")
    )
    ranked: dict[tuple[Key, str], dict[int, float]] = defaultdict(dict)
    counts: dict[tuple[Key, str], int] = {}
    width = len(dims)
    for row in rows:
        key, kind, rank, count, value = tuple(row[:width]), row[width], row[width + 1], row[width + 2], row[width + 3]
        ranked[key, kind][rank - 1] = value.total_seconds() if isinstance(value, timedelta) else float(value)
        counts[key, kind] = count
    for (key, kind), values in ranked.items():
        group = groups.get(key)
        if group is None:
            continue
        assert needed_ranks(counts[key, kind]) <= set(values)
        for name, fraction in PERCENTILES:
            setattr(group.targets[kind], name, hours(percentile_cont(values, counts[key, kind], fraction)))


# --------------------------------------------------------------------------- the report


def _labels(policy: Policy | None) -> tuple[dict[str, str], dict[int, str], dict[str, str]]:
    if policy is None:
        return {}, {}, {}
    packages = {name: p.label for name, p in policy.packages.items()}
    severities = {n: f"{n} {label}" for n, label in policy.severities.items()}
    services = {name: s.label for name, s in policy.services.items()}
    return packages, severities, services


def sla_report_for_actor(*, actor: User, query: ReportQuery, now: datetime, policy: Policy | None = None) -> SlaReport:
    """The SLA compliance report of ``query`` as ``actor`` may see it, as of ``now``."""
    policy = policy if policy is not None else current_policy()
    goal_share = policy.compliance.restoration_goal_share if policy else DEFAULT_RESTORATION_GOAL_SHARE
    package_labels, severity_labels, service_labels = _labels(policy)
    cases = cases_for_report(actor=actor, query=query)

    fields = GROUP_BY[query.group_by]
    dims = {f: (F(f), F(f"case__{f}")) for f in fields}
    extra: tuple[str, ...] = ()
    if query.group_by == "reseller":
        extra = ("reseller__name",)
    elif query.group_by == "account":
        extra = ("account__name", "account__department")
    groups = []
    for key, group in _aggregate(cases, dims, now=now, extra=extra).items():
        v = group.values
        parts = []
        for f, value in zip(fields, key, strict=True):
            if f == "package":
                parts.append(package_labels.get(value, value))
            elif f == "severity":
                parts.append(severity_labels.get(value, str(value)))
            elif f == "service":
                parts.append(service_labels.get(value, value))
            elif f == "reseller_id":
                parts.append(v["reseller__name"])
            else:
                dept = v["account__department"]
                parts.append(f"{v['account__name']} / {dept}" if dept else v["account__name"])
        key_json = {f.removesuffix("_id"): value for f, value in zip(fields, key, strict=True)}
        groups.append(GroupRow(key=key_json, label=" · ".join(parts), cases=group.cases, targets=group.targets))
    if query.group_by in ("reseller", "account"):
        groups.sort(key=lambda g: (g.label.casefold(), str(g.key)))

    total = _aggregate(cases, {}, now=now)[()]
    totals = GroupRow(key={}, label="All cases", cases=total.cases, targets=total.targets)

    month_dims = {"month": (TruncMonth("submitted_at", tzinfo=UTC), TruncMonth("case__submitted_at", tzinfo=UTC))}
    by_month = {_as_date(key[0]): g for key, g in _aggregate(cases, month_dims, now=now).items() if key[0] is not None}
    trend = []
    for month in months_between(query.start, query.end):
        found = by_month.get(month)
        trend.append(
            TrendPoint(month=month, cases=found.cases, targets=found.targets) if found else TrendPoint(month=month)
        )

    goal_dims = {f: (F(f), F(f"case__{f}")) for f in ("package", "severity")}
    goal = [
        GoalRow(
            package=key[0],
            package_label=package_labels.get(key[0], str(key[0])),
            severity=key[1],
            severity_label=severity_labels.get(key[1], str(key[1])),
            restoration=g.targets["restoration"],
            goal_share=goal_share,
        )
        for key, g in _aggregate(cases, goal_dims, now=now, kinds=("restoration",)).items()
        if g.targets["restoration"].total > g.targets["restoration"].not_applicable
    ]
    return SlaReport(
        start=query.start,
        end=query.end,
        group_by=query.group_by,
        generated_at=now,
        goal_share=goal_share,
        groups=groups,
        totals=totals,
        trend=trend,
        goal=goal,
    )


def _as_date(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    return value


def filter_choices_for_actor(*, actor: User) -> dict[str, list[tuple[int, str]]]:
    """The resellers and accounts an actor may filter a report by (what the form offers)."""
    from caredesk.tenancy.selectors import account_list_for_actor, reseller_list_for_actor

    resellers = [(r.pk, r.name) for r in reseller_list_for_actor(actor=actor).only("id", "name")[:500]]
    accounts = [
        (a.pk, str(a))
        for a in account_list_for_actor(actor=actor).select_related(None).only("id", "name", "department")[:500]
    ]
    return {"resellers": resellers, "accounts": accounts}


# --------------------------------------------------------------------------- what-if


def _bucket_of(state: ClockState, kind: str) -> str:
    clock = state.targets[next(k for k in state.targets if k.value == kind)]
    if clock.state is TargetState.PAUSED:
        return "running"
    if clock.state is TargetState.RUNNING and clock.due is not None and clock.due <= state.as_of:
        return "breached"
    return clock.state.value


def what_if_for_actor(
    *,
    actor: User,
    reseller_id: int | None,
    start: date,
    end: date,
    package: str,
    now: datetime,
) -> WhatIf:
    """Replay the cases of one reseller submitted in ``start``..``end`` (UTC days, inclusive) under
    ``package`` and compare every target with the same replay under the case's own package."""
    errors: dict[str, str] = {}
    if reseller_id is None:
        if is_vendor(actor.role_enum):
            errors["reseller_id"] = "choose the reseller whose cases to replay"
        else:
            reseller_id = actor.reseller_id
    policy = current_policy()
    if policy is not None and package not in policy.packages:
        errors["package"] = f"unknown package; use one of: {', '.join(policy.packages)}"
    if end < start:
        errors["to"] = "must not be before from"
    elif (end - start).days > MAX_PERIOD_DAYS:
        errors["to"] = f"a period is at most {MAX_PERIOD_DAYS} days"
    if errors:
        raise ValidationFailed("The what-if request is not valid.", errors=errors)
    assert reseller_id is not None
    reseller: Reseller = reseller_get_for_actor(actor=actor, reseller_id=reseller_id)
    query = ReportQuery(start=start, end=end, reseller_id=reseller.pk)
    cases_qs = cases_for_report(actor=actor, query=query)
    cases = list(
        cases_qs.select_related("policy")
        .only(
            "id",
            "title",
            "package",
            "severity",
            "calendar",
            "submitted_at",
            "policy__key",
            "policy__sha256",
            "policy__text",
        )
        .order_by("id")[: WHAT_IF_MAX_CASES + 1]
    )
    if len(cases) > WHAT_IF_MAX_CASES:
        raise ValidationFailed(
            f"More than {WHAT_IF_MAX_CASES} cases in this period; choose a shorter one.",
            errors={"to": f"the period holds more than {WHAT_IF_MAX_CASES} cases; choose a shorter period"},
        )
    histories: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for case_id, sla in (
        CaseEvent.objects.filter(case__in=cases_qs.values("pk"), sla__isnull=False)
        .order_by("case_id", "seq")
        .values_list("case_id", "sla")
    ):
        if sla is not None:
            histories[case_id].append(sla)

    kinds = {kind: WhatIfKind() for kind in KINDS}
    by_package: dict[str, int] = defaultdict(int)
    changed: list[WhatIfCase] = []
    changed_total = 0
    for case in cases:
        events = events_from_json(histories.get(case.pk, []))
        case_policy = policy_of(case.policy)
        calendar = calendar_of(case)
        as_of = max(now, case.submitted_at)
        actual = replay(events, package=case.package, policy=case_policy, calendar=calendar, as_of=as_of)
        other = replay(events, package=package, policy=case_policy, calendar=calendar, as_of=as_of)
        by_package[case.package] += 1
        changes = {}
        for kind in KINDS:
            a, w = _bucket_of(actual, kind), _bucket_of(other, kind)
            setattr(kinds[kind].actual, a, getattr(kinds[kind].actual, a) + 1)
            setattr(kinds[kind].what_if, w, getattr(kinds[kind].what_if, w) + 1)
            if a != w:
                changes[kind] = (a, w)
        if changes:
            changed_total += 1
            if len(changed) < WHAT_IF_LISTED:
                changed.append(
                    WhatIfCase(
                        case_id=case.pk, title=case.title, package=case.package, severity=case.severity, changes=changes
                    )
                )
    labels = _labels(policy)[0]
    return WhatIf(
        reseller_id=reseller.pk,
        reseller_name=reseller.name,
        start=start,
        end=end,
        package=package,
        package_label=labels.get(package, package),
        generated_at=now,
        cases=len(cases),
        cases_by_package=dict(sorted(by_package.items())),
        kinds=kinds,
        changed=changed,
        changed_total=changed_total,
    )
