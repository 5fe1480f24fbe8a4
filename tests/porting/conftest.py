"""Fixtures for export and import: a rich dataset that puts rows at every place
of the document (the demo, written through the services, plus what the demo
lacks), and helpers to export, wipe and compare."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
    TeamFactory,
    UserFactory,
)
from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.demo.seed import seed_demo
from tracker.incidents.models import AlertIntegration
from tracker.incidents.services.incidents import integration_revoke
from tracker.porting import spec
from tracker.porting.selectors import export_instance, export_product
from tracker.postmortems.models import Postmortem
from tracker.postmortems.services.parts import factor_add
from tracker.products.models import Product
from tracker.readiness.services import product_change_stage_gated
from tracker.releases import services as releases
from tracker.reminders.models import KPIReview
from tracker.reminders.services import notifications, reviews


def add_what_the_demo_lacks() -> None:
    alice = User.objects.get(username="alice")
    bob = User.objects.get(username="bob")
    fraud = Product.objects.get(slug="fraud-score")
    # Into pilot although readiness items fail: a recorded gate override.
    forecast = Product.objects.get(slug="demand-forecast")
    product_change_stage_gated(
        product=forecast, stage="pilot", actor=alice, note="Pilot.", override=True
    )
    # Post-launch KPI reviews: a plan of its own, and one more review concluded
    # (the demo has held the 2- and 6-week ones).
    reviews.kpi_review_plan_update(product=fraud, weeks=[2, 6, 26], actor=alice)
    reviews.kpi_reviews_schedule(product_ids=[fraud.pk])
    review = KPIReview.objects.get(product=fraud, weeks=26)
    reviews.kpi_review_complete(review=review, actor=alice, conclusion="On track.")
    # Release settings and an MLflow registry (its token is never exported).
    releases.release_settings_update(product=fraud, data={"deploy_context": "ship"})
    releases.mlflow_registry_save(
        product=fraud,
        data={
            "tracking_uri": "http://mlflow.internal:5000",
            "registered_model": "fraud-score",
            "token": "mlflow-token",
        },
    )
    # "Still accurate" confirmations of the survey and of an SLA.
    reviews.review_confirm(product=fraud, actor=alice)
    reviews.review_confirm(product=fraud, actor=bob, sla=fraud.slas.first())
    notifications.preferences_update(
        user=bob,
        data={
            "timezone": "Europe/Berlin",
            "quiet_start_hour": 22,
            "quiet_end_hour": 7,
            "digest_enabled": True,
        },
    )
    integration_revoke(
        integration=AlertIntegration.objects.get(kind="grafana"), actor=alice
    )
    # A contributing factor worded with blame: the check flags it in the factor.
    draft = Postmortem.objects.get(status="draft")
    factor_add(
        postmortem=draft,
        actor=alice,
        data={"category": "process", "description": "It was human error."},
    )
    # The factories' rows: a product of a team of its own, with a survey.
    carol = User.objects.get(username="carol")
    team = TeamFactory(name="Factories", slug="factories", members=[carol])
    product = ProductFactory(name="Factory made", slug="factory-made", team=team)
    metric = MetricFactory(product=product, owner=carol)
    MeasurementFactory(metric=metric, recorded_by=carol)
    SLACheckFactory(sla=SLAFactory(product=product))
    FeatureFactory(product=product, freshness_needed=timedelta(hours=1, seconds=7))
    SessionFactory(product=product)
    IncidentFactory(product=product, labels={"team": "factories", "ñ": [1, 2.5]})
    UserFactory(username="nobody-refers-to-me")


@pytest.fixture
def rich(db):
    assert seed_demo()
    add_what_the_demo_lacks()


def export_text(product: Product | None = None, *, personal: bool = True) -> str:
    if product is None:
        return "".join(export_instance(page=2))
    return "".join(export_product(product=product, personal=personal))


EXPORTED_AT = "2026-01-01T00:00:00+00:00"


def exported(product: Product | None = None, **options) -> dict:
    """An export as data, the moment it was made set to a fixed one so two
    exports compare equal."""
    document = json.loads(export_text(product, **options))
    assert document["exported_at"]
    return {**document, "exported_at": EXPORTED_AT}


def wipe() -> None:
    """Delete every row of the tracker's models (an empty instance), except the
    audit trail: it is append-only (on PostgreSQL a trigger refuses DELETE) and
    not part of the document."""
    for model in [*spec.EXCLUDED, *reversed(spec.insert_order())]:
        if model is not AuditEvent:
            model._base_manager.all().delete()


def places(document: dict) -> dict[str, int]:
    """How many objects the document holds at each place (users.preferences,
    products.metrics.measurements, …)."""
    counts: dict[str, int] = {}

    def visit(node: spec.Node, items: list, place: str) -> None:
        counts[place] = counts.get(place, 0) + len(items)
        for item in items:
            for child in node.children:
                value = item[child.key]
                rows = [value] if child.single and value else value or []
                visit(child, rows, f"{place}.{child.key}")

    for node in spec.DOCUMENT:
        visit(node, document[node.key], node.key)
    return counts


def every_place() -> set[str]:
    found = set()

    def walk(node: spec.Node, place: str) -> None:
        found.add(place)
        for child in node.children:
            walk(child, f"{place}.{child.key}")

    for node in spec.DOCUMENT:
        walk(node, node.key)
    return found


def now_minus(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()
