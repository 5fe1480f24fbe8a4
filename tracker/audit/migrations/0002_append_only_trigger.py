"""On PostgreSQL the database itself refuses to change or delete audit events:
a trigger raises on every UPDATE and DELETE of a row, whoever sends it (a bug,
a shell, a hand-written query). The application never does either
(tracker.audit.models).

Retention work that must remove old rows disables the trigger explicitly, as the
table's owner (docs/governance.md). TRUNCATE is left alone: test databases are
emptied with it between tests. SQLite, for trying the app out, has no trigger.
"""

from django.db import migrations

FUNCTION = "audit_event_refuse_change"
TRIGGER = "audit_event_append_only"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("audit", "AuditEvent")._meta.db_table
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'See docs/governance.md on retention.';
        END
        $$;
        """,
        params=None,  # the body's % is PL/pgSQL's, not a query parameter
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("audit", "AuditEvent")._meta.db_table
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
