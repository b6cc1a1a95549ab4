"""On PostgreSQL the article search is served by the GIN index of migration 0002: the index
expression must stay the SQL that the search filters on, or the planner silently stops using it."""

from __future__ import annotations

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from caredesk.knowledge.models import Article
from caredesk.knowledge.search import CONFIG, _document

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search only")
def test_postgresql_search_uses_the_gin_index() -> None:
    qs = Article.objects.annotate(document=_document()).filter(document=SearchQuery("reset", config=CONFIG))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "knowledge_article_document" in plan, plan
