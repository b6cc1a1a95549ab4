"""The numbers of an SLA compliance report as plain values, and the arithmetic on them.

Concept. Every case has one target of each kind (response, restoration, resolution). A report puts
each target of the cases submitted in a period into one *bucket*, as seen at the report's instant
``now``:

- ``met``: the target was met by its due instant;
- ``breached``: breached (met late or never), including a running target whose due instant has
  passed but that the background sweep has not recorded yet (what the case page shows too);
- ``running``: still counting (not yet due) or paused while Customer Care awaits the reseller;
- ``cancelled``: a ``third_party`` closure cancelled it (neither met nor breached);
- ``not_applicable``: the package has no such target at the case's severity (Low restoration).

``share_met`` = met / (met + breached): running, cancelled and not-applicable targets are left out,
so an open case neither helps nor hurts until it is decided. ``median_hours`` and ``p90_hours`` are
the continuous percentiles (PostgreSQL ``percentile_cont``: linear interpolation between the two
nearest ranks) of the time from submission to the met instant, in hours, over every target of the
group that has a met instant (met on time or late).

The restoration goal (DOMAIN.md "Restoration at 95 %"): per package and severity, the share of
restorations met within target; a group whose share is under the policy's
``compliance.restoration_goal_share`` is flagged. A group with no decided restoration has no share
and no flag.

Nothing here touches the database; selectors.py fills these values with aggregate queries.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

KINDS: tuple[str, ...] = ("response", "restoration", "resolution")
BUCKETS: tuple[str, ...] = ("met", "breached", "running", "cancelled", "not_applicable")
PERCENTILES: tuple[tuple[str, float], ...] = (("median_hours", 0.5), ("p90_hours", 0.9))


def percentile_cont(ranked: Mapping[int, float], count: int, fraction: float) -> float | None:
    """The ``fraction`` percentile of ``count`` sorted values, of which ``ranked`` holds (at least)
    the ones at 0-based ranks ``floor(fraction*(count-1))`` and ``ceil(...)``; the same answer as
    SQL ``percentile_cont(fraction) WITHIN GROUP (ORDER BY value)``."""
    if count <= 0:
        return None
    position = fraction * (count - 1)
    low, high = math.floor(position), math.ceil(position)
    if low not in ranked or high not in ranked:
        raise ValueError(f"ranks {low} and {high} of {count} values are needed for the {fraction} percentile")
    return ranked[low] + (position - low) * (ranked[high] - ranked[low])


def needed_ranks(count: int) -> set[int]:
    """The 0-based ranks ``percentile_cont`` reads for every report percentile of ``count`` values."""
    ranks: set[int] = set()
    for _, fraction in PERCENTILES:
        position = fraction * (count - 1)
        ranks.update({math.floor(position), math.ceil(position)})
    return ranks


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


@dataclass
class TargetStats:
    """One target kind within one group."""

    met: int = 0
    breached: int = 0
    running: int = 0
    cancelled: int = 0
    not_applicable: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def share_met(self) -> float | None:
        return self.met / self.decided if self.decided else None

    @property
    def total(self) -> int:
        return self.met + self.breached + self.running + self.cancelled + self.not_applicable

    def to_json(self) -> dict[str, Any]:
        share = self.share_met
        return {
            **{bucket: getattr(self, bucket) for bucket in BUCKETS},
            "share_met": None if share is None else round(share, 4),
            "median_hours": self.median_hours,
            "p90_hours": self.p90_hours,
        }


def empty_targets() -> dict[str, TargetStats]:
    return {kind: TargetStats() for kind in KINDS}


@dataclass
class GroupRow:
    """One line of the breakdown: the group's key (dimension -> value), a label and its numbers."""

    key: dict[str, Any]
    label: str
    cases: int = 0
    targets: dict[str, TargetStats] = field(default_factory=empty_targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "cases": self.cases,
            "targets": {kind: self.targets[kind].to_json() for kind in KINDS},
        }


@dataclass
class TrendPoint:
    month: date
    cases: int = 0
    targets: dict[str, TargetStats] = field(default_factory=empty_targets)

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.label,
            "cases": self.cases,
            "targets": {kind: self.targets[kind].to_json() for kind in KINDS},
        }


@dataclass
class GoalRow:
    """The restoration goal of one package and severity."""

    package: str
    package_label: str
    severity: int
    severity_label: str
    restoration: TargetStats
    goal_share: float

    @property
    def under_goal(self) -> bool | None:
        share = self.restoration.share_met
        return None if share is None else share < self.goal_share

    def to_json(self) -> dict[str, Any]:
        share = self.restoration.share_met
        return {
            "package": self.package,
            "package_label": self.package_label,
            "severity": self.severity,
            "severity_label": self.severity_label,
            "restored_within_target": self.restoration.met,
            "restored_late_or_breached": self.restoration.breached,
            "running": self.restoration.running,
            "share_within_target": None if share is None else round(share, 4),
            "goal_share": self.goal_share,
            "under_goal": self.under_goal,
        }


@dataclass
class SlaReport:
    start: date
    end: date
    group_by: str
    generated_at: datetime
    goal_share: float
    groups: list[GroupRow]
    totals: GroupRow
    trend: list[TrendPoint]
    goal: list[GoalRow]

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "group_by": self.group_by,
            "generated_at": self.generated_at.isoformat(),
            "restoration_goal_share": self.goal_share,
            "groups": [g.to_json() for g in self.groups],
            "totals": self.totals.to_json(),
            "trend": [p.to_json() for p in self.trend],
            "restoration_goal": [g.to_json() for g in self.goal],
        }


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month from ``start``'s to ``end``'s, inclusive."""
    out: list[date] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class WhatIfKind:
    """One target kind of a what-if: the buckets as recorded and as replayed under the other package."""

    actual: TargetStats = field(default_factory=TargetStats)
    what_if: TargetStats = field(default_factory=TargetStats)

    @property
    def breach_delta(self) -> int:
        return self.what_if.breached - self.actual.breached

    def to_json(self) -> dict[str, Any]:
        actual = self.actual.to_json()
        what_if = self.what_if.to_json()
        for side in (actual, what_if):
            side.pop("median_hours")
            side.pop("p90_hours")
        return {"actual": actual, "what_if": what_if, "breach_delta": self.breach_delta}


@dataclass
class WhatIfCase:
    """A case whose outcome would differ: kind -> (actual bucket, what-if bucket)."""

    case_id: int
    title: str
    package: str
    severity: int
    changes: dict[str, tuple[str, str]]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "title": self.title,
            "package": self.package,
            "severity": self.severity,
            "changes": {kind: {"actual": a, "what_if": w} for kind, (a, w) in self.changes.items()},
        }


@dataclass
class WhatIf:
    reseller_id: int
    reseller_name: str
    start: date
    end: date
    package: str
    package_label: str
    generated_at: datetime
    cases: int
    cases_by_package: dict[str, int]
    kinds: dict[str, WhatIfKind]
    changed: list[WhatIfCase]
    changed_total: int

    def to_json(self) -> dict[str, Any]:
        return {
            "reseller_id": self.reseller_id,
            "reseller": self.reseller_name,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "package": self.package,
            "package_label": self.package_label,
            "generated_at": self.generated_at.isoformat(),
            "cases": self.cases,
            "cases_by_package": self.cases_by_package,
            "targets": {kind: self.kinds[kind].to_json() for kind in KINDS},
            "changed_cases": [c.to_json() for c in self.changed],
            "changed_total": self.changed_total,
        }
