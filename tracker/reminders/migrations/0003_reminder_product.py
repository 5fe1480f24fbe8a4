"""Reminders remember the product their subject belongs to, so notifications
about a private team's products reach only the people who may read them; rows
recorded before this migration get it from their subject."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

# subject_type → (app, model, path from the subject to its product id)
SUBJECTS = {
    "metric": ("products", "SuccessMetric", "product_id"),
    "sla": ("products", "ServiceLevel", "product_id"),
    "kpi_review": ("reminders", "KPIReview", "product_id"),
    "postmortem": ("postmortems", "Postmortem", "product_id"),
}


def backfill(apps, schema_editor):
    Reminder = apps.get_model("reminders", "Reminder")
    Product = apps.get_model("products", "Product")
    ActionItem = apps.get_model("postmortems", "ActionItem")
    todo = Reminder.objects.filter(product__isnull=True)
    for subject_type, (app, name, column) in SUBJECTS.items():
        subjects = apps.get_model(app, name).objects.filter(pk=OuterRef("subject_id"))
        todo.filter(subject_type=subject_type).update(
            product=Subquery(subjects.values(column)[:1])
        )
    surveys = Product.objects.filter(pk=OuterRef("subject_id"))
    todo.filter(subject_type="survey").update(
        product=Subquery(surveys.values("pk")[:1])
    )
    items = ActionItem.objects.filter(pk=OuterRef("subject_id")).annotate(
        pid=Coalesce("postmortem__product_id", "session__product_id")
    )
    todo.filter(subject_type="action_item").update(
        product=Subquery(items.values("pid")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0003_sla_auto_resolve"),
        ("postmortems", "0002_search_gin_index"),
        ("reminders", "0002_leadership_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminder",
            name="product",
            field=models.ForeignKey(
                blank=True,
                help_text="The product the subject belongs to, if any.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="products.product",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
