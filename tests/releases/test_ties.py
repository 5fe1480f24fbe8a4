"""Releases read from everywhere else: the incident's serving version and the
deployments before it, the postmortem's prefilled timeline, chart markers,
the portfolio report and the readiness checklist."""

from datetime import timedelta

import pytest

from tests.factories import MeasurementFactory, MetricFactory
from tests.reports.test_portfolio import _pdf_text
from tracker.incidents.services.incidents import incident_open
from tracker.postmortems.services.parts import timeline_prefill
from tracker.postmortems.services.writeup import postmortem_create
from tracker.products.models import Stage
from tracker.readiness.selectors import readiness_for_product
from tracker.releases import services
from tracker.reports.standings import standings_refresh_all

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def shipped(product, alice):
    """1.0 in production for a week, then 2.0 three hours ago, and a canary."""
    v1, v2 = (
        services.model_version_create(
            product=product,
            version=version,
            data={"created_at": NOW - timedelta(days=days)},
            actor=alice,
        )
        for version, days in (("1.0", 10), ("2.0", 2))
    )
    for version, hours, env in ((v1, 24 * 7, "production"), (v2, 3, "production")):
        services.deployment_record(
            product=product,
            version=version,
            environment=env,
            data={"deployed_at": NOW - timedelta(hours=hours)},
            actor=alice,
        )
    return v1, v2


def _incident(product, alice, hours_ago):
    return incident_open(
        actor=alice,
        data={
            "product": product,
            "title": "Approvals dropped",
            "severity": "sev2",
            "started_at": NOW - timedelta(hours=hours_ago),
        },
    )


def test_incident_api_and_page_name_the_version_serving_when_it_started(
    shipped, product, alice, alice_api, alice_client
):
    after = _incident(product, alice, 1)
    before = _incident(product, alice, 5)
    detail = alice_api.get(f"/api/v1/incidents/{after.pk}/").json()
    assert detail["model_version"] == "2.0"
    listed = {
        row["id"]: row["model_version"]
        for row in alice_api.get("/api/v1/incidents/").json()["results"]
    }
    assert listed == {after.pk: "2.0", before.pk: "1.0"}
    page = alice_client.get(after.get_absolute_url()).content.decode()
    assert "serving in production when it started" in page
    assert "Deployments before it started" in page
    assert page.count('href="/products/fraud-score/versions/') >= 2


def test_incident_without_deployments_has_no_version(product, alice, alice_api):
    incident = _incident(product, alice, 1)
    detail = alice_api.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert detail["model_version"] is None


def test_postmortem_timeline_has_the_deployments_in_its_window(shipped, product, alice):
    incident = _incident(product, alice, 1)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "Review", "incidents": [incident]}
    )
    changes = list(postmortem.timeline.filter(kind="change").values_list("description"))
    assert changes == [("Deployed model version 2.0 in production (100% of traffic)",)]
    # Prefilling again adds nothing.
    assert timeline_prefill(postmortem=postmortem) == 0


def test_rollback_is_a_change_moment_and_a_chart_marker(
    shipped, product, alice, alice_client
):
    v1, _ = shipped
    services.deployment_record(
        product=product,
        version=v1,
        environment="production",
        data={"deployed_at": NOW - timedelta(minutes=30)},
        actor=alice,
    )
    metric = MetricFactory(product=product, name="Approvals")
    for days in (9, 1, 0):
        MeasurementFactory(metric=metric, measured_at=NOW - timedelta(days=days))
    page = alice_client.get(f"/products/{product.slug}/metrics/").content.decode()
    assert 'class="chart-marker-rollback"' in page
    assert "rollback to 1.0" in page
    assert 'class="chart-marker-deploy"' in page


def test_the_metric_page_marks_deployments_and_rollbacks(
    shipped, product, alice, alice_client
):
    v1, _ = shipped
    services.deployment_record(
        product=product,
        version=v1,
        environment="production",
        data={"deployed_at": NOW - timedelta(minutes=30)},
        actor=alice,
    )
    metric = MetricFactory(product=product, name="Approvals")
    for days in (9, 1, 0):
        MeasurementFactory(metric=metric, measured_at=NOW - timedelta(days=days))
    page = alice_client.get(metric.get_absolute_url()).content.decode()
    assert page.count('class="chart-marker-deploy"') == 2
    assert 'class="chart-marker-rollback"' in page
    assert "rollback to 1.0" in page and "deployed 2.0" in page


def test_the_product_pdf_names_the_production_version(shipped, product, alice_client):
    response = alice_client.get(f"/reports/products/{product.slug}.pdf")
    text = " ".join(_pdf_text(response.content).split())
    assert "Model in production" in text
    assert "Version 2.0, deployed 1 Jul 2026 09:00 UTC" in text


def test_portfolio_api_shows_the_production_version(shipped, product, alice_api):
    standings_refresh_all()  # what beat does every few minutes
    body = alice_api.get("/api/v1/reports/portfolio/").json()
    [row] = [p for p in body["products"] if p["slug"] == product.slug]
    assert row["production_version"] == "2.0"
    assert row["production_shipped_at"].startswith("2026-07-01T09:00")


def test_readiness_asks_products_in_production_for_a_deployment(product, alice):
    assert readiness_for_product(product).passed["deployment"] is None
    product.stage, product.launched_at = Stage.PRODUCTION, NOW
    product.save()
    assert readiness_for_product(product).passed["deployment"] is False
    version = services.model_version_create(
        product=product, version="1", data={}, actor=alice
    )
    services.deployment_record(
        product=product, version=version, environment="production", data={}, actor=alice
    )
    assert readiness_for_product(product).passed["deployment"] is True
