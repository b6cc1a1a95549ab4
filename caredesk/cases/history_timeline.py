"""The timeline half of a case import (``caredesk.cases.history_checks``): the ``timeline`` (or,
from another helpdesk, the bare ``events``) and the ``comments`` of an import body, checked entry by
entry, every problem collected under its path.

- Every instant is in the past, the timeline is in time order, an SLA event is never internal and
  never later than the event that records it, and ``events`` given beside a timeline must be
  exactly the SLA events that timeline carries.
- A timeline that carries its hashes must still verify as a chain (an export edited afterwards, or
  one with events left out, is refused; without its hashes it imports as unverified data).
- People are named by e-mail: vendor staff or people of the account's reseller. One not found here
  is kept by name in ``data.imported``; one of another reseller is refused.
- Every comment is on the timeline: one that no event records gets its own event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from caredesk.cases.timeline import canonical, verify_events
from caredesk.domain.errors import ValidationFailed
from caredesk.domain.sla.clocks import SlaEvent
from caredesk.domain.sla.replay import events_from_json, parse_instant
from caredesk.tenancy.models import User

MAX_ENTRIES = 5000
SLA_KINDS = {  # the timeline kind of an SLA event imported without a timeline
    "submitted": "case_opened",
    "severity_changed": "severity_changed",
    "responded": "responded",
    "awaiting_reseller": "awaiting_reseller",
    "resumed": "resumed",
    "restored": "restored",
    "resolved": "resolved",
    "reopened": "reopened",
}


@dataclass
class Entry:
    """One timeline event to write, in order."""

    at: datetime
    kind: str
    actor: User | None
    internal: bool
    data: dict[str, Any]
    sla: dict[str, Any] | None = None
    comment_ref: Any = None  # the source id of the comment this event records


@dataclass
class Check:
    """Validation state: every problem is collected under its path, then raised at once."""

    actor: User
    now: datetime
    errors: dict[str, str] = field(default_factory=dict)
    people: dict[str, User | None] = field(default_factory=dict)
    reseller_id: int | None = None

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def take(self, exc: ValidationFailed, prefix: str = "") -> None:
        for key, message in (exc.errors or {prefix or "body": exc.message}).items():
            self.fail(f"{prefix}.{key}" if prefix and key else (prefix or key), message)

    def instant(self, value: object, path: str) -> datetime | None:
        try:
            at = parse_instant(value, path)
        except ValidationFailed as exc:
            self.fail(path, exc.errors.get(path, exc.message))
            return None
        if at > self.now:
            self.fail(path, "is in the future")
        return at

    def person(self, raw: object, path: str) -> tuple[User | None, dict[str, Any] | None]:
        """(the user with that e-mail, or None; the original reference, kept as provenance)."""
        if raw is None:
            return None, None
        if isinstance(raw, str):
            raw = {"email": raw}
        if not isinstance(raw, Mapping):
            self.fail(path, 'expected an e-mail address or an object {"email", "name"}')
            return None, None
        original = {k: raw[k] for k in ("email", "name", "role") if isinstance(raw.get(k), str)}
        email = original.get("email", "").strip().lower()
        if not email:
            return None, original or None
        if email not in self.people:
            self.people[email] = User.objects.filter(email__iexact=email).first()
        user = self.people[email]
        if user is not None and user.reseller_id is not None and user.reseller_id != self.reseller_id:
            self.fail(path, f"{email} belongs to another reseller than the account's")
            return None, original
        return user, original


def _sla_event(check: Check, raw: object, path: str) -> tuple[SlaEvent, dict[str, Any]] | None:
    try:
        [event] = events_from_json([raw], field="x")
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            check.fail(key.replace("x[0]", path, 1), message)
        return None
    if event.at > check.now:
        check.fail(f"{path}.at", "is in the future")
        return None
    assert isinstance(raw, Mapping)
    sla: dict[str, Any] = {"type": event.type.value, "at": raw["at"]}
    if event.severity is not None:
        sla["severity"] = event.severity
    if event.code is not None:
        sla["code"] = event.code
    return event, sla


def timeline_entries(check: Check, data: Mapping[str, Any]) -> tuple[list[Entry], list[SlaEvent], list[str]]:
    """The entries to write and the SLA history they carry, with the path of each SLA event."""
    raw_timeline, raw_events = data.get("timeline"), data.get("events")
    if raw_timeline is None:
        return _events_only(check, raw_events)
    entries: list[Entry] = []
    history: list[SlaEvent] = []
    paths: list[str] = []
    if not isinstance(raw_timeline, list) or not raw_timeline:
        check.fail("timeline", "expected a non-empty list of events")
        return entries, history, paths
    if len(raw_timeline) > MAX_ENTRIES:
        check.fail("timeline", f"at most {MAX_ENTRIES} events")
        return entries, history, paths
    if all(isinstance(r, Mapping) for r in raw_timeline):
        _source_chain(check, data.get("id"), raw_timeline)
    previous: datetime | None = None
    for index, raw in enumerate(raw_timeline):
        path = f"timeline[{index}]"
        if not isinstance(raw, Mapping):
            check.fail(path, "expected an object {at, kind, actor, data, sla, ...}")
            continue
        at = check.instant(raw.get("at"), f"{path}.at")
        if at is not None and previous is not None and at < previous:
            check.fail(f"{path}.at", "out of time order: before the event above it")
        previous = at or previous
        kind = raw.get("kind")
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 40:
            check.fail(f"{path}.kind", "required: the event's kind, at most 40 characters")
        internal = raw.get("internal", False)
        if not isinstance(internal, bool):
            check.fail(f"{path}.internal", "true or false")
        body = raw.get("data", {})
        if not isinstance(body, Mapping):
            check.fail(f"{path}.data", "expected an object")
            body = {}
        user, original = check.person(raw.get("actor"), f"{path}.actor")
        imported = {k: raw[k] for k in ("seq", "channel", "hash") if raw.get(k) is not None}
        if original and user is None:
            imported["actor"] = original
        if "imported" in body:
            imported["previous"] = body["imported"]
        sla = None
        if raw.get("sla") is not None:
            parsed = _sla_event(check, raw["sla"], f"{path}.sla")
            if parsed is not None:
                event, sla = parsed
                if internal is True:
                    check.fail(f"{path}.internal", "an SLA event is never internal: the reseller sees its clocks")
                if at is not None and event.at > at:
                    check.fail(f"{path}.sla.at", "after the instant of the event that records it")
                history.append(event)
            paths.append(f"{path}.sla")
        if at is not None and isinstance(kind, str) and isinstance(internal, bool):
            ref = body.get("comment")
            ref = ref if isinstance(ref, int | str) and not isinstance(ref, bool) else None
            entries.append(Entry(at, kind.strip(), user, internal, {**body, "imported": imported}, sla, ref))
    if isinstance(raw_events, list):
        _same_history(check, raw_events, history, paths)
    elif raw_events is not None:
        check.fail("events", "expected a list of SLA events")
    return entries, history, paths


def _events_only(check: Check, raw_events: object) -> tuple[list[Entry], list[SlaEvent], list[str]]:
    """Another helpdesk's bare SLA history: one timeline event per SLA event (an ``actor`` key, if
    any, names who did it)."""
    entries: list[Entry] = []
    history: list[SlaEvent] = []
    paths: list[str] = []
    if not isinstance(raw_events, list) or not raw_events:
        check.fail("events", "required: the case's SLA events (or a timeline that carries them)")
        return entries, history, paths
    if len(raw_events) > MAX_ENTRIES:
        check.fail("events", f"at most {MAX_ENTRIES} events")
        return entries, history, paths
    for index, raw in enumerate(raw_events):
        path = f"events[{index}]"
        paths.append(path)
        parsed = _sla_event(check, raw, path)
        if parsed is None:
            continue
        event, sla = parsed
        assert isinstance(raw, Mapping)
        user, original = check.person(raw.get("actor"), f"{path}.actor")
        imported = {"actor": original} if original and user is None else {}
        entries.append(Entry(event.at, SLA_KINDS[event.type.value], user, False, {"imported": imported}, sla))
        history.append(event)
    return entries, history, paths


def _same_history(check: Check, raw_events: list[Any], history: list[SlaEvent], paths: list[str]) -> None:
    """``events`` beside a timeline must be exactly the SLA events the timeline carries."""
    if len(raw_events) != len(paths):
        check.fail("events", f"{len(raw_events)} SLA events, but the timeline carries {len(paths)}")
        return
    if len(history) != len(paths):
        return  # a bad SLA event of the timeline is reported there
    for index, (raw, ours) in enumerate(zip(raw_events, history, strict=True)):
        parsed = _sla_event(check, raw, f"events[{index}]")
        if parsed is not None and parsed[0] != ours:
            check.fail(f"events[{index}]", f"differs from the timeline's SLA event {paths[index]}")


def _source_chain(check: Check, source_id: object, rows: list[Mapping[str, Any]]) -> None:
    """A timeline that carries its hashes must still verify: an export edited afterwards is refused."""
    if not all(isinstance(r.get("hash"), str) and isinstance(r.get("prev_hash"), str) for r in rows):
        return

    class Row:
        def __init__(self, raw: Mapping[str, Any]) -> None:
            self.raw = raw
            self.seq = raw["seq"] if isinstance(raw.get("seq"), int) else 0
            self.hash, self.prev_hash = raw["hash"], raw["prev_hash"]

    def content(row: Row) -> dict[str, Any]:
        raw, actor = row.raw, row.raw.get("actor")
        return {
            "case": source_id,
            "seq": row.seq,
            "at": raw.get("at"),
            "actor": actor.get("id") if isinstance(actor, Mapping) else None,
            "actor_role": raw.get("actor_role"),
            "channel": raw.get("channel"),
            "kind": raw.get("kind"),
            "internal": raw.get("internal"),
            "data": json.loads(canonical(raw.get("data") or {})),
            "sla": raw.get("sla"),
        }

    link = verify_events("export", [Row(r) for r in rows], content)
    if link is not None:
        index = min(max(link.seq - 1, 0), len(rows) - 1)
        check.fail(
            f"timeline[{index}].hash",
            f"{link.problem.value}: {link.detail}. The export was changed after it was written (or internal "
            "events were left out of it); remove prev_hash and hash from its timeline to import it unverified",
        )


def comments_of(
    check: Check, data: Mapping[str, Any], submitted: datetime | None
) -> list[tuple[Any, User | None, dict[str, Any] | None, str, bool, datetime]]:
    raw = data.get("comments", [])
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        check.fail("comments", f"expected a list of at most {MAX_ENTRIES} comments")
        return []
    out: list[tuple[Any, User | None, dict[str, Any] | None, str, bool, datetime]] = []
    seen: set[Any] = set()
    for index, item in enumerate(raw):
        path = f"comments[{index}]"
        if not isinstance(item, Mapping):
            check.fail(path, "expected an object {id, author, body, internal, created_at}")
            continue
        ref = item.get("id")
        if ref is not None and (not isinstance(ref, int | str) or isinstance(ref, bool) or ref in seen):
            check.fail(f"{path}.id", "a number or text, unique among the comments")
            ref = None
        seen.add(ref)
        body = item.get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 50_000:
            check.fail(f"{path}.body", "required: text of at most 50000 characters")
        internal = item.get("internal", False)
        if not isinstance(internal, bool):
            check.fail(f"{path}.internal", "true or false")
        created = check.instant(item.get("created_at"), f"{path}.created_at")
        if created is not None and submitted is not None and created < submitted:
            check.fail(f"{path}.created_at", "before the case was submitted")
        author, original = check.person(item.get("author"), f"{path}.author")
        if isinstance(body, str) and isinstance(internal, bool) and created is not None:
            out.append((ref, author, original if author is None else None, body.strip(), internal, created))
    return out


def with_comment_events(
    entries: list[Entry], comments: list[tuple[Any, User | None, dict[str, Any] | None, str, bool, datetime]]
) -> list[Entry]:
    """Every imported comment is on the timeline: a comment no event records gets its own event, in
    time order (after the events of the same instant); a fallback author's name is kept."""
    refs = {e.comment_ref for e in entries if e.comment_ref is not None}
    by_ref = {ref: (author, original) for ref, author, original, _b, _i, _c in comments if ref is not None}
    for entry in entries:
        if entry.comment_ref in by_ref and by_ref[entry.comment_ref][0] is None:
            entry.data["imported"] = {**entry.data["imported"], "comment_author": by_ref[entry.comment_ref][1]}
    merged = list(entries)
    for ref, author, original, body, internal, created in comments:
        if ref is not None and ref in refs:
            continue
        imported: dict[str, Any] = {"comment_author": original} if author is None else {}
        entry = Entry(
            created,
            "internal_note_added" if internal else "comment_added",
            author,
            internal,
            {"body": body, "imported": imported},
            None,
            ref,
        )
        position = next((i for i, e in enumerate(merged) if e.at > created), len(merged))
        merged.insert(position, entry)
    return merged
