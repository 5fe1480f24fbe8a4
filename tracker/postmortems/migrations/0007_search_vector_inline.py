"""The library's search reads each match's stored vector in the row itself.

A postmortem's row is its whole write-up, and its vector (about a kilobyte)
barely compresses, so PostgreSQL's default storage moved every vector out of
line: ranking a common word's matches then fetched each one from the TOAST
table. STORAGE MAIN keeps the vector in the row and lets the write-up's text
(which compresses well) move out instead; the UPDATE rewrites the vectors
already stored. The library searches published postmortems only, from a GIN
index of theirs alone (the whole table's index, from migration 0002, serves
the global search, drafts included). PostgreSQL only, as 0002.
"""

from django.db import migrations

INDEX = "postmortem_published_search_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("postmortems", "Postmortem")._meta.db_table
    schema_editor.execute(
        f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE MAIN"
    )
    # A new value of each vector (concatenating nothing), stored the new way.
    schema_editor.execute(
        f"UPDATE {table} SET search_vector = search_vector || ''::tsvector "
        "WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (search_vector) "
        "WHERE status = 'published'"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("postmortems", "Postmortem")._meta.db_table
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        f"ALTER TABLE {table} ALTER COLUMN search_vector SET STORAGE EXTENDED"
    )


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0006_followup_facts")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
