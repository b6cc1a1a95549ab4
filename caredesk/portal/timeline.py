"""Timeline events (from ``timeline_for_actor`` and ``request_events``) as lines a person reads.

The event's own data is shown, never interpreted: a ``[before, after]`` pair reads "before →
after", people are named when the viewer may see them (through ``user_list_for_actor``, so a
reseller never learns a Customer Care agent's name from an id) and text is left for the template
to escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caredesk.tenancy import selectors as tenancy
from caredesk.tenancy.models import User

EVENT_LABELS = {
    "case_opened": "Case opened",
    "acknowledged": "Acknowledged by Customer Care",
    "responded": "Customer Care responded",
    "comment_added": "Comment",
    "internal_note_added": "Internal note",
    "awaiting_reseller": "Awaiting the reseller",
    "resumed": "Clocks resumed",
    "restored": "Service restored",
    "resolved": "Resolved",
    "reopened": "Reopened",
    "closed": "Closed",
    "assigned": "Assignment changed",
    "severity_changed": "Severity changed",
    "raised_to_critical": "Raised to Critical after a telephone call",
    "severity_proposed": "Severity proposed",
    "severity_decided": "Severity proposal decided",
    "attachment_added": "Attachment added",
    "status_changed": "Status changed",
    "csm_request_submitted": "MAC/D request submitted",
    "feature_request_submitted": "Feature request submitted",
}
FIELD_LABELS = {
    "status": "state",
    "body": "text",
    "message": "message",
    "summary": "summary",
    "reason": "reason",
    "severity": "severity",
    "code": "resolution code",
    "assignee": "assignee",
    "available_contact": "available contact",
    "phone_call_at": "telephone call at",
    "notes": "notes",
    "accepted": "accepted",
    "final": "manager's final decision",
    "note": "note",
}
PEOPLE_FIELDS = {"assignee", "available_contact", "opened_by", "csm"}
HIDDEN_FIELDS = {"comment", "proposal", "with", "policy"}


@dataclass(frozen=True)
class Row:
    seq: int
    at: datetime
    kind: str
    label: str
    actor: str
    actor_role: str
    channel: str
    internal: bool
    details: list[tuple[str, str]]
    hash: str


def _ids(events: Iterable[Mapping[str, Any]]) -> set[int]:
    found: set[int] = set()
    for event in events:
        for key in PEOPLE_FIELDS:
            value = event.get("data", {}).get(key)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int):
                    found.add(item)
    return found


WORD_FIELDS = {"status", "code"}


def _show(key: str, value: Any, names: Mapping[int, str]) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_show(key, value[0], names)} → {_show(key, value[1], names)}"
    if key in PEOPLE_FIELDS:
        if value is None:
            return "nobody"
        return names.get(value, "Customer Care") if isinstance(value, int) else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key in WORD_FIELDS and isinstance(value, str):
        return value.replace("_", " ")
    return str(value)


def _unchanged(key: str, value: Any) -> bool:
    """A ``[before, after]`` state pair that did not change (a comment on an open case)."""
    return key == "status" and isinstance(value, list) and len(value) == 2 and value[0] == value[1]


def timeline_rows(events: list[dict[str, Any]], *, actor: User) -> list[Row]:
    ids = _ids(events)
    names = dict(tenancy.user_list_for_actor(actor=actor).filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    rows = []
    for event in events:
        data = event.get("data") or {}
        details = [
            (FIELD_LABELS.get(key, key.replace("_", " ")), _show(key, value, names))
            for key, value in data.items()
            if key not in HIDDEN_FIELDS and value not in ("", None, [], {}) and not _unchanged(key, value)
        ]
        kind = str(event.get("kind", ""))
        rows.append(
            Row(
                seq=int(event.get("seq", 0)),
                at=event["at"],
                kind=kind,
                label=EVENT_LABELS.get(kind, kind.replace("_", " ").capitalize()),
                actor=str(event.get("actor") or "system"),
                actor_role=str(event.get("actor_role", "")).replace("_", " "),
                channel=str(event.get("channel", "")),
                internal=bool(event.get("internal")),
                details=details,
                hash=str(event.get("hash", ""))[:12],
            )
        )
    return rows
