"""Small template helpers of the portal: dictionary lookup, element ids for field names, machine
instants for the countdown script, and the error slot every form field has."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """``{{ errors|get:"level1.help_consulted" }}``: keys with dots, or ints, that ``.`` cannot reach."""
    if isinstance(mapping, Mapping) or hasattr(mapping, "get"):
        value = mapping.get(key)
        if value is None and isinstance(key, str) and key.isdigit():
            value = mapping.get(int(key))
        return value if value is not None else ""
    return ""


@register.filter
def errid(name: str) -> str:
    """The id of a field's error slot: ``err-`` and the name with dots as dashes."""
    return "err-" + str(name).replace(".", "-").replace("_", "-")


@register.filter
def fieldid(name: str) -> str:
    return "f-" + str(name).replace(".", "-").replace("_", "-")


@register.filter
def iso(value: datetime | None) -> str:
    """An instant as ISO 8601 UTC for ``data-due`` (the countdown script parses it)."""
    if not value:
        return ""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@register.filter
def short(label: str) -> str:
    """A service's label without its parenthesis: "Premier Edition (including Self-Service)" ->
    "Premier Edition" (for the calendar's narrow cells)."""
    return str(label).split(" (", 1)[0]


@register.filter
def words(value: Any) -> str:
    """``awaiting_reseller`` -> ``awaiting reseller`` (for codes, never for people's text)."""
    return str(value).replace("_", " ")


ROLE_LABELS = {
    "vendor_admin": "vendor admin",
    "care_agent": "Customer Care agent",
    "care_manager": "Customer Care manager",
    "csm": "Customer Success Manager",
    "designated_contact": "Designated Contact",
    "reseller_staff": "reseller staff",
}


@register.filter
def role_label(role: str) -> str:
    return ROLE_LABELS.get(str(role), str(role).replace("_", " "))


@register.simple_tag
def field_error(errors: Mapping[str, str], name: str, oob: bool = False) -> str:
    """The error slot of field ``name``: always present (empty when fine), so htmx can fill it."""
    message = errors.get(name, "") if errors else ""
    return format_html(
        '<p class="field-error" id="{}"{}{}>{}</p>',
        errid(name),
        format_html(' hx-swap-oob="{}"', "true") if oob else "",
        format_html(' role="{}"', "alert") if message else "",
        message,
    )
