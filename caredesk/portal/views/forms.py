"""Turning posted form fields into the payloads the services take. Only types are converted here;
every rule (required, ranges, choices) is the service's and the domain's. A value that does not
convert is passed on as it came (or as ``None`` when empty), so the domain reports it in its own
words, one message per field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.http import QueryDict
from django.utils import timezone

from caredesk.domain.cases.intake import ADDITIONAL_DETAIL_KEYS, LEVEL1_CHECKLIST

INTAKE_FIELDS = (
    "kind",
    "account_id",
    "department",
    "service",
    "severity",
    "title",
    "users_affected",
    "frequency",
    "first_observed_at",
    "business_impact",
    "steps_to_reproduce",
    "local_contact",
    "impacted_working_hours",
    "impacted_timezone",
)


def to_int(value: str | None) -> int | str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return text


def to_id(value: str | None) -> int | None:
    """An id from a select or hidden input; anything else is no id."""
    number = to_int(value)
    return number if isinstance(number, int) else None


def to_bool(value: str | None) -> bool | None:
    """A yes/no radio pair: ``"yes"`` or ``"no"``; unanswered is ``None``."""
    if value == "yes":
        return True
    if value == "no":
        return False
    return None


def local_datetime(value: str | None, zone: ZoneInfo | None = None) -> datetime | str | None:
    """A ``datetime-local`` input (``2026-11-02T08:30``), read in ``zone`` (default: the zone
    activated for the request, the user's). An ISO text with an offset keeps its offset."""
    if value is None or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        return parsed
    tz = zone or timezone.get_current_timezone()
    return parsed.replace(tzinfo=tz)


def datetime_local_value(value: datetime | None) -> str:
    """The ``value`` of a ``datetime-local`` input for an instant, in the request's time zone."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def intake_payload(post: QueryDict) -> dict[str, Any]:
    """The ``case_open`` payload of the open-a-case form (and of phone intake)."""
    payload: dict[str, Any] = {}
    for name in INTAKE_FIELDS:
        raw = post.get(name)
        if name in ("account_id", "severity", "users_affected"):
            payload[name] = to_int(raw)
        elif name == "first_observed_at":
            payload[name] = local_datetime(raw)
        elif raw is not None:
            payload[name] = raw
    if "kind" not in payload or not payload["kind"]:
        payload["kind"] = "incident"
    payload["level1"] = {item: to_bool(post.get(f"level1.{item}")) for item in LEVEL1_CHECKLIST}
    third_party = to_bool(post.get("issue_in_third_party_application"))
    if third_party is not None:
        payload["issue_in_third_party_application"] = third_party
    payload["additional_details"] = {
        key: post.get(f"details.{key}", "") for key in ADDITIONAL_DETAIL_KEYS if post.get(f"details.{key}", "").strip()
    }
    return payload


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Domain field paths as the form's input names (``additional_details.x`` is ``details.x``)."""
    out = {}
    for path, message in errors.items():
        name = path.replace("additional_details.", "details.", 1) if path.startswith("additional_details.") else path
        out[name] = message
    return out
