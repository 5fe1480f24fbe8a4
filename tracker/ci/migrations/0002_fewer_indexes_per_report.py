"""Fewer index writes per CI report: drop the foreign-key indexes other indexes
already lead with (product, status), and index reported_by only where it is set.

The database side drops the indexes by name rather than letting AlterField
rebuild the foreign keys, which would re-check every row of the history."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Django's names for the indexes 0001_initial created.
DROPPED = {
    "ci_cistatus_product_id_66d8f47d": ("ci_cistatus", "product_id"),
    "ci_cistatus_reported_by_id_929c83ef": ("ci_cistatus", "reported_by_id"),
    "ci_cistatusevent_reported_by_id_26a27f25": ("ci_cistatusevent", "reported_by_id"),
    "ci_cistatusevent_status_id_2ca327d6": ("ci_cistatusevent", "status_id"),
}


def _reported_by():
    return models.ForeignKey(
        blank=True,
        db_index=False,
        help_text="The person who reported it; empty for a CI token.",
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_apitoken"),
        ("ci", "0001_initial"),
        ("products", "0003_sla_auto_resolve"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="cistatus",
                    name="product",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="ci_statuses",
                        to="products.product",
                    ),
                ),
                migrations.AlterField(
                    model_name="cistatus", name="reported_by", field=_reported_by()
                ),
                migrations.AlterField(
                    model_name="cistatusevent",
                    name="reported_by",
                    field=_reported_by(),
                ),
                migrations.AlterField(
                    model_name="cistatusevent",
                    name="status",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="ci.cistatus",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
                )
                for name, (table, column) in DROPPED.items()
            ],
        ),
        migrations.AddIndex(
            model_name="cistatus",
            index=models.Index(
                condition=models.Q(("reported_by__isnull", False)),
                fields=["reported_by"],
                name="cistatus_reported_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="cistatusevent",
            index=models.Index(
                condition=models.Q(("reported_by__isnull", False)),
                fields=["reported_by"],
                name="cistatusevent_reported_by_idx",
            ),
        ),
    ]
