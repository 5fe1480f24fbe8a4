"""An ML engineer's journey through releases, on the demo data: what serves
where, a version beside the one it replaced, rolling back from the page, the
incident that followed a deploy, and the MLflow registry."""

import pytest
from playwright.sync_api import expect

from tracker.demo.seed import seed_demo
from tracker.incidents.models import Incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_versions_deployments_rollback_and_incident(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("bob", "tracker-demo")
    page.goto(f"{live_server.url}/products/fraud-score/")
    page.get_by_role("link", name="Delivery").click()
    expect(page.get_by_role("heading", name="Model in service")).to_be_visible()
    shoot("40-product-model-in-service")

    page.get_by_role("link", name="Versions and deployments").click()
    expect(page.get_by_role("heading", name="Serving now")).to_be_visible()
    versions = page.locator("#versions-h + table")
    expect(versions.get_by_role("link", name="2026.07")).to_be_visible()
    shoot("41-model-versions")

    form = page.locator("section", has=page.locator("#add-deployment-h"))
    form.get_by_label("Version").select_option(label="2026.05")
    form.get_by_label("Traffic percent").fill("100")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Recorded the rollback.")).to_be_visible()
    serving = page.locator("#serving-h + table")
    expect(serving.get_by_role("row", name="Production")).to_contain_text("2026.05")
    expect(serving.get_by_role("row", name="Production")).to_contain_text("rollback")

    versions.get_by_role("link", name="2026.07").click()
    expect(page.get_by_role("heading", name="Version 2026.07")).to_be_visible()
    expect(page.get_by_role("cell", name="+0.013")).to_be_visible()  # auc vs 2026.06
    shoot("42-model-version")

    latency = Incident.objects.get(title__icontains="latency", status="open")
    page.goto(f"{live_server.url}{latency.get_absolute_url()}")
    expect(page.get_by_text("serving in production when it started")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Deployments before it started")
    ).to_be_visible()
    shoot("43-incident-after-deploy")

    page.goto(f"{live_server.url}/products/fraud-score/mlflow/")
    page.get_by_label("Tracking URI").fill("http://127.0.0.1:9/")
    page.get_by_label("Registered model name").fill("fraud-score")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the MLflow registry.")).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("MLflow is unreachable")).to_be_visible()
    shoot("44-mlflow-registry")
