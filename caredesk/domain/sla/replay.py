"""Replay: a case history (JSON) through the target clocks, for audits, imports and what-if.

Concept. ``replay`` is the one function that turns a case's SLA events into its targets; the
application stores exactly what it returns (issue 4, "Live clocks"), and ``caredesk sla replay``
prints it. ``replay_request`` is the JSON face used by that tool: one request object in, one
answer object out.

Request (one JSON object)::

    {"id": any,                          echoed back unchanged (null when absent)
     "package": "care_for_cloud",        required unless the caller overrides it
     "calendar": CAL,                    the End User Account's business calendar (required)
     "as_of": INSTANT,                   optional; default: the last event's instant
     "events": [EVENT, ...]}             required, in time order (equal instants keep their order)

    EVENT = {"at": INSTANT, "type": T, ...}
      T = "submitted" | "severity_changed"           both need "severity": an integer the policy defines
        | "responded" | "awaiting_reseller" | "resumed" | "restored" | "reopened"
        | "resolved"                                  optional "code": a string; "third_party" cancels
    INSTANT = ISO 8601 with a UTC offset ("2026-03-02T09:00:00-05:00" or "...Z").

Every event needs its own ``at``: an instant is never inferred from its neighbours. Other keys (an
exported history's actor, comment, channel ...) are ignored, so an export replays as it is.

Answer: ``{"id", "severity", "targets": {"response"|"restoration"|"resolution": {"state", "due",
"met_at"}}, "post_mortem_due"}`` with instants in UTC ``Z`` to the second (due instants rounded
up); see ``ClockState.to_json``. A request that cannot be answered raises ``ValidationFailed``
(or ``InvalidCalendar``) whose message names the field, e.g. ``events[3].at: out of time order``.

Invariants: pure (no clock, no I/O); the answer depends only on the request, the policy and the
calendar; the same history gives the same answer in the tool and in the application.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NoReturn

from caredesk.domain.errors import DomainError, ValidationFailed
from caredesk.domain.sla.calendar import BusinessCalendar
from caredesk.domain.sla.clocks import ClockState, EventType, SlaEvent, fold_clocks
from caredesk.domain.sla.policy import Policy

__all__ = [
    "CalendarCache",
    "events_from_json",
    "parse_instant",
    "replay",
    "replay_request",
]

_EVENT_TYPES = ", ".join(t.value for t in EventType)
_INSTANT_HINT = "an ISO 8601 instant with a UTC offset, such as 2026-03-02T09:00:00-05:00"


def replay(
    events: Sequence[SlaEvent],
    *,
    package: str,
    policy: Policy,
    calendar: BusinessCalendar,
    as_of: datetime | None = None,
) -> ClockState:
    """The clocks of a case with ``events`` under ``package`` of ``policy``, as of ``as_of``.

    ``as_of`` defaults to the last event's instant. Raises ``ValidationFailed`` for an unknown
    package (field ``package``) or an impossible history (field ``events[i]``).
    """
    return fold_clocks(events, policy=policy, package=policy.package(package), calendar=calendar, as_of=as_of)


def parse_instant(value: object, field: str) -> datetime:
    """An aware datetime from an ISO 8601 string with an offset; ``ValidationFailed`` otherwise."""
    if not isinstance(value, str):
        problem = "required" if value is None else f"expected a string, got {json.dumps(value)}"
        raise ValidationFailed(f"{field}: {problem}; {_INSTANT_HINT}", errors={field: problem})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        problem = f"{value!r} is not {_INSTANT_HINT}"
        raise ValidationFailed(f"{field}: {problem}", errors={field: problem}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        problem = f"{value!r} has no UTC offset; expected {_INSTANT_HINT}"
        raise ValidationFailed(f"{field}: {problem}", errors={field: problem})
    return parsed


def events_from_json(raw: object, field: str = "events") -> list[SlaEvent]:
    """Parse the ``events`` list of a request; ``ValidationFailed`` naming the first bad field."""
    if not isinstance(raw, list):
        problem = "required" if raw is None else "expected a list of events"
        raise ValidationFailed(f"{field}: {problem}", errors={field: problem})
    events: list[SlaEvent] = []
    for index, item in enumerate(raw):
        path = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            _fail(path, "expected an object {at, type, ...}")
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in EventType._value2member_map_:
            what = "required" if kind is None else f"unknown event type {kind!r}"
            _fail(f"{path}.type", f"{what}; expected one of {_EVENT_TYPES}")
        event_type = EventType(kind)
        if "at" not in item:
            _fail(f"{path}.at", f"required: every event needs its instant ({_INSTANT_HINT})")
        at = parse_instant(item["at"], f"{path}.at")
        severity: int | None = None
        code: str | None = None
        if event_type in (EventType.SUBMITTED, EventType.SEVERITY_CHANGED):
            value = item.get("severity")
            if isinstance(value, bool) or not isinstance(value, int):
                what = "required" if value is None else f"expected an integer, got {json.dumps(value)}"
                _fail(f"{path}.severity", f"{what} (a {kind} event needs the severity)")
            severity = value
        if event_type is EventType.RESOLVED:
            value = item.get("code")
            if value is not None and not isinstance(value, str):
                _fail(f"{path}.code", f"expected a resolution code string, got {json.dumps(value)}")
            code = value
        events.append(SlaEvent(event_type, at, severity, code))
    return events


CalendarCache = dict[str, BusinessCalendar | DomainError]
CALENDAR_CACHE_SIZE = 4096
"""A cache that reaches this many calendars is emptied (a bound on memory, not on speed)."""


def replay_request(
    request: object,
    *,
    policy: Policy,
    package: str | None = None,
    calendars: CalendarCache | None = None,
    calendar_from_dict: Callable[[Mapping[str, Any]], BusinessCalendar] = BusinessCalendar.from_dict,
) -> dict[str, object]:
    """Answer one replay request (see the module docstring); ``package`` overrides the request's.

    ``calendars`` caches built calendars (and calendar errors) by their canonical JSON text, so a
    file of many cases of few accounts builds each calendar once.
    """
    if not isinstance(request, Mapping):
        raise ValidationFailed(
            "expected a JSON object {id, package, calendar, events, as_of}",
            errors={"": "expected a JSON object"},
        )
    answer: dict[str, object] = {"id": request.get("id")}
    if package is None:
        package = request.get("package")
        if not isinstance(package, str):
            what = "required" if package is None else f"expected a package name, got {json.dumps(package)}"
            _fail("package", what)
    policy.package(package)  # an unknown package is named before anything else is checked
    cal = request.get("calendar")
    if not isinstance(cal, Mapping):
        _fail(
            "calendar",
            "required: the account's business calendar as an object" if cal is None else "expected an object",
        )
    calendar = _calendar(cal, calendars, calendar_from_dict)
    events = events_from_json(request.get("events"))
    as_of = parse_instant(request["as_of"], "as_of") if request.get("as_of") is not None else None
    state = replay(events, package=package, policy=policy, calendar=calendar, as_of=as_of)
    answer.update(state.to_json())
    return answer


def _calendar(
    cal: Mapping[str, Any],
    cache: CalendarCache | None,
    build: Callable[[Mapping[str, Any]], BusinessCalendar],
) -> BusinessCalendar:
    if cache is None:
        return build(cal)
    key = json.dumps(cal, sort_keys=True, separators=(",", ":"))
    found = cache.get(key)
    if found is None:
        try:
            found = build(cal)
        except DomainError as exc:
            found = exc
        if len(cache) >= CALENDAR_CACHE_SIZE:
            cache.clear()
        cache[key] = found
    if isinstance(found, DomainError):
        raise found
    return found


def _fail(field: str, problem: str) -> NoReturn:
    raise ValidationFailed(f"{field}: {problem}", errors={field: problem})
