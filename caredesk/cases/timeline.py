"""The append-only, hash-chained timeline of cases and requests.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON (sorted
keys, UTC instants to the microsecond), so changing, reordering or deleting any event breaks every
later link. The first event's previous hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from django.db import connection

from caredesk.cases.models import Case, CaseEvent, RequestEvent
from caredesk.sqlrows import Insert
from caredesk.tenancy.models import User

GENESIS = "0" * 64
_EVENT_INSERT = Insert(CaseEvent)


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_digest(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


def case_event_content(event: CaseEvent) -> dict[str, Any]:
    return {
        "case": event.case_id,
        "seq": event.seq,
        "at": _instant(event.at),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "channel": event.channel,
        "kind": event.kind,
        "internal": event.internal,
        "data": event.data,
        "sla": event.sla,
    }


def case_event_append(
    *,
    case: Case,
    actor: User | None,
    kind: str,
    at: datetime,
    channel: str,
    data: dict[str, Any] | None = None,
    sla: dict[str, Any] | None = None,
    internal: bool = False,
    first: bool = False,
) -> CaseEvent:
    """Append one event. The caller holds the case row lock (select_for_update), so ``seq`` is safe;
    the unique (case, seq) constraint turns any race into an error rather than a fork.

    ``first``: the case was inserted in this very transaction, so the event is #1 after the genesis
    hash and the chain head need not be read (one round trip less per case opened)."""
    last = None if first else CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
    event = CaseEvent(
        case=case,
        reseller_id=case.reseller_id,
        seq=(last["seq"] + 1) if last else 1,
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_role=actor.role if actor is not None else "system",
        channel=channel,
        kind=kind,
        internal=internal,
        data=json.loads(canonical(data or {})),
        sla=sla,
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = event_digest(event.prev_hash, case_event_content(event))
    _EVENT_INSERT.run([event], connection.alias)  # as event.save(force_insert=True), compiled once
    return event


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCaseEvent:
    """One event for ``case_events_append_many``: the arguments of ``case_event_append``."""

    case: Case
    actor: User | None
    kind: str
    at: datetime
    channel: str
    data: dict[str, Any] | None = None
    sla: dict[str, Any] | None = None
    internal: bool = False


def case_events_append_many(*, events: Sequence[NewCaseEvent]) -> list[CaseEvent]:
    """Append many events to the timelines of many cases in two statements: one read of the head
    of every chain concerned, one bulk insert. Each case's events are appended in the order given,
    each linked and hashed exactly as ``case_event_append`` would have done one after the other
    (same content, same digest). The caller holds the row lock of every case concerned, as for
    ``case_event_append``; the unique (case, seq) constraint still turns any race into an error."""
    if not events:
        return []
    heads = _case_chain_heads(sorted({e.case.pk for e in events}))
    rows: list[CaseEvent] = []
    for spec in events:
        seq, prev_hash = heads.get(spec.case.pk, (0, GENESIS))
        actor = spec.actor
        event = CaseEvent(
            case=spec.case,
            reseller_id=spec.case.reseller_id,
            seq=seq + 1,
            at=spec.at,
            actor=actor if actor is not None and actor.pk else None,
            actor_role=actor.role if actor is not None else "system",
            channel=spec.channel,
            kind=spec.kind,
            internal=spec.internal,
            data=json.loads(canonical(spec.data or {})),
            sla=spec.sla,
            prev_hash=prev_hash,
        )
        event.hash = event_digest(event.prev_hash, case_event_content(event))
        heads[spec.case.pk] = (event.seq, event.hash)
        rows.append(event)
    return CaseEvent.objects.bulk_create(rows)


# The newest event of each case in a list, in one statement. PostgreSQL: one backward probe of the
# (case, seq) index per case, so the cost follows the number of cases, not the length of their
# timelines. SQLite: the highest seq per case joined back to its row (the ids as one JSON array).
_HEADS_SQL = {
    "postgresql": """
        SELECT h.case_id, e.seq, e.hash
        FROM unnest(%s::bigint[]) AS h(case_id)
        CROSS JOIN LATERAL (
            SELECT seq, hash FROM cases_caseevent WHERE case_id = h.case_id ORDER BY seq DESC LIMIT 1
        ) e""",
    "sqlite": """
        SELECT e.case_id, e.seq, e.hash
        FROM cases_caseevent e
        JOIN (
            SELECT case_id, MAX(seq) AS seq FROM cases_caseevent
            WHERE case_id IN (SELECT value FROM json_each(%s)) GROUP BY case_id
        ) h ON e.case_id = h.case_id AND e.seq = h.seq""",
}


def _case_chain_heads(case_ids: list[int]) -> dict[int, tuple[int, str]]:
    """``{case id: (seq, hash)}`` of the newest event of each case that has one, in one query."""
    vendor = connection.vendor
    param: Any = case_ids if vendor == "postgresql" else json.dumps(case_ids)
    with connection.cursor() as cursor:
        cursor.execute(_HEADS_SQL[vendor], [param])
        return {int(case_id): (int(seq), str(digest)) for case_id, seq, digest in cursor.fetchall()}


def request_event_content(event: RequestEvent) -> dict[str, Any]:
    return {
        "subject": f"{event.subject_type}:{event.subject_id}",
        "seq": event.seq,
        "at": _instant(event.at),
        "actor": event.actor_id,
        "actor_role": event.actor_role,
        "channel": event.channel,
        "kind": event.kind,
        "data": event.data,
    }


def request_event_append(
    *,
    subject_type: str,
    subject_id: int,
    reseller_id: int,
    actor: User | None,
    kind: str,
    at: datetime,
    channel: str,
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    last = (
        RequestEvent.objects.filter(subject_type=subject_type, subject_id=subject_id)
        .order_by("-seq")
        .values("seq", "hash")
        .first()
    )
    event = RequestEvent(
        reseller_id=reseller_id,
        subject_type=subject_type,
        subject_id=subject_id,
        seq=(last["seq"] + 1) if last else 1,
        at=at,
        actor=actor if actor is not None and actor.pk else None,
        actor_role=actor.role if actor is not None else "system",
        channel=channel,
        kind=kind,
        data=json.loads(canonical(data or {})),
        prev_hash=last["hash"] if last else GENESIS,
    )
    event.hash = event_digest(event.prev_hash, request_event_content(event))
    event.save(force_insert=True)
    return event


class Problem(StrEnum):
    """What is wrong at the first broken link of a chain."""

    EDITED = "edited"  # an event's content no longer matches its hash, or it was rewritten and re-hashed
    MISSING = "missing"  # events were deleted (a gap in seq, a chain that lost its start or its head)
    REORDERED = "reordered"  # intact events that sit in another place than the one they were written in


@dataclass(frozen=True)
class BrokenLink:
    """The first broken link of one chain: where (``seq``), what (``problem``) and why (``detail``)."""

    chain: str
    seq: int
    problem: Problem
    detail: str

    def __str__(self) -> str:
        return f"{self.chain}: event #{self.seq}: {self.problem.value}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "problem": self.problem.value, "detail": self.detail}


def _written_as(event: Any, content: Callable[[Any], dict[str, Any]], limit: int) -> int | None:
    """The seq an event was written with, if its hash matches its content under some seq (1..limit)."""
    body = content(event)
    for seq in range(1, limit + 1):
        if event_digest(event.prev_hash, {**body, "seq": seq}) == event.hash:
            return seq
    return None


def verify_events(chain: str, events: Sequence[Any], content: Callable[[Any], dict[str, Any]]) -> BrokenLink | None:
    """The first broken link of one chain (``events`` ordered by seq), or None if it is whole.

    Each event must sit at its own position (seq 1, 2, ...), hash to its stored hash, and name the
    hash of the event before it (the genesis hash for the first). At the first event where that
    fails, the problem is classified:

    - ``missing``: a gap in seq; or an intact event written further on (events in between were
      deleted and the rest renumbered); or an intact event whose predecessor exists nowhere;
    - ``reordered``: an intact event that names a predecessor found elsewhere in the chain (rows
      swapped, by seq or by content);
    - ``edited``: an event whose content matches its hash under no seq (changed after it was
      written), or an intact event whose predecessor was rewritten and re-hashed.

    Deleting the newest events of a chain leaves a shorter, valid chain: only an anchor of the
    chain heads taken earlier (``chain_heads`` / ``verify_heads``) reveals that.
    """
    prev = GENESIS
    by_hash = {e.hash: e for e in events}
    limit = max([len(events), *(e.seq for e in events)]) + 1
    for position, event in enumerate(events, start=1):
        if event.seq > position:
            gone = f"#{position}" if event.seq == position + 1 else f"#{position} to #{event.seq - 1}"
            return BrokenLink(chain, position, Problem.MISSING, f"event {gone} deleted; the next event is #{event.seq}")
        intact = event.seq == position and event_digest(event.prev_hash, content(event)) == event.hash
        if intact and event.prev_hash == prev:
            prev = event.hash
            continue
        written = position if intact else _written_as(event, content, limit)
        if written is None:
            return BrokenLink(chain, position, Problem.EDITED, "its content no longer matches its hash")
        before = by_hash.get(event.prev_hash)
        if before is not None and before is not event:
            return BrokenLink(
                chain,
                position,
                Problem.REORDERED,
                f"it was written as #{written}, after the event now at #{before.seq}",
            )
        if event.prev_hash == GENESIS and position > 1:
            return BrokenLink(chain, position, Problem.REORDERED, "it was written as the first event of the chain")
        if written > position:
            return BrokenLink(
                chain,
                position,
                Problem.MISSING,
                f"it was written as #{written}: events before it were deleted and the rest renumbered",
            )
        if written == position and position > 1:
            return BrokenLink(
                chain,
                position - 1,
                Problem.EDITED,
                f"it was rewritten and re-hashed: event #{position} still names its original hash",
            )
        if position == 1:
            return BrokenLink(
                chain, 1, Problem.MISSING, "the chain does not start at the genesis hash: its first events were deleted"
            )
        return BrokenLink(chain, position, Problem.EDITED, f"it was written as #{written} and moved")
    return None


@dataclass
class AuditReport:
    """What ``audit_verify`` checked and the first broken link of every broken chain."""

    events: int = 0
    case_chains: int = 0
    request_chains: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


_CHAINS: tuple[tuple[type[Any], tuple[str, ...], Callable[[Any], dict[str, Any]], Callable[[Any], str]], ...] = (
    (CaseEvent, ("case_id",), case_event_content, lambda e: f"case {e.case_id}"),
    (
        RequestEvent,
        ("subject_type", "subject_id"),
        request_event_content,
        lambda e: f"{e.subject_type} {e.subject_id}",
    ),
)


def _buckets(model: type[Any], key: tuple[str, ...], batch: int, *fields: str) -> Iterator[list[Any]]:
    """The events of ``model`` chain by chain, each chain in seq order, streamed from the database."""
    qs = model.objects.order_by(*key, "seq")
    if fields:
        qs = qs.only(*key, "seq", *fields)
    current: tuple[Any, ...] | None = None
    bucket: list[Any] = []
    for event in qs.iterator(chunk_size=batch):
        ident = tuple(getattr(event, k) for k in key)
        if ident != current and bucket:
            yield bucket
            bucket = []
        current = ident
        bucket.append(event)
    if bucket:
        yield bucket


def audit_verify(*, batch: int = 2000) -> AuditReport:
    """Verify every chain, streaming each table in chain order, plus the subjects (cases, CSM
    requests, feature requests) that have lost every event of their chain."""
    report = AuditReport()
    for model, key, content, name in _CHAINS:
        for bucket in _buckets(model, key, batch):
            report.events += len(bucket)
            if model is CaseEvent:
                report.case_chains += 1
            else:
                report.request_chains += 1
            found = verify_events(name(bucket[0]), bucket, content)
            if found:
                report.broken.append(found)
    for chain in _empty_chains():
        report.broken.append(BrokenLink(chain, 1, Problem.MISSING, "every event of its timeline was deleted"))
    report.broken.sort(key=lambda b: _chain_order(b.chain))
    return report


def _empty_chains() -> list[str]:
    from caredesk.cases.models import CsmRequest, FeatureRequest

    empty = [f"case {pk}" for pk in Case.objects.filter(events__isnull=True).values_list("pk", flat=True)]
    for model, subject in ((CsmRequest, "csm_request"), (FeatureRequest, "feature_request")):
        with_events = RequestEvent.objects.filter(subject_type=subject).values("subject_id")
        empty += [f"{subject} {pk}" for pk in model.objects.exclude(pk__in=with_events).values_list("pk", flat=True)]
    return empty


def _chain_order(chain: str) -> tuple[str, int]:
    kind, _, ident = chain.rpartition(" ")
    return kind, int(ident)


# --------------------------------------------------------------------------- anchors


def chain_heads() -> Iterator[dict[str, Any]]:
    """The newest event of every chain (chain, seq, hash): an anchor to keep outside the database.
    ``verify_heads`` later proves that no chain lost or rewrote what it had when the anchor was taken,
    which the chain alone cannot show for its newest events."""
    for model, key, _content, name in _CHAINS:
        for bucket in _buckets(model, key, 2000, "hash"):
            last = bucket[-1]
            yield {"chain": name(last), "seq": last.seq, "hash": last.hash}


def verify_heads(heads: Iterable[dict[str, Any]]) -> list[BrokenLink]:
    """Every anchored head must still be in its chain with the same hash."""
    broken: list[BrokenLink] = []
    for head in heads:
        chain, seq, digest = str(head["chain"]), int(head["seq"]), str(head["hash"])
        kind, _, ident = chain.rpartition(" ")
        if kind == "case":
            qs: Any = CaseEvent.objects.filter(case_id=int(ident))
        else:
            qs = RequestEvent.objects.filter(subject_type=kind, subject_id=int(ident))
        found = qs.filter(seq=seq).values_list("hash", flat=True).first()
        if found is None:
            newest = qs.order_by("-seq").values_list("seq", flat=True).first()
            detail = (
                f"the anchored head #{seq} is gone (the chain now ends at #{newest})"
                if newest is not None
                else f"the anchored head #{seq} is gone with every event of the chain"
            )
            broken.append(BrokenLink(chain, seq, Problem.MISSING, detail))
        elif found != digest:
            broken.append(BrokenLink(chain, seq, Problem.EDITED, "its hash differs from the anchored head"))
    return broken
