"""Bulk row writer for bench/seed.py: COPY on PostgreSQL, executemany on SQLite.

Rows are dictionaries keyed by model attribute name (``case_id``, not ``case``); every concrete
column the dictionary leaves out gets the field's default, so a column added to a model later does
not break the generator. Ids are reserved in blocks from the table's own sequence, so rows written
here and rows written by the application never collide.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from typing import Any

from django.db import connection, models, transaction

_MISSING = object()
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class JsonText(str):
    """A JSON column value serialised once by the caller (e.g. a calendar shared by many cases)."""

    __slots__ = ()


def as_json(value: Any) -> JsonText:
    return JsonText(_ENCODER.encode(value))


class Sink:
    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self._plans: dict[type[models.Model], tuple[list[str], dict[str, Any], list[int], list[int]]] = {}

    # ------------------------------------------------------------------ ids

    def reserve(self, model: type[models.Model], n: int) -> int:
        """The first of ``n`` consecutive fresh ids of ``model``'s table."""
        table = model._meta.db_table
        if n <= 0:
            return 0
        with connection.cursor() as cur:
            if self.postgres:
                # The advisory lock makes nextval + setval one step for every concurrent seeder.
                cur.execute("SELECT pg_advisory_xact_lock(7250001)")
                cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                seq = cur.fetchone()[0]
                cur.execute(
                    f'SELECT GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"))',
                    [seq],
                )
                first = int(cur.fetchone()[0])
                cur.execute("SELECT setval(%s, %s)", [seq, first + n - 1])
            else:
                cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
                first = int(cur.fetchone()[0])
        return first

    # ------------------------------------------------------------------ rows

    def _plan(self, model: type[models.Model]) -> tuple[list[str], dict[str, Any], list[int], list[int]]:
        plan = self._plans.get(model)
        if plan is None:
            fields = list(model._meta.concrete_fields)
            names = [f.attname for f in fields]
            defaults = {f.attname: _default(f) for f in fields}
            json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
            time_at = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
            plan = (names, defaults, json_at, [] if self.postgres else time_at)
            self._plans[model] = plan
        return plan

    def write(self, model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
        names, defaults, json_at, time_at = self._plan(model)
        columns = [f.column for f in model._meta.concrete_fields]
        table = model._meta.db_table
        getter = operator.itemgetter(*names)
        dumps = _ENCODER.encode

        def tuples() -> Iterable[list[Any]]:
            for row in rows:
                values = list(getter(defaults | row))  # C-level: no Python loop over columns
                if _MISSING in values:
                    missing = names[values.index(_MISSING)]
                    raise KeyError(f"{table}.{missing} has no default; the generator must set it")
                for i in json_at:
                    value = values[i]
                    if value is not None and not isinstance(value, JsonText):
                        values[i] = dumps(value)
                for i in time_at:
                    if values[i] is not None:
                        values[i] = connection.ops.adapt_datetimefield_value(values[i])
                yield values

        count = 0
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                    for values in tuples():
                        copy.write_row(values)
                        count += 1
            else:
                marks = ", ".join(["%s"] * len(columns))
                batch = list(tuples())
                cursor.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', batch)
                count = len(batch)
        self.counts[table] = self.counts.get(table, 0) + count
        return count

    def atomic(self) -> Any:
        return transaction.atomic()


def _default(f: Any) -> Any:
    value = f.get_default()  # "" for text columns without a default, None for the others
    return _MISSING if value is None and not f.null and not f.has_default() else value
