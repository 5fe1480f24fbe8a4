"""On the demo data: a version approved and given an alias and its own model
card, its per-segment metrics, a metric chart marking deployments, and a
connection edited without its secret ever shown."""

import pytest
from playwright.sync_api import expect

from tracker.demo.seed import seed_demo
from tracker.products.models import SuccessMetric
from tracker.releases.models import ModelVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_version_approval_aliases_and_card(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("bob", "tracker-demo")
    version = ModelVersion.objects.get(product__slug="fraud-score", version="2026.07")
    # The demo's versions are approved: one not yet, to approve here.
    ModelVersion.objects.filter(pk=version.pk).update(
        approved_by=None, approved_at=None
    )
    page.goto(f"{live_server.url}{version.get_absolute_url()}")
    expect(page.get_by_role("heading", name="Per segment")).to_be_visible()
    page.get_by_role("button", name="Approve version 2026.07").click()
    expect(page.get_by_text("Approved version 2026.07.")).to_be_visible()
    page.get_by_label("Champion").check()
    page.get_by_role("button", name="Save aliases").click()
    expect(page.get_by_text("Saved the aliases.")).to_be_visible()
    expect(page.locator("h1 .badge", has_text="champion")).to_be_visible()
    shoot("60-version-approved-aliases-segments")

    page.get_by_role("link", name="Its own card").click()
    expect(
        page.get_by_role("heading", name="Model card of version 2026.07")
    ).to_be_visible()
    expect(page.get_by_text("this version narrows the gap").first).to_be_visible()
    shoot("61-version-model-card")
    page.get_by_role("link", name="Edit card").click()
    shoot("62-version-model-card-edit")
    page.get_by_label("Caveats and recommendations").fill("Re-check small merchants.")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("Model card saved.")).to_be_visible()
    expect(page.get_by_text("Re-check small merchants.").first).to_be_visible()


def test_metric_chart_marks_deployments(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("bob", "tracker-demo")
    metric = SuccessMetric.objects.filter(
        product__slug="fraud-score", kind="business_kpi"
    ).first()
    page.goto(f"{live_server.url}{metric.get_absolute_url()}")
    expect(page.locator(".chart-marker-deploy").first).to_be_attached()
    shoot("63-metric-deploy-markers")


def test_connection_edit_keeps_the_secret_hidden(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("bob", "tracker-demo")
    page.goto(f"{live_server.url}/integrations/")
    page.get_by_role("link", name="fraud-score repository").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Webhook secret", exact=True)).to_have_value("")
    page.get_by_label("Repository").fill("not-a-repo")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("owner/name").first).to_be_visible()
    shoot("64-connection-edit-error")
    page.get_by_label("Repository").fill("example-org/fraud-score-v2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("fraud-score repository saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    expect(page.get_by_text("demo-issues-webhook-secret")).to_have_count(0)
    shoot("65-connection-history")
