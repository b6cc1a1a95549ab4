"""Input checks and message wording shared by the maintenance write paths."""

from __future__ import annotations

from datetime import UTC, datetime

from caredesk.domain.errors import PermissionDenied
from caredesk.domain.maintenance.local import local_interval
from caredesk.domain.tenancy.roles import is_care
from caredesk.tenancy.models import User

REASON_MAX = 2000


def iso(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def text_field(value: str, field: str, errors: dict[str, str], *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = "required"
    elif len(text) > REASON_MAX:
        errors[field] = f"at most {REASON_MAX} characters"
    return text


def aware(value: datetime, field: str, errors: dict[str, str]) -> datetime | None:
    if value.tzinfo is None or value.utcoffset() is None:
        errors[field] = "must carry a UTC offset (e.g. 2027-01-05T05:00:00Z)"
        return None
    return value


def care_only(actor: User, what: str) -> None:
    if not is_care(actor.role_enum):
        raise PermissionDenied(f"Only Customer Care {what}.")


def when(start: datetime, end: datetime, zone: str) -> str:
    utc = local_interval(start, end, "UTC").label()
    return utc if zone == "UTC" else f"{local_interval(start, end, zone).label()}; {utc}"
