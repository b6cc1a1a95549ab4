"""Keyset (cursor) pagination over any ordering of (column, descending) pairs ending in a unique
column. The cursor is an opaque, URL-safe token holding the last row's values, so pages stay
stable while rows are added, and every page costs one indexed query whatever its depth."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet

from caredesk.domain.errors import ValidationFailed

MAX_PAGE = 100


@dataclass(frozen=True)
class Column:
    name: str
    descending: bool = False
    nullable: bool = False  # nulls sort last in either direction


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed("invalid cursor", errors={"cursor": "not a cursor this list gave out"})


def _decode(token: str, columns: list[Column]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError
        if not all(v is None or isinstance(v, (str, int, float)) for v in values):
            raise ValueError
        return values
    except (ValueError, TypeError):
        raise _invalid_cursor() from None


def keyset_page(
    qs: QuerySet[Any], columns: list[Column], *, cursor: str | None, page_size: int
) -> tuple[list[Any], str | None]:
    if not 1 <= page_size <= MAX_PAGE:
        raise ValidationFailed("bad page size", errors={"page_size": f"between 1 and {MAX_PAGE}"})
    # NULLS LAST as an ordering modifier, not a CASE expression: PostgreSQL's default for ascending
    # b-tree indexes, so ``ORDER BY next_due_at, id LIMIT n`` walks an index instead of sorting
    # every open case (200 ms at 100,000 cases with the CASE, under 1 ms with the index).
    nulls = {"nulls_last": True}
    order = [(F(c.name).desc if c.descending else F(c.name).asc)(**(nulls if c.nullable else {})) for c in columns]
    qs = qs.order_by(*order)
    if cursor:
        values = _decode(cursor, columns)
        try:
            # A forged cursor's values of the wrong type fail here, while the lookups are prepared
            # (before any SQL runs): the client's error, not a 500.
            qs = qs.filter(_after(columns, values))
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise _invalid_cursor() from None
    rows = list(qs[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = _encode([getattr(rows[-1], c.name) for c in columns]) if more and rows else None
    return rows, next_cursor


def _after(columns: list[Column], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the ordering (lexicographic over the columns)."""
    condition = Q(pk__in=[])
    equal = Q()
    for col, value in zip(columns, values, strict=True):
        if col.nullable and value is None:
            # Nulls come last: after a null only rows with a null here and a later tail.
            equal &= Q(**{f"{col.name}__isnull": True})
            continue
        op = "lt" if col.descending else "gt"
        step = Q(**{f"{col.name}__{op}": value})
        if col.nullable:
            step |= Q(**{f"{col.name}__isnull": True})
        condition |= equal & step
        equal &= Q(**{col.name: value})
    return condition
