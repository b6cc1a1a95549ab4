"""Reads for SLA compliance reports: aggregate queries over the cases an actor may see.

Scoping is the cases' own door, ``case_visible_for_actor``: Customer Care and the vendor admin see
every case, a CSM the cases of the accounts assigned to them, a Designated Contact or reseller staff
only their reseller's. A filter naming something outside that scope simply matches nothing.

Query count is constant, whatever the number of cases or groups. A report is two statements:
one GROUP BY at the finest grain any section needs (the group's fields, month, package, severity)
that counts every bucket with conditional aggregates, folded here into the breakdown, the totals,
the monthly trend and the restoration goal; and one for the percentiles of the time to each
target: on PostgreSQL ``percentile_cont`` over GROUPING SETS (group, total, month), on SQLite (no
``percentile_cont``) a window-function ranking over the same groupings that fetches only the (at
most four) rows around the median and the 90th percentile, which ``stats.percentile_cont``
interpolates exactly as PostgreSQL would.

The what-if replays the cases of one reseller and period through ``caredesk.domain.sla.replay``
(the engine of ``caredesk sla replay``) under another package and compares them with the targets
the engine stored for their own package; every case's SLA history comes in one query.

The pages and the API use ``sla_report_cached`` and ``what_if_cached``: the same answers, reused
for ``REPORT_CACHE_SECONDS`` by everyone with the same scope (docs/performance.md, "Pages").
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Abs, RowNumber, TruncMonth
from django.utils import timezone

from caredesk.cases.clocks import calendar_of
from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.selectors import case_visible_for_actor
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.clocks import ClockState, TargetState
from caredesk.domain.sla.policy import DEFAULT_RESTORATION_GOAL_SHARE, Policy
from caredesk.domain.sla.replay import events_from_json, replay
from caredesk.domain.tenancy.roles import Role, is_vendor
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
    empty_targets,
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
    cases: int = 0
    targets: dict[str, TargetStats] = field(default_factory=empty_targets)

    def add(self, cases: int, counts: Mapping[str, Mapping[str, int]]) -> None:
        self.cases += cases
        for kind, buckets in counts.items():
            stats = self.targets[kind]
            for bucket, n in buckets.items():
                setattr(stats, bucket, getattr(stats, bucket) + n)


@dataclass
class _Sections:
    """Every section of a report, from one counting query and one percentile query."""

    groups: dict[Key, _Group]
    total: _Group
    months: dict[date, _Group]
    goal: dict[tuple[str, int], _Group]


def _month(value: datetime | date | None) -> date | None:
    """The first day of a month, from a truncated timestamp (aware, or naive UTC from raw SQL)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).date()
    return value


def _aggregate(cases: QuerySet[Case], fields: Sequence[str], *, now: datetime, extra: Sequence[str] = ()) -> _Sections:
    """Bucket counts and time-to-target percentiles of ``cases``: per group of ``fields`` (Case
    fields), in total, per month of submission, and the restoration counts per package and severity.

    Counting is one GROUP BY at the finest grain (the group's fields, month, package, severity),
    hash-aggregated without DISTINCT (a case has exactly one target of each kind, so its response
    target counts the case), and folded into the sections here. ``extra`` names Case fields read
    along for labels (they depend on the group's fields)."""
    buckets = _buckets(now)
    annotations: dict[str, Any] = {"n_cases": Count("targets", filter=Q(targets__kind=KINDS[0]))}
    for kind in KINDS:
        for bucket, condition in buckets.items():
            annotations[f"{kind}__{bucket}"] = Count("targets", filter=Q(targets__kind=kind) & condition)
    keys: dict[str, Any] = {f"k_{f}": F(f) for f in dict.fromkeys([*fields, "package", "severity"])}
    keys["k_month"] = TruncMonth("submitted_at", tzinfo=UTC)
    rows = cases.annotate(**keys).values(*keys, *extra).annotate(**annotations).order_by()

    sections = _Sections(groups={}, total=_Group(values={}), months={}, goal={})
    for row in rows:
        counts = {kind: {b: row[f"{kind}__{b}"] or 0 for b in buckets} for kind in KINDS}
        n = row["n_cases"] or 0
        key = tuple(row[f"k_{f}"] for f in fields)
        group = sections.groups.get(key)
        if group is None:
            values = {f: row[f"k_{f}"] for f in fields} | {x: row[x] for x in extra}
            group = sections.groups[key] = _Group(values=values)
        group.add(n, counts)
        sections.total.add(n, counts)
        month = _month(row["k_month"])
        if month is not None:
            sections.months.setdefault(month, _Group(values={})).add(n, counts)
        goal_key = (row["k_package"], row["k_severity"])
        sections.goal.setdefault(goal_key, _Group(values={})).add(n, {"restoration": counts["restoration"]})
    if _postgres():
        _percentiles_postgres(cases, fields, sections)
    else:
        _percentiles_by_ranking(cases, fields, sections)
    return sections


def _percentile_targets(sections: _Sections, grouping: str, key: Key) -> dict[str, TargetStats] | None:
    if grouping == "group":
        group = sections.groups.get(key)
    elif grouping == "total":
        group = sections.total
    else:
        group = sections.months.get(key[0]) if key and key[0] is not None else None
    return group.targets if group is not None else None


def _seconds(target_prefix: str, case_prefix: str) -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(
        F(f"{target_prefix}met_at") - F(f"{case_prefix}submitted_at"), output_field=DurationField()
    )


def _percentiles_postgres(cases: QuerySet[Case], fields: Sequence[str], sections: _Sections) -> None:
    """One statement: ``percentile_cont`` of the met durations over GROUPING SETS (group and kind,
    kind, month and kind), on the scoped cases' query as Django compiles it."""
    inner = (
        cases.filter(targets__met_at__isnull=False)
        .annotate(
            t_kind=F("targets__kind"),
            t_seconds=Func(
                _seconds("targets__", ""), template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField()
            ),
            g_month=TruncMonth("submitted_at", tzinfo=UTC),
            **{f"g_{f}": F(f) for f in fields},
        )
        .values("t_kind", "t_seconds", "g_month", *[f"g_{f}" for f in fields])
        .order_by()
    )
    sql, params = inner.query.sql_with_params()
    group_cols = ", ".join(f"g_{f}" for f in fields)
    fractions = ", ".join(repr(float(fraction)) for _, fraction in PERCENTILES)
    statement = (
        f"SELECT t_kind, {group_cols}, g_month, GROUPING({group_cols}, g_month) AS gid, "  # noqa: S608 -- our own names
        f"PERCENTILE_CONT(ARRAY[{fractions}]) WITHIN GROUP (ORDER BY t_seconds) "
        f"FROM ({sql}) AS met GROUP BY GROUPING SETS ((t_kind, {group_cols}), (t_kind), (t_kind, g_month))"
    )
    width = len(fields)
    by_gid = {0b1: "group", (1 << (width + 1)) - 1: "total", ((1 << width) - 1) << 1: "month"}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for row in cursor.fetchall():
            kind, values, month, gid, found = row[0], row[1 : 1 + width], row[1 + width], row[2 + width], row[3 + width]
            grouping = by_gid[gid]
            key = tuple(values) if grouping == "group" else (_month(month),) if grouping == "month" else ()
            targets = _percentile_targets(sections, grouping, key)
            if targets is None or kind not in targets:
                continue
            for (name, _), value in zip(PERCENTILES, found, strict=True):
                setattr(targets[kind], name, hours(value))


def _percentiles_by_ranking(cases: QuerySet[Case], fields: Sequence[str], sections: _Sections) -> None:
    """The same percentiles on a database without ``percentile_cont`` (SQLite): one statement ranks
    the met durations within each grouping with window functions and fetches only the rows at
    the ranks the percentiles read (at most four per group and kind)."""
    duration = _seconds("", "case__")
    partitions = {
        "group": [F(f"g_{f}") for f in fields],
        "total": [],
        "month": [F("g_month")],
    }
    qs = CaseTarget.objects.filter(case__in=cases.values("pk"), met_at__isnull=False).annotate(
        duration=duration,
        g_month=TruncMonth("case__submitted_at", tzinfo=UTC),
        **{f"g_{f}": F(f"case__{f}") for f in fields},
    )
    windows: dict[str, Any] = {}
    for name, partition in partitions.items():
        windows[f"rank_{name}"] = Window(RowNumber(), partition_by=[*partition, F("kind")], order_by=duration.asc())
        windows[f"count_{name}"] = Window(Count("id"), partition_by=[*partition, F("kind")])
    qs = qs.annotate(**windows)
    nearness: dict[str, Any] = {}
    for name in partitions:
        for index, (_, fraction) in enumerate(PERCENTILES):
            # |(rank - 1) - fraction * (count - 1)| < 1 keeps exactly the floor and ceil ranks.
            nearness[f"near_{name}_{index}"] = Abs(
                F(f"rank_{name}") - Value(1.0) - Value(fraction) * (F(f"count_{name}") - Value(1.0)),
                output_field=FloatField(),
            )
    near = Q()
    for alias in nearness:
        near |= Q(**{f"{alias}__lt": 1})
    columns = ["kind", "duration", "g_month", *[f"g_{f}" for f in fields]]
    for name in partitions:
        columns += [f"rank_{name}", f"count_{name}"]
    ranked: dict[tuple[str, Key, str], dict[int, float]] = defaultdict(dict)
    totals: dict[tuple[str, Key, str], int] = {}
    for row in qs.annotate(**nearness).filter(near).values(*columns):
        value = row["duration"]
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
        keys = {
            "group": tuple(row[f"g_{f}"] for f in fields),
            "total": (),
            "month": (_month(row["g_month"]),),
        }
        for name in partitions:
            rank, count = row[f"rank_{name}"], row[f"count_{name}"]
            if rank - 1 in needed_ranks(count):
                ranked[name, keys[name], row["kind"]][rank - 1] = seconds
                totals[name, keys[name], row["kind"]] = count
    for (name, key, kind), values in ranked.items():
        targets = _percentile_targets(sections, name, key)
        if targets is None:
            continue
        for pname, fraction in PERCENTILES:
            setattr(targets[kind], pname, hours(percentile_cont(values, totals[name, key, kind], fraction)))


# --------------------------------------------------------------------------- the report


def _labels(policy: Policy | None) -> tuple[dict[str, str], dict[int, str], dict[str, str]]:
    if policy is None:
        return {}, {}, {}
    packages = {name: p.label for name, p in policy.packages.items()}
    severities = {n: f"{n} {label}" for n, label in policy.severities.items()}
    services = {name: s.label for name, s in policy.services.items()}
    return packages, severities, services


def sla_report_for_actor(*, actor: User, query: ReportQuery, now: datetime, policy: Policy | None = None) -> SlaReport:
    """The SLA compliance report of ``query`` as ``actor`` may see it, as of ``now`` (two
    statements on PostgreSQL and on SQLite, whatever the number of cases and groups)."""
    policy = policy if policy is not None else current_policy()
    goal_share = policy.compliance.restoration_goal_share if policy else DEFAULT_RESTORATION_GOAL_SHARE
    package_labels, severity_labels, service_labels = _labels(policy)
    cases = cases_for_report(actor=actor, query=query)

    fields = GROUP_BY[query.group_by]
    extra: tuple[str, ...] = ()
    if query.group_by == "reseller":
        extra = ("reseller__name",)
    elif query.group_by == "account":
        extra = ("account__name", "account__department")
    sections = _aggregate(cases, fields, now=now, extra=extra)

    groups = []
    for key, group in sorted(sections.groups.items(), key=lambda item: tuple(str(k) for k in item[0])):
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
    elif query.group_by in ("severity", "package_severity"):
        groups.sort(key=lambda g: tuple(str(v).zfill(3) if isinstance(v, int) else v for v in g.key.values()))

    totals = GroupRow(key={}, label="All cases", cases=sections.total.cases, targets=sections.total.targets)
    trend = []
    for month in months_between(query.start, query.end):
        found = sections.months.get(month)
        trend.append(
            TrendPoint(month=month, cases=found.cases, targets=found.targets) if found else TrendPoint(month=month)
        )
    goal = [
        GoalRow(
            package=package,
            package_label=package_labels.get(package, str(package)),
            severity=severity,
            severity_label=severity_labels.get(severity, str(severity)),
            restoration=g.targets["restoration"],
            goal_share=goal_share,
        )
        for (package, severity), g in sorted(sections.goal.items())
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


def _stored_bucket(state: str, due_at: datetime | None, now: datetime) -> str:
    """The report bucket of a stored CaseTarget as of ``now`` (the rule of ``_buckets``)."""
    if state == TargetState.PAUSED.value:
        return "running"
    if state == TargetState.RUNNING.value and due_at is not None and due_at <= now:
        return "breached"
    return state


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
    ``package`` and compare every target with what was recorded.

    "Actual" is each target as the SLA engine stored it, seen at ``now`` like the report sees it
    (the engine's own answer for the case's package: ``caredesk.cases.clocks`` stores exactly what
    ``replay`` returns). "What if" replays the case's SLA history through the same ``replay`` under
    ``package``, with the case's policy version and business calendar, as of ``now``. A case
    already under ``package`` is not replayed: its answer is the recorded one. Statements: the
    cases, their targets, the SLA events of the cases to replay (one query for all, grouped here),
    the policy versions; none per case."""
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
        cases_qs.only("id", "title", "package", "severity", "calendar", "submitted_at", "policy_id").order_by("id")[
            : WHAT_IF_MAX_CASES + 1
        ]
    )
    if len(cases) > WHAT_IF_MAX_CASES:
        raise ValidationFailed(
            f"More than {WHAT_IF_MAX_CASES} cases in this period; choose a shorter one.",
            errors={"to": f"the period holds more than {WHAT_IF_MAX_CASES} cases; choose a shorter period"},
        )
    recorded: dict[int, dict[str, str]] = defaultdict(dict)
    for case_id, kind, state, due_at in CaseTarget.objects.filter(case__in=cases_qs.values("pk")).values_list(
        "case_id", "kind", "state", "due_at"
    ):
        recorded[case_id][kind] = _stored_bucket(state, due_at, now)
    histories: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for case_id, sla in (
        CaseEvent.objects.filter(case__in=cases_qs.exclude(package=package).values("pk"), sla__isnull=False)
        .order_by("case_id", "seq")
        .values_list("case_id", "sla")
    ):
        if sla is not None:
            histories[case_id].append(sla)
    to_replay = {c.policy_id for c in cases if c.package != package}
    policies = {v.pk: policy_of(v) for v in PolicyVersion.objects.filter(pk__in=to_replay)}

    kinds = {kind: WhatIfKind() for kind in KINDS}
    by_package: dict[str, int] = defaultdict(int)
    changed: list[WhatIfCase] = []
    changed_total = 0
    for case in cases:
        by_package[case.package] += 1
        actual = recorded.get(case.pk, {})
        if case.package == package:
            other = actual
        else:
            replayed = replay(
                events_from_json(histories.get(case.pk, [])),
                package=package,
                policy=policies[case.policy_id],
                calendar=calendar_of(case),
                as_of=max(now, case.submitted_at),
            )
            other = {kind: _bucket_of(replayed, kind) for kind in KINDS}
        changes = {}
        for kind in KINDS:
            a = actual.get(kind, TargetState.NOT_APPLICABLE.value)
            w = other.get(kind, TargetState.NOT_APPLICABLE.value)
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


# --------------------------------------------------------------------------- cached answers

REPORT_CACHE_SECONDS = 300
"""How long the pages and the API reuse a computed report or what-if (they show its instant)."""
_CACHE_VERSION = 1


def report_scope(actor: User) -> str:
    """Which cases the actor's reports count, as a cache-key part. It mirrors
    ``case_visible_for_actor`` (tested against it): every Customer Care person and the vendor admin
    see every case, a CSM the cases of their own accounts, a reseller's people their reseller's."""
    role = actor.role_enum
    if not is_vendor(role):
        return f"reseller:{actor.reseller_id}"
    if role is Role.CSM:
        return f"csm:{actor.pk}"
    return "all"


def _cache_key(what: str, actor: User, *parts: object) -> str:
    raw = json.dumps([_CACHE_VERSION, what, report_scope(actor), *parts], default=str, sort_keys=True)
    return f"reports:{what}:{hashlib.sha256(raw.encode()).hexdigest()}"


def sla_report_cached(*, actor: User, query: ReportQuery, policy: Policy | None) -> SlaReport:
    """``sla_report_for_actor`` as of now, reused for ``REPORT_CACHE_SECONDS`` by everyone with the
    same scope and request (a vendor-wide report over 100,000 cases costs about a second)."""
    key = _cache_key("sla", actor, asdict(query), policy.key if policy else None)
    report = cache.get(key)
    if not isinstance(report, SlaReport):
        report = sla_report_for_actor(actor=actor, query=query, now=timezone.now(), policy=policy)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


def what_if_cached(*, actor: User, reseller_id: int | None, start: date, end: date, package: str) -> WhatIf:
    """``what_if_for_actor`` as of now, reused like ``sla_report_cached``. Requests are checked
    (and another tenant's reseller refused) before anything is read from the cache."""
    if reseller_id is None and not is_vendor(actor.role_enum):
        reseller_id = actor.reseller_id
    if reseller_id is not None:
        reseller_get_for_actor(actor=actor, reseller_id=reseller_id)
    key = _cache_key("what-if", actor, reseller_id, start, end, package)
    result = cache.get(key)
    if not isinstance(result, WhatIf):
        result = what_if_for_actor(
            actor=actor, reseller_id=reseller_id, start=start, end=end, package=package, now=timezone.now()
        )
        cache.set(key, result, REPORT_CACHE_SECONDS)
    return result
