"""Model card, segments and a signed-off decision in a real browser: write the
card with its scope and segments, record segment values against a floor, record
a decision and approve it as the PM owner."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import MetricFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_card_segments_and_sign_off(page, live_server, sign_in, shoot, product):
    product.risk_tier = "high"
    product.save()
    metric = MetricFactory(
        product=product,
        name="Recall",
        kind="model_metric",
        direction="higher",
        target=0.9,
        worst_case_floor=0.7,
    )
    sign_in("alice")
    page.goto(f"{live_server.url}/products/fraud-score/")
    page.get_by_role("link", name="Actions and decisions").click()
    page.get_by_role("link", name="Model card").first.click()
    expect(page.get_by_role("heading", name="Model card")).to_be_visible()
    page.get_by_role("link", name="Edit card").click()
    page.get_by_label("Intended use", exact=True).fill(
        "Hold risky card payments for review."
    )
    page.get_by_label("Out-of-scope uses").fill("Not for credit decisions.")
    page.get_by_label("Caveats and recommendations").fill(
        "Small merchants are scored less well."
    )
    page.get_by_label("Use cases it serves", exact=True).fill("Card-present payments")
    page.get_by_label("Use cases it explicitly does not serve").fill("Bank transfers")
    page.get_by_label("Segments", exact=True).fill("size small")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("is not a segment")).to_be_visible()
    page.get_by_label("Segments", exact=True).fill("size=small\nsize=large")
    page.get_by_role("button", name="Save card").click()
    expect(page.get_by_text("Model card saved.")).to_be_visible()
    expect(page.get_by_text("Bank transfers")).to_be_visible()

    page.goto(f"{live_server.url}{metric.get_absolute_url()}")
    when = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for segment, value in (("size=small", "0.62"), ("size=large", "0.85")):
        page.get_by_label("Value").fill(value)
        page.get_by_label("Measured at").fill(when)
        page.get_by_label("Segment").select_option(segment)
        page.get_by_role("button", name="Record").click()
        expect(page.get_by_text("Measurement recorded.")).to_be_visible()
    segments = page.locator("#segments")
    expect(segments.get_by_text("Worst: size=small")).to_be_visible()
    expect(segments.get_by_text("fails")).to_be_visible()
    shoot("cards-01-metric-segments")

    page.goto(f"{live_server.url}/products/fraud-score/model-card/")
    expect(page.get_by_text("worst", exact=True)).to_be_visible()
    shoot("cards-02-model-card")

    page.goto(f"{live_server.url}/products/fraud-score/decisions/")
    page.get_by_label("Title").fill("Missing values")
    page.locator("#id_decision").fill("Listwise deletion.")
    page.get_by_label("Alternatives").fill("Median imputation: hides the gaps.")
    page.get_by_label("Reason").fill("Under 1% of rows miss a value.")
    page.get_by_role("button", name="Record and ask for approval").click()
    expect(page.get_by_text("Awaiting approval")).to_be_visible()
    shoot("cards-03-decision-pending")
    page.get_by_label("Your comment").fill("Agreed.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Recorded: Approved.")).to_be_visible()
    expect(page.locator(".cardhead .badge.good")).to_have_text("Approved")

    page.goto(f"{live_server.url}/products/fraud-score/")
    expect(page.get_by_text(re.compile("Fails the floor: size=small"))).to_be_visible()
    page.get_by_role("link", name="Actions and decisions").click()
    section = page.locator("#decisions")
    expect(section.get_by_text("all signed off")).to_be_visible()
    shoot("cards-04-product-page")
