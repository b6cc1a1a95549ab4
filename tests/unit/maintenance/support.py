"""Shared helpers of the maintenance unit tests: the shipped policy's rules and terse instants."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from caredesk.domain.maintenance import Occurrence, WindowRule, parse_maintenance_rows

REPO = Path(__file__).resolve().parents[3]
POLICY = REPO / "caredesk" / "policies" / "cloud-resellers-v4.toml"
SERVICES = ("outbound_engagement", "premier_edition", "pureengage_cloud", "social_analytics")


def shipped_rules(service: str) -> tuple[WindowRule, ...]:
    """The rules of ``service`` exactly as the shipped policy file states them."""
    services = tomllib.loads(POLICY.read_text(encoding="utf-8"))["services"]
    return parse_maintenance_rows(service, services[service]["maintenance"])


def z(text: str) -> datetime:
    """``"2027-01-12 05:00"`` (UTC) -> aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def spans(found: list[Occurrence]) -> list[tuple[str, str]]:
    """Occurrences as ``("2027-01-12 05:00", "2027-01-12 08:00")`` UTC pairs."""
    return [(f"{o.start:%Y-%m-%d %H:%M}", f"{o.end:%Y-%m-%d %H:%M}") for o in found]
