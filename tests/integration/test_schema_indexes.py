"""No index of caredesk's own tables repeats another one (issue 8: every write pays for every index).

Django gives each foreign key an index of its own; where the table also has an index or a unique
constraint that *starts* with that column, the single-column index serves no query the longer one
does not (a B-tree is searchable by any leading prefix of its columns), and it costs one more entry
to write on every insert and every non-HOT update: on the case, its targets and timeline, the
outbox, for every case opened and every SLA alert the sweep records. Such a foreign key is declared
``db_index=False``. Checked on PostgreSQL's catalog after the migrations, so an index added by a
migration is judged too; an index with another operator class (``varchar_pattern_ops`` for LIKE), a
partial index or another access method is a different index and not compared."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

REDUNDANT = """
WITH ix AS (
    SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name,
           string_to_array(i.indkey::text, ' ')::int[] AS cols,
           string_to_array(i.indclass::text, ' ')::oid[] AS classes,
           i.indisunique AS is_unique, i.indpred IS NULL AS is_full, am.amname AS method
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
    JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE ns.nspname = current_schema()
)
SELECT a.tbl, a.name, b.name
FROM ix a JOIN ix b ON a.tbl = b.tbl AND a.name <> b.name
WHERE NOT a.is_unique AND a.is_full AND b.is_full AND a.method = 'btree' AND b.method = 'btree'
  AND cardinality(a.cols) <= cardinality(b.cols)
  AND a.cols = b.cols[1:cardinality(a.cols)] AND a.classes = b.classes[1:cardinality(a.classes)]
ORDER BY 1, 2
"""


def _own_tables() -> set[str]:
    """Tables of caredesk's models (not the many-to-many tables Django's auth mixin creates)."""
    return {model._meta.db_table for model in apps.get_models() if model.__module__.startswith("caredesk.")}


def test_no_index_of_a_caredesk_table_is_a_leading_prefix_of_another() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's catalog; the PostgreSQL pass of .ci/run runs it")
    with connection.cursor() as cursor:
        cursor.execute(REDUNDANT)
        rows = cursor.fetchall()
    own = _own_tables()
    assert own, "no caredesk model found"
    redundant = [f"{table}: {name} repeats the start of {longer}" for table, name, longer in rows if table in own]
    assert redundant == []
