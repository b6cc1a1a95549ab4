"""The SLA targets a report counts, kept as packed columns per UTC day of submission, and the
report's sections computed from them with numpy.

Why: counting every target of six months of cases in SQL costs 0.6-1.5 s at 100,000 cases (a
hash aggregate over 141,000 joined rows and a sort of every met duration), on every report that is
not cached, and a cache alone makes the first request after any change pay it. Here a report
reads, in one statement, the fingerprint of each day of its period (count of cases, sum of their
ids, sum of their versions: every write of a case bumps its version, see
``caredesk.cases.actions._save``), and rebuilds from the tables only the days whose fingerprint
changed since their block was stored (``DayBlock``); every other day is decoded once per process
and kept by its build token. A day is rebuilt from the rows read in the same statement that gives
its fingerprint, so a block never claims a fingerprint its rows do not have.

Exactness. A block holds each target's stored state, due instant and met duration, never a
bucket: the bucket is decided at the report's instant ``now`` with the rule of stats.py (a running
target past its due instant is breached, a paused one running), so a block does not age. The
background sweep's only write to targets sets a running target past its due instant breached
without a new case version: the same bucket at any later instant. The percentiles are
PostgreSQL's ``percentile_cont`` (``stats.percentile_cont``) over the same met durations, to the
microsecond.

Statements per report, whatever the number of cases, days or groups: the fingerprints, the stored
blocks' tokens, the payloads of blocks this process has not decoded yet (if any), the targets of
the changed days and their upsert (if any), the CSM's accounts (for a CSM).
"""

from __future__ import annotations

import json
import math
import struct
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from caredesk.cases.models import Case, CaseTarget
from caredesk.reports.models import DayBlock
from caredesk.reports.stats import KINDS, PERCENTILES, TargetStats, empty_targets, hours, percentile_cont

STATES: tuple[str, ...] = ("met", "breached", "running", "paused", "cancelled", "not_applicable")
"""Stored target states, by their code in a block (an unknown state is -1 and in no bucket)."""
BUCKET_OF_STATE = np.array([0, 1, 2, 2, 3, 4], dtype=np.int8)
"""Bucket index (stats.BUCKETS) of each state; running is 2 until its due instant has passed."""
NO_DUE = np.iinfo(np.int64).max
COLUMNS: tuple[tuple[str, str], ...] = (
    ("case", "<i8"),
    ("reseller", "<i8"),
    ("account", "<i8"),
    ("package", "<i4"),
    ("severity", "<i4"),
    ("service", "<i4"),
    ("kind", "<i1"),
    ("state", "<i1"),
    ("submitted", "<i8"),  # microseconds since the epoch, UTC
    ("due", "<i8"),  # microseconds since the epoch; NO_DUE without a due instant
    ("met", "<f8"),  # seconds from submission to the met instant; NaN if not met
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
DIRECT_KEYS = 20_000_000
"""Above this many possible keys a section finds its distinct rows by sorting instead."""
DECODED_BLOCKS = 5000
"""Blocks a process keeps decoded (least recently used first out): three years of days."""


def micros(at: datetime) -> int:
    return (at - _EPOCH) // _US


# --------------------------------------------------------------------------- blocks


@dataclass
class Block:
    """The targets of one day's cases: one array per column, ``package`` and ``service`` as codes
    into the block's own ``packages`` and ``services``."""

    columns: dict[str, np.ndarray[Any, Any]]
    packages: list[str]
    services: list[str]

    @property
    def rows(self) -> int:
        return len(self.columns["case"])

    def encode(self) -> bytes:
        header = json.dumps({"rows": self.rows, "packages": self.packages, "services": self.services}).encode()
        parts = [struct.pack("<I", len(header)), header]
        parts += [np.ascontiguousarray(self.columns[name], dtype=dtype).tobytes() for name, dtype in COLUMNS]
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes | memoryview) -> Block:
        raw = bytes(payload)
        (size,) = struct.unpack_from("<I", raw)
        header = json.loads(raw[4 : 4 + size])
        offset, rows, columns = 4 + size, header["rows"], {}
        for name, dtype in COLUMNS:
            width = np.dtype(dtype).itemsize * rows
            columns[name] = np.frombuffer(raw, dtype=dtype, count=rows, offset=offset)
            offset += width
        return cls(columns=columns, packages=header["packages"], services=header["services"])


@dataclass
class _DayRows:
    case_ids: set[int] = field(default_factory=set)
    ids: int = 0
    versions: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return _fingerprint(len(self.case_ids), self.ids, self.versions)


def _fingerprint(n: int, ids: int | None, versions: int | None) -> str:
    return f"{n}:{ids or 0}:{versions or 0}"


_STATE_CODE = {s: i for i, s in enumerate(STATES)}
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}


def _build(day: _DayRows) -> Block:
    packages = sorted({r[4] for r in day.rows})
    services = sorted({r[6] for r in day.rows})
    pcode = {p: i for i, p in enumerate(packages)}
    scode = {s: i for i, s in enumerate(services)}
    case, reseller, account, package, severity, service, kind, state, submitted, due, met = (
        [] for _ in range(len(COLUMNS))
    )
    for case_id, _, reseller_id, account_id, pkg, sev, svc, submitted_at, knd, st, due_at, met_at in day.rows:
        case.append(case_id)
        reseller.append(reseller_id)
        account.append(account_id)
        package.append(pcode[pkg])
        severity.append(sev)
        service.append(scode[svc])
        kind.append(_KIND_CODE.get(knd, -1))
        state.append(_STATE_CODE.get(st, -1))
        submitted.append(micros(submitted_at))
        due.append(micros(due_at) if due_at is not None else NO_DUE)
        met.append((met_at - submitted_at).total_seconds() if met_at is not None else np.nan)
    values = (case, reseller, account, package, severity, service, kind, state, submitted, due, met)
    columns = {name: np.array(v, dtype=dtype) for (name, dtype), v in zip(COLUMNS, values, strict=True)}
    return Block(columns=columns, packages=packages, services=services)


_decoded: OrderedDict[str, Block] = OrderedDict()


def _remember(token: str, block: Block) -> None:
    _decoded[token] = block
    _decoded.move_to_end(token)
    while len(_decoded) > DECODED_BLOCKS:
        _decoded.popitem(last=False)


def _day_ranges(days: Sequence[date]) -> Q:
    """Cases submitted on any of ``days`` (sorted), as few half-open ranges as there are runs."""
    condition = Q()
    run_start = previous = None
    for day in [*days, None]:
        if day is not None and previous is not None and day == previous + timedelta(days=1):
            previous = day
            continue
        if run_start is not None and previous is not None:
            start = datetime.combine(run_start, datetime.min.time(), tzinfo=UTC)
            end = datetime.combine(previous + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            condition |= Q(case__submitted_at__gte=start, case__submitted_at__lt=end)
        run_start = previous = day
    return condition


Fingerprints = dict[date, str]


def fingerprints(start: date, end: date) -> Fingerprints:
    """Each day from ``start`` to ``end`` (UTC, inclusive) that has cases -> the count, sum of ids
    and sum of versions of its cases (one statement; an index-only scan on PostgreSQL)."""
    start_at = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    end_at = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return {
        row["day"]: _fingerprint(row["n"], row["ids"], row["versions"])
        for row in Case.objects.filter(submitted_at__gte=start_at, submitted_at__lt=end_at)
        .annotate(day=TruncDate("submitted_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"), ids=Sum("id"), versions=Sum("version"))
        .order_by()
    }


def blocks_for_period(start: date, end: date, current: Fingerprints | None = None) -> list[Block]:
    """The block of every day from ``start`` to ``end`` (UTC, inclusive) that has cases, each
    current with the cases as they are now (rebuilt and stored if they changed). ``current``: the
    days' fingerprints when the caller has just read them."""
    if current is None:
        current = fingerprints(start, end)
    if not current:
        return []
    stored = {
        day: (fingerprint, token)
        for day, fingerprint, token in DayBlock.objects.filter(day__in=list(current)).values_list(
            "day", "fingerprint", "token"
        )
    }
    fresh = {day: stored[day][1] for day, fp in current.items() if day in stored and stored[day][0] == fp}
    missing = [token for token in fresh.values() if token not in _decoded]
    if missing:
        for token, payload in DayBlock.objects.filter(token__in=missing).values_list("token", "payload"):
            _remember(token, Block.decode(payload))
    blocks = {day: _decoded[token] for day, token in fresh.items() if token in _decoded}
    stale = sorted(day for day in current if day not in blocks)
    if stale:
        blocks |= rebuild_days(stale)
    return [blocks[day] for day in sorted(blocks)]


def stale_days(current: Fingerprints) -> list[date]:
    """The days of ``current`` whose stored block is missing or was built from other cases (what
    the next report of them would rebuild), oldest first; nothing is decoded."""
    stored = dict(DayBlock.objects.filter(day__in=list(current)).values_list("day", "fingerprint"))
    return sorted(day for day, fp in current.items() if stored.get(day) != fp)


def rebuild_days(days: list[date], *, keep: bool = True) -> dict[date, Block]:
    """Build and store the blocks of ``days`` from the tables (one read, one upsert); ``keep``:
    also keep them decoded in this process (a report will use them; a background build will not)."""
    by_day: dict[date, _DayRows] = {day: _DayRows() for day in days}
    rows = CaseTarget.objects.filter(_day_ranges(days)).values_list(
        "case_id",
        "case__version",
        "case__reseller_id",
        "case__account_id",
        "case__package",
        "case__severity",
        "case__service",
        "case__submitted_at",
        "kind",
        "state",
        "due_at",
        "met_at",
    )
    for row in rows:
        found = by_day[row[7].astimezone(UTC).date()]
        found.rows.append(row)
        if row[0] not in found.case_ids:
            found.case_ids.add(row[0])
            found.ids += row[0]
            found.versions += row[1]
    built: dict[date, Block] = {}
    records = []
    for day, rows_of_day in by_day.items():
        block = _build(rows_of_day)
        token = uuid.uuid4().hex
        if keep:
            _remember(token, block)
        built[day] = block
        records.append(
            DayBlock(day=day, fingerprint=rows_of_day.fingerprint, token=token, rows=block.rows, payload=block.encode())
        )
    DayBlock.objects.bulk_create(
        records, update_conflicts=True, unique_fields=["day"], update_fields=["fingerprint", "token", "rows", "payload"]
    )
    return built


# --------------------------------------------------------------------------- the sections


@dataclass
class Scope:
    """Which targets a report counts: the period (microseconds, half-open), the actor's cases
    (``reseller`` for a reseller's people, ``accounts`` for a CSM, neither for everyone else) and
    the request's filters."""

    start: int
    end: int
    reseller: int | None = None
    accounts: Iterable[int] | None = None
    reseller_id: int | None = None
    account_id: int | None = None
    package: str | None = None
    severity: int | None = None
    service: str | None = None


@dataclass
class Counted:
    """One section's numbers: cases and each kind's buckets and percentiles."""

    cases: int = 0
    targets: dict[str, TargetStats] = field(default_factory=empty_targets)


@dataclass
class Sections:
    groups: dict[tuple[Any, ...], Counted]
    total: Counted
    months: dict[date, Counted]
    goal: dict[tuple[str, int], Counted]


def _concat(blocks: Sequence[Block]) -> tuple[dict[str, np.ndarray[Any, Any]], list[str], list[str]]:
    """One array per column over every block, package and service codes into shared lists."""
    packages = sorted({p for b in blocks for p in b.packages})
    services = sorted({s for b in blocks for s in b.services})
    pindex = {p: i for i, p in enumerate(packages)}
    sindex = {s: i for i, s in enumerate(services)}
    parts: dict[str, list[np.ndarray[Any, Any]]] = {name: [] for name, _ in COLUMNS}
    for b in blocks:
        for name, _ in COLUMNS:
            values = b.columns[name]
            if name == "package" and b.packages:
                values = np.array([pindex[p] for p in b.packages], dtype=np.int32)[values]
            elif name == "service" and b.services:
                values = np.array([sindex[s] for s in b.services], dtype=np.int32)[values]
            parts[name].append(values)
    columns = {
        name: np.concatenate(parts[name]) if parts[name] else np.empty(0, dtype=dtype) for name, dtype in COLUMNS
    }
    return columns, packages, services


def _mask(c: dict[str, np.ndarray[Any, Any]], scope: Scope, packages: list[str], services: list[str]) -> Any:
    mask = (c["submitted"] >= scope.start) & (c["submitted"] < scope.end)
    if scope.reseller is not None:
        mask &= c["reseller"] == scope.reseller
    if scope.accounts is not None:
        mask &= np.isin(c["account"], np.fromiter(scope.accounts, dtype=np.int64))
    if scope.reseller_id is not None:
        mask &= c["reseller"] == scope.reseller_id
    if scope.account_id is not None:
        mask &= c["account"] == scope.account_id
    if scope.package:
        mask &= c["package"] == (packages.index(scope.package) if scope.package in packages else -1)
    if scope.severity is not None:
        mask &= c["severity"] == scope.severity
    if scope.service:
        mask &= c["service"] == (services.index(scope.service) if scope.service in services else -1)
    return mask


def _counts(index: np.ndarray[Any, Any], n: int, kind: np.ndarray[Any, Any], bucket: np.ndarray[Any, Any]) -> Any:
    """``[section, kind, bucket]`` counts (rows with bucket -1 or kind -1 are in none)."""
    valid = (bucket >= 0) & (kind >= 0)
    flat = (index[valid] * len(KINDS) + kind[valid]) * 5 + bucket[valid]
    return np.bincount(flat, minlength=n * len(KINDS) * 5).reshape(n, len(KINDS), 5)


def _percentiles(
    index: np.ndarray[Any, Any], kind: np.ndarray[Any, Any], met: np.ndarray[Any, Any], by_met: np.ndarray[Any, Any]
) -> dict[tuple[int, int], tuple[float | None, ...]]:
    """(section, kind) -> the report percentiles of the met durations (``percentile_cont``).
    ``by_met``: the rows that have a met duration, in the order of their durations, so a stable
    sort by section keeps each section's values in order."""
    key = index[by_met] * len(KINDS) + kind[by_met]
    values = met[by_met]
    order = np.argsort(key, kind="stable")
    key, values = key[order], values[order]
    found: dict[tuple[int, int], tuple[float | None, ...]] = {}
    if not len(key):
        return found
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        count = e - s
        answers = []
        for _, fraction in PERCENTILES:
            position = fraction * (count - 1)
            low, high = int(np.floor(position)), int(np.ceil(position))
            ranked = {low: float(values[s + low]), high: float(values[s + high])}
            answers.append(percentile_cont(ranked, count, fraction))
        k = int(key[s])
        found[k // len(KINDS), k % len(KINDS)] = tuple(answers)
    return found


def _fill(
    counts: Any, cases: Any, percentiles: dict[tuple[int, int], tuple[float | None, ...]], i: int, into: Counted
) -> None:
    into.cases = int(cases[i])
    for k, kind in enumerate(KINDS):
        stats = into.targets[kind]
        stats.met, stats.breached, stats.running, stats.cancelled, stats.not_applicable = (int(x) for x in counts[i, k])
        found = percentiles.get((i, k))
        if found is not None:
            for (name, _), value in zip(PERCENTILES, found, strict=True):
                setattr(stats, name, hours(value))


def sections_of(blocks: Sequence[Block], scope: Scope, fields: Sequence[str], *, now: datetime) -> Sections:
    """Bucket counts and time-to-target percentiles of the targets ``scope`` selects: per group of
    ``fields`` (Case fields: package, severity, service, reseller_id, account_id), in total, per
    month of submission, and the restoration counts per package and severity."""
    c, packages, services = _concat(blocks)
    mask = _mask(c, scope, packages, services)
    c = {name: values[mask] for name, values in c.items()}
    n = len(c["case"])
    state = c["state"]
    bucket = np.where(state >= 0, BUCKET_OF_STATE[np.clip(state, 0, None)], -1).astype(np.int64)
    bucket[(state == _STATE_CODE["running"]) & (c["due"] <= micros(now))] = 1
    kind = c["kind"].astype(np.int64)
    response = kind == 0
    timed = np.flatnonzero(~np.isnan(c["met"]) & (kind >= 0))
    by_met = timed[np.argsort(c["met"][timed])]

    def section(columns: list[np.ndarray[Any, Any]]) -> tuple[list[tuple[int, ...]], np.ndarray[Any, Any]]:
        """The distinct rows of ``columns`` (in sorted order) and each row's index among them:
        the columns are small integers (codes, severities, ids, months), so a row's mixed-radix
        number is its key and a count per number finds the distinct ones without sorting."""
        if n == 0:
            return [], np.zeros(0, dtype=np.int64)
        lows = [int(column.min()) for column in columns]
        radices = [int(column.max()) - low + 1 for column, low in zip(columns, lows, strict=True)]
        if math.prod(radices) > DIRECT_KEYS:
            key = np.zeros(n, dtype=np.int64)
            for column in columns:
                values, codes = np.unique(column, return_inverse=True)
                key = key * max(len(values), 1) + codes.reshape(-1)
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            keys = list(zip(*(column[first].tolist() for column in columns), strict=True))
            return keys, inverse.reshape(-1).astype(np.int64)
        key = np.zeros(n, dtype=np.int64)
        for column, low, radix in zip(columns, lows, radices, strict=True):
            key = key * radix + (column.astype(np.int64) - low)
        present = np.flatnonzero(np.bincount(key, minlength=math.prod(radices)))
        position = np.full(math.prod(radices), -1, dtype=np.int64)
        position[present] = np.arange(len(present))
        digits = []
        rest = present
        for low, radix in reversed(list(zip(lows, radices, strict=True))):
            digits.append((rest % radix + low).tolist())
            rest = rest // radix
        return list(zip(*reversed(digits), strict=True)), position[key]

    column_of = {
        "package": c["package"],
        "severity": c["severity"],
        "service": c["service"],
        "reseller_id": c["reseller"],
        "account_id": c["account"],
    }
    months = c["submitted"].astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)

    def decode(f: str, value: int) -> Any:
        if f == "package":
            return packages[value]
        if f == "service":
            return services[value]
        return int(value)

    def tally(inverse: np.ndarray[Any, Any], sections: int, *, percentiles: bool = True) -> list[Counted]:
        """The numbers of each of ``sections`` sections, ``inverse`` giving each row's section."""
        counts = _counts(inverse, sections, kind, bucket)
        cases = np.bincount(inverse[response], minlength=sections)
        found = _percentiles(inverse, kind, c["met"], by_met) if percentiles else {}
        numbers = [Counted() for _ in range(sections)]
        for i, into in enumerate(numbers):
            _fill(counts, cases, found, i, into)
        return numbers

    out = Sections(groups={}, total=Counted(), months={}, goal={})
    keys, inverse = section([column_of[f] for f in fields])
    for key, numbers in zip(keys, tally(inverse, len(keys)), strict=True):
        out.groups[tuple(decode(f, v) for f, v in zip(fields, key, strict=True))] = numbers
    if n:
        out.total = tally(np.zeros(n, dtype=np.int64), 1)[0]
    keys, inverse = section([months])
    for (month,), numbers in zip(keys, tally(inverse, len(keys)), strict=True):
        out.months[np.datetime64(month, "M").astype("datetime64[D]").item()] = numbers
    # The restoration goal per package and severity: counts only.
    keys, inverse = section([c["package"], c["severity"]])
    for (package, severity), numbers in zip(keys, tally(inverse, len(keys), percentiles=False), strict=True):
        out.goal[packages[package], int(severity)] = numbers
    return out
