"""A GIN index over the articles' English text vector, on PostgreSQL only.

The expression is exactly the SQL that ``caredesk.knowledge.search`` filters on
(``SearchVector("title", "body_md", config="english")``), so the planner can use the index. On
SQLite this migration does nothing: search there is a simple substring match.
"""

from django.db import migrations

INDEX = "knowledge_article_document"
CREATE = f"""
CREATE INDEX IF NOT EXISTS {INDEX} ON knowledge_article USING GIN (
    to_tsvector('english'::regconfig, COALESCE("title", '') || ' ' || COALESCE("body_md", ''))
)
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_fts")  # an earlier draft's expression
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
