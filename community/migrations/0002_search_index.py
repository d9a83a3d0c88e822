"""PostgreSQL only: the GIN index behind full-text search. SQLite has no such index type."""

from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS post_search_vector_gin ON community_post USING GIN (search_vector)"
DROP = "DROP INDEX IF EXISTS post_search_vector_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
