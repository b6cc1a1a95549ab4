"""The append-only, hash-chained timeline of cases and requests.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON (sorted
keys, UTC instants to the microsecond), so changing, reordering or deleting any event breaks every
later link. The first event's previous hash is 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caredesk.cases.models import Case, CaseEvent, RequestEvent
from caredesk.tenancy.models import User

GENESIS = "0" * 64


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
) -> CaseEvent:
    """Append one event. The caller holds the case row lock (select_for_update), so ``seq`` is safe;
    the unique (case, seq) constraint turns any race into an error rather than a fork."""
    last = CaseEvent.objects.filter(case=case).order_by("-seq").values("seq", "hash").first()
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
    event.save(force_insert=True)
    return event


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


@dataclass(frozen=True)
class BrokenLink:
    chain: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"{self.chain}: event #{self.seq}: {self.problem}"


def verify_events(chain: str, events: list[Any], content: Any) -> BrokenLink | None:
    """The first broken link of one chain (events in seq order), or None if it is whole."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return BrokenLink(chain, expected_seq, f"missing (found #{event.seq} next)")
        if event.prev_hash != prev:
            return BrokenLink(chain, event.seq, "previous-hash does not match the event before it")
        if event_digest(prev, content(event)) != event.hash:
            return BrokenLink(chain, event.seq, "content does not match its hash (edited)")
        prev = event.hash
    return None


def audit_verify(*, batch: int = 2000) -> tuple[int, list[BrokenLink]]:
    """Verify every chain, streaming in case order. Returns (events checked, first break per chain)."""
    checked = 0
    broken: list[BrokenLink] = []
    for model, key, content, name in (
        (CaseEvent, ("case_id",), case_event_content, lambda e: f"case {e.case_id}"),
        (
            RequestEvent,
            ("subject_type", "subject_id"),
            request_event_content,
            lambda e: f"{e.subject_type} {e.subject_id}",
        ),
    ):
        current: tuple[Any, ...] | None = None
        bucket: list[Any] = []
        for event in model.objects.order_by(*key, "seq").iterator(chunk_size=batch):
            ident = tuple(getattr(event, k) for k in key)
            if ident != current:
                if bucket:
                    found = verify_events(name(bucket[0]), bucket, content)
                    if found:
                        broken.append(found)
                current, bucket = ident, []
            bucket.append(event)
            checked += 1
        if bucket:
            found = verify_events(name(bucket[0]), bucket, content)
            if found:
                broken.append(found)
    return checked, broken
