"""The GIN index behind the library's full-text search (selectors.library_search).

PostgreSQL only: SQLite has no GIN indexes and no tsvector, and searches with
icontains instead. Not in the models' Meta.indexes for the same reason, so the
migration state does not know it; this migration creates and drops it.
"""

from django.db import migrations

INDEX = "postmortem_search_gin_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("postmortems", "Postmortem")._meta.db_table
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (search_vector)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
