"""Reads for SLA compliance reports: aggregate queries over the cases an actor may see.

Scoping is the cases' own door, ``case_visible_for_actor``: Customer Care and the vendor admin see
every case, a CSM the cases of the accounts assigned to them, a Designated Contact or reseller staff
only their reseller's. A filter naming something outside that scope simply matches nothing.

A report is computed from the packed targets of ``caredesk.reports.facts``: one block per UTC day
of submission, rebuilt only for the days whose cases changed since it was stored, so the first
report after a change reads the tables for the changed days only. The sections (groups, totals,
monthly trend, restoration goal) and the percentiles (``percentile_cont``, exactly) are computed
there with numpy, the same on PostgreSQL and SQLite. Statements are a fixed few whatever the
number of cases, days and groups (facts.py lists them, plus the group labels here).

The what-if replays the cases of one reseller and period through ``caredesk.domain.sla.replay``
(the engine of ``caredesk sla replay``) under another package and compares them with the targets
the engine stored for their own package; every case's SLA history comes in one query.

The pages and the API use ``sla_report_cached`` and ``what_if_cached``: the same answers, reused
for ``REPORT_CACHE_SECONDS`` by everyone with the same scope (docs/performance.md, "Pages").
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.db.models import BooleanField, CharField, F, FilteredRelation, Q, QuerySet, TextField, Value, When
from django.db.models import Case as DbCase
from django.db.models.functions import Cast
from django.utils import timezone

from caredesk.cases.models import Case, CaseEvent, CaseTarget
from caredesk.cases.selectors import case_visible_for_actor
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import ClockState, TargetKind, TargetState
from caredesk.domain.sla.policy import DEFAULT_RESTORATION_GOAL_SHARE, Policy
from caredesk.domain.sla.replay import events_from_json, replay
from caredesk.domain.tenancy.roles import Role, is_vendor
from caredesk.reports import facts
from caredesk.reports.models import WhatIfReplay
from caredesk.reports.stats import (
    KINDS,
    GoalRow,
    GroupRow,
    SlaReport,
    TrendPoint,
    WhatIf,
    WhatIfCase,
    WhatIfKind,
    months_between,
)
from caredesk.sla.models import PolicyVersion
from caredesk.sla.services import policy_of
from caredesk.tenancy.models import EndUserAccount, Reseller, User
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


def report_facts_scope(*, actor: User, query: ReportQuery) -> facts.Scope:
    """The targets ``query`` counts as ``actor`` may see them: ``case_visible_for_actor`` (tested
    against it) and ``cases_for_report``'s filters, over the packed targets of ``facts``."""
    scope = facts.Scope(
        start=facts.micros(query.start_at),
        end=facts.micros(query.end_at),
        reseller_id=query.reseller_id,
        account_id=query.account_id,
        package=query.package,
        severity=query.severity,
        service=query.service,
    )
    role = actor.role_enum
    if not is_vendor(role):
        scope.reseller = actor.tenant_id
    elif role is Role.CSM:
        scope.accounts = list(EndUserAccount.objects.filter(csm=actor).values_list("id", flat=True))
    return scope


def _names(fields: Sequence[str], keys: Sequence[Key]) -> dict[int, str]:
    """What a reseller or account group is shown as, by id (one statement, for the groups found):
    the reseller's name, the account's "name / department"; nothing for other groupings."""
    ids = [k[0] for k in keys]
    if fields == ("reseller_id",):
        return dict(Reseller.objects.filter(pk__in=ids).values_list("id", "name"))
    if fields == ("account_id",):
        return {
            pk: f"{name} / {department}" if department else name
            for pk, name, department in EndUserAccount.objects.filter(pk__in=ids).values_list(
                "id", "name", "department"
            )
        }
    return {}


Key = tuple[Any, ...]


# --------------------------------------------------------------------------- the report


def _labels(policy: Policy | None) -> tuple[dict[str, str], dict[int, str], dict[str, str]]:
    if policy is None:
        return {}, {}, {}
    packages = {name: p.label for name, p in policy.packages.items()}
    severities = {n: f"{n} {label}" for n, label in policy.severities.items()}
    services = {name: s.label for name, s in policy.services.items()}
    return packages, severities, services


def sla_report_for_actor(
    *,
    actor: User,
    query: ReportQuery,
    now: datetime,
    policy: Policy | None = None,
    fingerprints: facts.Fingerprints | None = None,
) -> SlaReport:
    """The SLA compliance report of ``query`` as ``actor`` may see it, as of ``now`` (two
    statements on PostgreSQL and on SQLite, whatever the number of cases and groups)."""
    policy = policy if policy is not None else current_policy()
    goal_share = policy.compliance.restoration_goal_share if policy else DEFAULT_RESTORATION_GOAL_SHARE
    package_labels, severity_labels, service_labels = _labels(policy)
    fields = GROUP_BY[query.group_by]
    blocks = facts.blocks_for_period(query.start, query.end, fingerprints)
    sections = facts.sections_of(blocks, report_facts_scope(actor=actor, query=query), fields, now=now)
    names = _names(fields, list(sections.groups))
    label_of: dict[str, Callable[[Any], str]] = {
        "package": lambda value: package_labels.get(value, value),
        "severity": lambda value: severity_labels.get(value, str(value)),
        "service": lambda value: service_labels.get(value, value),
        "reseller_id": lambda value: names.get(value, str(value)),
        "account_id": lambda value: names.get(value, str(value)),
    }

    groups = []
    for key, group in sorted(sections.groups.items(), key=lambda item: tuple(str(k) for k in item[0])):
        parts = [label_of[f](value) for f, value in zip(fields, key, strict=True)]
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
    clock = state.targets[TargetKind(kind)]
    if clock.state is TargetState.PAUSED:
        return "running"
    if clock.state is TargetState.RUNNING and clock.due is not None and clock.due <= state.as_of:
        return "breached"
    return clock.state.value


_PAUSED, _RUNNING, _NOT_APPLICABLE = (
    s.value for s in (TargetState.PAUSED, TargetState.RUNNING, TargetState.NOT_APPLICABLE)
)


def _stored_bucket(state: str, due_at: datetime | None, now: datetime) -> str:
    """The report bucket of a stored CaseTarget as of ``now`` (the rule of stats.py: a paused
    target is running, a running one past its due instant breached)."""
    if state == _PAUSED:
        return "running"
    if state == _RUNNING and due_at is not None and due_at <= now:
        return "breached"
    return state


@lru_cache(maxsize=4096)
def _calendar(canonical_json: str) -> BusinessCalendar:
    return BusinessCalendar.from_dict(json.loads(canonical_json))


_WHAT_IF_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "package",
    "severity",
    "submitted_at",
    "reseller_id",
    "version",
    "fresh",
    *(f"actual_{kind}" for kind in KINDS),
    *(f"replay_{kind}" for kind in KINDS),
    "stale_calendar",
    "stale_policy_key",
    "stale_policy_sha256",
    "stale_policy_text",
)
_COLUMN = {name: i for i, name in enumerate(_WHAT_IF_COLUMNS)}
_ACTUAL = [_COLUMN[f"actual_{kind}"] for kind in KINDS]
_REPLAY = [_COLUMN[f"replay_{kind}"] for kind in KINDS]


def _bucket_sql(state: str, due_at: str, now: datetime) -> DbCase:
    """``_stored_bucket`` in SQL: the bucket of a stored state and due instant as of ``now``."""
    return DbCase(
        When(Q(**{state: _PAUSED}), then=Value("running")),
        When(Q(**{state: _RUNNING, f"{due_at}__lte": now}), then=Value("breached")),
        default=F(state),
        output_field=CharField(),
    )


def _with_replays(cases: QuerySet[Case], package: str, now: datetime, reseller_id: int | None = None) -> QuerySet[Case]:
    """The cases with their what-if row under ``package``: ``fresh`` when it was made at the case's
    current version as of an instant not after ``now``, and its stored and replayed targets as
    buckets as of ``now``; and, only for a case whose row must be made again by a replay (not
    fresh, under another package), its business calendar and policy version (key, hash and text:
    parsed once per process). ``reseller_id``: the cases' reseller, when they have one, so that
    their rows are found by their own reseller key instead of scanning the package's rows."""
    fresh = Q(replay__case_version=F("version"), replay__last_event_at__lte=now)
    of_reseller = Q(what_if_replays__reseller_id=reseller_id) if reseller_id is not None else Q()

    def unless_replayed(source: str, output: Any) -> DbCase:
        return DbCase(
            When(fresh | Q(package=package), then=Value(None, output_field=output)),
            default=F(source),
            output_field=output,
        )

    return cases.annotate(
        calendar_text=Cast("calendar", TextField()),
        replay=FilteredRelation("what_if_replays", condition=of_reseller & Q(what_if_replays__package=package)),
    ).annotate(
        fresh=DbCase(When(fresh, then=Value(True)), default=Value(False), output_field=BooleanField()),
        **{
            f"actual_{kind}": _bucket_sql(f"replay__actual_{kind}_state", f"replay__actual_{kind}_due_at", now)
            for kind in KINDS
        },
        **{f"replay_{kind}": _bucket_sql(f"replay__{kind}_state", f"replay__{kind}_due_at", now) for kind in KINDS},
        stale_calendar=unless_replayed("calendar_text", TextField()),
        stale_policy_key=unless_replayed("policy__key", CharField()),
        stale_policy_sha256=unless_replayed("policy__sha256", CharField()),
        stale_policy_text=unless_replayed("policy__text", TextField()),
    )


Buckets = tuple[str, ...]
"""One bucket per target kind, in the order of ``KINDS``."""


def _rows_make(stale: Sequence[Sequence[Any]], package: str, now: datetime) -> dict[int, tuple[Buckets, Buckets]]:
    """Make the what-if rows under ``package`` of the ``stale`` cases (rows of ``_WHAT_IF_COLUMNS``
    whose row is missing or older than the case): their stored targets, read now, and the replay
    of their history under ``package`` through ``caredesk.domain.sla.replay`` as of their last SLA
    event (for a case under ``package``, the stored targets again). Answers each case's buckets
    (stored, what-if) as of ``now``. A history with an event after ``now`` is replayed as of
    ``now`` and not stored. Statements: their targets, the SLA events of those to replay, the
    upsert."""
    ids = [case[_COLUMN["id"]] for case in stale]
    stored: dict[int, dict[str, tuple[str, datetime | None]]] = defaultdict(dict)
    for case_id, kind, state, due_at in CaseTarget.objects.filter(case_id__in=ids).values_list(
        "case_id", "kind", "state", "due_at"
    ):
        stored[case_id][kind] = (state, due_at)
    histories: dict[int, list[dict[str, Any]]] = defaultdict(list)
    to_replay = [case[_COLUMN["id"]] for case in stale if case[_COLUMN["package"]] != package]
    if to_replay:
        for case_id, sla in (
            CaseEvent.objects.filter(case_id__in=to_replay, sla__isnull=False)
            .order_by("case_id", "seq")
            .values_list("case_id", "sla")
        ):
            if sla is not None:
                histories[case_id].append(sla)
    out: dict[int, tuple[Buckets, Buckets]] = {}
    records = []
    for case in stale:
        case_id, submitted_at = case[_COLUMN["id"]], case[_COLUMN["submitted_at"]]
        actual = {kind: stored[case_id].get(kind, (_NOT_APPLICABLE, None)) for kind in KINDS}
        actual_buckets = tuple(_stored_bucket(*actual[kind], now) for kind in KINDS)
        last = submitted_at
        replayed_as = actual
        if case[_COLUMN["package"]] != package:
            events = events_from_json(histories.get(case_id, []))
            calendar = _calendar(json.dumps(json.loads(case[_COLUMN["stale_calendar"]]), sort_keys=True))
            policy = policy_of(
                PolicyVersion(
                    key=case[_COLUMN["stale_policy_key"]],
                    sha256=case[_COLUMN["stale_policy_sha256"]],
                    text=case[_COLUMN["stale_policy_text"]],
                )
            )
            last = max((e.at for e in events), default=submitted_at)
            if last > now:
                as_of_now = replay(
                    events, package=package, policy=policy, calendar=calendar, as_of=max(now, submitted_at)
                )
                out[case_id] = (actual_buckets, tuple(_bucket_of(as_of_now, kind) for kind in KINDS))
                continue
            clocks = {
                clock.kind.value: clock
                for clock in replay(events, package=package, policy=policy, calendar=calendar).targets.values()
            }
            replayed_as = {kind: (clocks[kind].state.value, clocks[kind].due) for kind in KINDS}
        out[case_id] = (actual_buckets, tuple(_stored_bucket(*replayed_as[kind], now) for kind in KINDS))
        records.append(
            WhatIfReplay(
                case_id=case_id,
                reseller_id=case[_COLUMN["reseller_id"]],
                package=package,
                case_version=case[_COLUMN["version"]],
                last_event_at=last,
                **{f"actual_{kind}_state": actual[kind][0] for kind in KINDS},
                **{f"actual_{kind}_due_at": actual[kind][1] for kind in KINDS},
                **{f"{kind}_state": replayed_as[kind][0] for kind in KINDS},
                **{f"{kind}_due_at": replayed_as[kind][1] for kind in KINDS},
            )
        )
    WhatIfReplay.objects.bulk_create(
        records,
        update_conflicts=True,
        unique_fields=["case", "package"],
        update_fields=[
            "case_version",
            "last_event_at",
            *(f"{side}{kind}_{column}" for side in ("actual_", "") for kind in KINDS for column in ("state", "due_at")),
        ],
    )
    return out


def cases_without_current_replay(*, package: str, start_at: datetime, end_at: datetime) -> list[int]:
    """The cases submitted in ``start_at``..``end_at`` (half-open) whose what-if row under
    ``package`` is missing or older than the case, newest first: the ones a what-if of that period
    would make again."""
    return list(
        Case.objects.filter(submitted_at__gte=start_at, submitted_at__lt=end_at)
        .annotate(replay=FilteredRelation("what_if_replays", condition=Q(what_if_replays__package=package)))
        .filter(Q(replay__id__isnull=True) | Q(replay__case_version__lt=F("version")))
        .order_by("-id")
        .values_list("id", flat=True)
    )


def replays_refresh(*, case_ids: Sequence[int], package: str, now: datetime) -> int:
    """Make the what-if rows under ``package`` of those of ``case_ids`` whose row is not current
    (what a what-if would do for them); the number made."""
    rows = _with_replays(Case.objects.filter(id__in=list(case_ids)), package, now).values_list(*_WHAT_IF_COLUMNS)
    stale = [row for row in rows if not row[_COLUMN["fresh"]]]
    if stale:
        _rows_make(stale, package, now)
    return len(stale)


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
    already under ``package`` is not replayed: its answer is the recorded one. Both come from the
    cases' what-if rows (``WhatIfReplay``), made again only for the cases that changed since.
    Statements: the cases with their rows and, for the changed cases only, their targets, their
    SLA events (one query for all) and the upsert; none per case."""
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
    rows = list(
        _with_replays(cases_for_report(actor=actor, query=query), package, now, reseller.pk)
        .values_list(*_WHAT_IF_COLUMNS)
        .order_by("id")[: WHAT_IF_MAX_CASES + 1]
    )
    if len(rows) > WHAT_IF_MAX_CASES:
        raise ValidationFailed(
            f"More than {WHAT_IF_MAX_CASES} cases in this period; choose a shorter one.",
            errors={"to": f"the period holds more than {WHAT_IF_MAX_CASES} cases; choose a shorter period"},
        )
    stale = [row for row in rows if not row[_COLUMN["fresh"]]]
    made = _rows_make(stale, package, now) if stale else {}

    tally: Counter[tuple[int, str, str]] = Counter()  # (kind index, actual bucket, what-if bucket) -> cases
    by_package: Counter[str] = Counter()
    changed: list[WhatIfCase] = []
    changed_total = 0
    id_at, package_at = _COLUMN["id"], _COLUMN["package"]
    for row in rows:
        by_package[row[package_at]] += 1
        if row[id_at] in made:
            actual, other = made[row[id_at]]
        else:
            actual, other = tuple(row[i] for i in _ACTUAL), tuple(row[i] for i in _REPLAY)
        if row[package_at] == package:
            other = actual
        for i in range(len(KINDS)):
            tally[i, actual[i], other[i]] += 1
        if actual != other:
            changed_total += 1
            if len(changed) < WHAT_IF_LISTED:
                changed.append(
                    WhatIfCase(
                        case_id=row[id_at],
                        title=row[_COLUMN["title"]],
                        package=row[package_at],
                        severity=row[_COLUMN["severity"]],
                        changes={kind: (actual[i], other[i]) for i, kind in enumerate(KINDS) if actual[i] != other[i]},
                    )
                )
    kinds = {kind: WhatIfKind() for kind in KINDS}
    for (i, a, w), n in tally.items():
        kind = KINDS[i]
        setattr(kinds[kind].actual, a, getattr(kinds[kind].actual, a) + n)
        setattr(kinds[kind].what_if, w, getattr(kinds[kind].what_if, w) + n)
    labels = _labels(policy)[0]
    return WhatIf(
        reseller_id=reseller.pk,
        reseller_name=reseller.name,
        start=start,
        end=end,
        package=package,
        package_label=labels.get(package, package),
        generated_at=now,
        cases=len(rows),
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


def _data_version(current: facts.Fingerprints) -> str:
    return hashlib.sha256(json.dumps(sorted((d.isoformat(), fp) for d, fp in current.items())).encode()).hexdigest()


def sla_report_cached(*, actor: User, query: ReportQuery, policy: Policy | None) -> SlaReport:
    """``sla_report_for_actor`` as of now, reused for ``REPORT_CACHE_SECONDS`` by everyone with the
    same scope and request while the cases of its period are unchanged: the key holds the period's
    day fingerprints, so the first request after any change computes the report afresh (from the
    stored day blocks, only the changed days read again)."""
    current = facts.fingerprints(query.start, query.end)
    key = _cache_key("sla", actor, asdict(query), policy.key if policy else None, _data_version(current))
    report = cache.get(key)
    if not isinstance(report, SlaReport):
        report = sla_report_for_actor(actor=actor, query=query, now=timezone.now(), policy=policy, fingerprints=current)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report


def what_if_cached(*, actor: User, reseller_id: int | None, start: date, end: date, package: str) -> WhatIf:
    """``what_if_for_actor`` as of now, reused like ``sla_report_cached`` (while the cases of the
    period are unchanged). Requests are checked
    (and another tenant's reseller refused) before anything is read from the cache."""
    if reseller_id is None and not is_vendor(actor.role_enum):
        reseller_id = actor.reseller_id
    if reseller_id is not None:
        reseller_get_for_actor(actor=actor, reseller_id=reseller_id)
    key = _cache_key("what-if", actor, reseller_id, start, end, package, _data_version(facts.fingerprints(start, end)))
    result = cache.get(key)
    if not isinstance(result, WhatIf):
        result = what_if_for_actor(
            actor=actor, reseller_id=reseller_id, start=start, end=end, package=package, now=timezone.now()
        )
        cache.set(key, result, REPORT_CACHE_SECONDS)
    return result
