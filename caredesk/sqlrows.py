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


class Insert[M: Model]:
    """``INSERT INTO <model's table> (every concrete column but the id) VALUES (...), ... RETURNING
    id`` for new instances of ``model``, written once per number of rows: each value prepared as
    ``Model.save`` and ``bulk_create`` prepare it (``pre_save``, then ``get_db_prep_save``: JSON,
    aware datetimes in UTC, foreign keys' ids), each instance given its id and marked saved. For
    the few rows every case creation writes, where the ORM's compiling of the same INSERT cost more
    CPU than the rest of the write. For models without save() overrides or signal receivers."""

    def __init__(self, model: type[M]) -> None:
        pk = model._meta.pk
        assert pk is not None
        self.model = model
        self.pk = pk
        self.fields: list[Field[Any, Any]] = [f for f in model._meta.concrete_fields if f is not pk]
        columns = ", ".join(f'"{f.column}"' for f in self.fields)
        self._head = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES '  # noqa: S608 -- our own table
        self._row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self._sql: dict[int, str] = {}

    def sql(self, rows: int) -> str:
        found = self._sql.get(rows)
        if found is None:
            found = self._head + ", ".join([self._row] * rows) + f' RETURNING "{self.pk.column}"'
            self._sql[rows] = found
        return found

    def run(self, objs: Sequence[M], using: str = "default") -> list[M]:
        """Insert ``objs`` (new instances, ids unset) in one statement and give each its id."""
        if not objs:
            return []
        connection = connections[using]
        if not connection.features.can_return_rows_from_bulk_insert:
            return self.model._default_manager.db_manager(using).bulk_create(objs)  # SQLite < 3.35
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in self.fields]
        with connection.cursor() as cursor:
            cursor.execute(self.sql(len(objs)), params)
            ids = [row[0] for row in cursor.fetchall()]
        col = self.pk.get_col(self.model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        for obj, value in zip(objs, ids, strict=True):
            for convert in converters:
                value = convert(value, col, connection)
            setattr(obj, self.pk.attname, value)
            obj._state.adding = False
            obj._state.db = using
        return list(objs)
