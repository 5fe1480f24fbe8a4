"""The planning journey in a real browser: sign in, create a product, add a KPI
with a baseline and a measurement, survey a feature, and see it all on the page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.picking import pick

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_a_product_end_to_end(page, live_server, sign_in, shoot, team):
    sign_in("alice")
    shoot("01-empty-product-list")
    page.get_by_role("link", name="Create the first product").click()

    page.get_by_label("Name").fill("Fraud score")
    page.get_by_label("Slug").fill("fraud-score")
    pick(page.get_by_label("Team"), "Risk")
    page.get_by_label("Summary").fill("Scores card payments before authorisation.")
    pick(page.get_by_label("PM / business owner"), "ali", "Alice (alice)")
    page.get_by_role("button", name="Create product").click()
    expect(page).to_have_url(f"{live_server.url}/products/fraud-score/")
    expect(page.get_by_text("Missing: ML, Engineering owner.")).to_be_visible()

    page.get_by_role("link", name="Metrics and SLAs").click()
    page.get_by_role("link", name="Add a business KPI").click()
    page.get_by_label("Name").fill("Chargeback losses")
    page.get_by_label("Direction").select_option("lower")
    page.get_by_label("Unit", exact=True).fill("EUR k")
    page.get_by_label("Baseline", exact=True).fill("410")
    page.get_by_label("Baseline at").fill("2026-01-15")
    page.get_by_label("Target", exact=True).fill("290")
    page.get_by_role("button", name="Add metric").click()
    expect(
        page.get_by_role("heading", name=re.compile("Chargeback losses"))
    ).to_be_visible()

    # A missing value is refused with a message beside the field.
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()

    when = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Value").fill("350")
    page.get_by_label("Measured at").fill(when)
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Measurement recorded.")).to_be_visible()
    shoot("02-metric-detail")

    page.get_by_role("link", name="Fraud score").first.click()
    page.get_by_role("link", name="Data survey").click()
    page.get_by_role("link", name="Survey the first feature").click()
    page.get_by_role("textbox", name=re.compile(r"^Feature")).fill("card_velocity_1h")
    page.get_by_label("Source kind").select_option("stream")
    page.get_by_label("Available in production").select_option("partial")
    page.get_by_label("Freshness needed").fill("1m")
    page.get_by_label("Freshness actual").fill("1h")
    page.get_by_label("Training/serving skew risk").select_option("high")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved feature card_velocity_1h.")).to_be_visible()

    expect(page.locator("tr.risky", has_text="card_velocity_1h")).to_be_visible()
    expect(page.get_by_text("staler than needed")).to_be_visible()

    page.get_by_role("link", name="Metrics and SLAs").click()
    metrics = page.locator(
        "section", has=page.get_by_role("heading", name="Success metrics")
    )
    expect(metrics.get_by_role("link", name="Chargeback losses")).to_be_visible()
    expect(metrics.locator("td.num", has_text="350")).to_be_visible()
    expect(metrics.get_by_text("50%")).to_be_visible()  # 410 → 350 of the way to 290
    shoot("03-product-metrics")
    page.get_by_role("link", name="Overview").click()
    # Readiness lists what still fails: the survey, no longer the KPI.
    readiness = page.locator(
        "section", has=page.get_by_role("heading", name="Readiness")
    )
    expect(readiness.get_by_text("Data survey complete")).to_be_visible()
    expect(readiness.get_by_text("A business KPI with")).to_have_count(0)
    shoot("03-product-page")


def test_outsider_sees_the_product_but_no_edit_controls(
    page, live_server, sign_in, product, carol, other_team
):
    sign_in("carol")
    page.goto(f"{live_server.url}/products/{product.slug}/")
    expect(page.get_by_role("heading", name=re.compile("Fraud score"))).to_be_visible()
    expect(page.get_by_role("link", name="Edit product")).to_have_count(0)
    response = page.goto(f"{live_server.url}/products/{product.slug}/edit/")
    assert response.status == 403
    expect(page.get_by_text("You can't do that here")).to_be_visible()
