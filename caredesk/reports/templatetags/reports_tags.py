"""Formatting for the report pages: target lookup by kind, shares as percentages, hours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def target(row: Any, kind: str) -> Any:
    """``{{ group|target:kind }}``: the TargetStats (or what-if side) of ``kind``."""
    targets = getattr(row, "targets", None)
    if targets is None:
        targets = getattr(row, "kinds", None)
    if isinstance(targets, Mapping):
        return targets.get(kind)
    return None


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, Mapping):
        return mapping.get(key, "")
    return ""


@register.filter
def percent(share: float | None) -> str:
    if share is None:
        return "\u2013"  # en dash
    return f"{share * 100:.1f}".removesuffix(".0") + " %"


@register.filter
def hours(value: float | None) -> str:
    if value is None:
        return "\u2013"  # en dash
    return f"{value:.2f}".rstrip("0").rstrip(".") + " h"


@register.filter
def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


@register.filter
def words(value: Any) -> str:
    return str(value).replace("_", " ")
