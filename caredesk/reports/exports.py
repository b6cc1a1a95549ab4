"""CSV export of a report: the same numbers as the JSON answer of ``GET /api/reports/sla``, one
section per file (``groups`` with a final totals line, ``trend`` or ``goal``).

A cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is prefixed with an apostrophe, so an account name cannot run in the reader's
spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from caredesk.reports.stats import BUCKETS, KINDS, SlaReport, TargetStats

SECTIONS = ("groups", "trend", "goal")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _target_header() -> list[str]:
    return [f"{kind}_{name}" for kind in KINDS for name in (*BUCKETS, "share_met", "median_hours", "p90_hours")]


def _target_cells(targets: dict[str, TargetStats]) -> list[Any]:
    cells: list[Any] = []
    for kind in KINDS:
        data = targets[kind].to_json()
        cells += [data[b] for b in BUCKETS] + [data["share_met"], data["median_hours"], data["p90_hours"]]
    return cells


def report_rows(report: SlaReport, section: str) -> Iterable[list[Any]]:
    if section == "groups":
        dims = list(report.groups[0].key) if report.groups else []
        yield ["group_by", *dims, "label", "cases", *_target_header()]
        for g in report.groups:
            yield [report.group_by, *[g.key[d] for d in dims], g.label, g.cases, *_target_cells(g.targets)]
        yield [
            "total",
            *["" for _ in dims],
            report.totals.label,
            report.totals.cases,
            *_target_cells(report.totals.targets),
        ]
    elif section == "trend":
        yield ["month", "cases", *_target_header()]
        for p in report.trend:
            yield [p.label, p.cases, *_target_cells(p.targets)]
    elif section == "goal":
        header = [
            "package",
            "package_label",
            "severity",
            "severity_label",
            "restored_within_target",
            "restored_late_or_breached",
            "running",
            "share_within_target",
            "goal_share",
            "under_goal",
        ]
        yield header
        for row in report.goal:
            data = row.to_json()
            yield [data[h] for h in header]
    else:
        raise ValueError(f"unknown section {section!r}")


def report_csv(report: SlaReport, section: str = "groups") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in report_rows(report, section):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
