"""GIN indexes behind the global search (tracker.search.selectors): one per
kind searched, on the expression tracker.lib.search.search_vector builds from
the same fields, so the planner uses them (tests/search checks it).
Postmortems already have theirs, on their stored vector (postmortems 0002).

PostgreSQL only: SQLite has no GIN indexes and no tsvector, and searches with
icontains instead. Not in the models' Meta.indexes for the same reason, so the
migration state does not know them; this migration creates and drops them.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

# (app label, model, index name, configuration, fields): as in the selectors.
INDEXES = [
    (
        "products",
        "Product",
        "product_search_idx",
        "english",
        ("name", "slug", "summary", "problem_statement"),
    ),
    ("incidents", "Incident", "incident_search_idx", "english", ("title", "description")),
    ("postmortems", "ActionItem", "actionitem_search_idx", "english", ("description",)),
    (
        "accounts",
        "User",
        "user_search_idx",
        "simple",
        ("username", "first_name", "last_name"),
    ),
]


def _indexes(apps):
    for app, model, name, config, fields in INDEXES:
        index = GinIndex(SearchVector(*fields, config=config), name=name)
        yield apps.get_model(app, model), index


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, index in _indexes(apps):
        schema_editor.add_index(model, index)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, index in _indexes(apps):
        schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_membership_role"),
        ("products", "0006_measurement_source_prometheus"),
        ("incidents", "0004_recurrence"),
        ("postmortems", "0003_failure_kind_follow_up_policies"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
