"""Model instances from the columns of a hand-written SELECT, exactly as the ORM would build them.

For the few hot reads that gather several tables' rows in one statement (a case's intake, the
bearer-token look-up; docs/performance.md, "Creation"): the statement is written once, and the
instances come back through Django's own converters (the backend's and each field's, so JSON,
dates and booleans read the same on PostgreSQL and SQLite) and ``Model.from_db``. Columns not
selected are deferred, as with ``QuerySet.only``: reading one later costs a query, never a wrong
value. No rule lives here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Field, Model

Converter = Callable[[Any, Any, Any], Any]


class Columns[M: Model]:
    """Some concrete columns of ``model`` under a table alias: ``sql`` for the SELECT list, and
    ``build`` to turn those values (in the same order) into an instance."""

    def __init__(self, model: type[M], alias: str, attnames: Sequence[str] | None = None) -> None:
        wanted = set(attnames) if attnames is not None else None
        fields: list[Field[Any, Any]] = [
            f for f in model._meta.concrete_fields if wanted is None or f.attname in wanted
        ]
        if wanted is not None and len(fields) != len(wanted):
            unknown = wanted - {f.attname for f in fields}
            raise ValueError(f"{model.__name__} has no concrete field {sorted(unknown)}")
        self.model = model
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in fields)
        self._alias = alias
        self._converters: dict[str, list[tuple[int, list[Converter], Any]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def _for(self, using: str) -> list[tuple[int, list[Converter], Any]]:
        """The converters the ORM would apply to each column on this database (computed once)."""
        found = self._converters.get(using)
        if found is None:
            connection = connections[using]
            found = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self._alias)
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convs:
                    found.append((i, convs, col))
            self._converters[using] = found
        return found

    def build(self, values: Sequence[Any], using: str = "default") -> M:
        """The instance of these columns' ``values`` as read from database ``using``."""
        row = list(values)
        if len(row) != len(self.fields):
            raise ValueError(f"{len(self.fields)} columns of {self.model.__name__} expected, got {len(row)}")
        connection = connections[using]
        for i, convs, col in self._for(using):
            value = row[i]
            for convert in convs:
                value = convert(value, col, connection)
            row[i] = value
        return self.model.from_db(using, self.attnames, row)
