"""A PM's journey after launch, on the demo data: cost, value and payback on the
product page, the feedback spike and its incident, recording a cost (a negative
one refused), and announcing a data-contract change."""

import pytest
from playwright.sync_api import expect

from tests.picking import pick
from tracker.demo.seed import seed_demo
from tracker.outcomes.models import Consumer, ContractChange, SourceContract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_feedback_value_and_contracts(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("alice", "tracker-demo")
    page.goto(f"{live_server.url}/products/fraud-score/")
    page.get_by_role("link", name="Metrics and SLAs").click()
    value = page.locator("section", has=page.locator("#value-h"))
    expect(value.get_by_text("Payback")).to_be_visible()
    expect(value.locator(".badge.good")).to_be_visible()  # a payback date
    expect(page.get_by_role("heading", name="Feedback per week")).to_be_visible()
    value.scroll_into_view_if_needed()
    shoot("60-product-cost-value-feedback")

    page.get_by_role("link", name="All feedback").click()
    expect(page.get_by_role("heading", name="Feedback", exact=True)).to_be_visible()
    page.get_by_label("Rating").first.select_option("bad")
    page.get_by_label("Given").select_option("7d")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#list-h + table tbody tr")
    expect(rows.first).to_contain_text("Bad")
    expect(page.locator("#list-h + table").get_by_role("link").first).to_be_visible()
    shoot("61-feedback-filtered")

    page.goto(f"{live_server.url}/products/fraud-score/value/")
    form = page.locator("section", has=page.locator("#add-cost-h"))
    form.get_by_label("Kind").select_option("running")
    form.get_by_label("Amount").fill("-5")
    form.get_by_label("Incurred at").fill("2026-12-01")
    form.get_by_role("button", name="Record").click()
    expect(form.get_by_text("greater than or equal to 0")).to_be_visible()
    shoot("62-cost-refused")
    form.get_by_label("Amount").fill("8000")
    form.get_by_label("Note").fill("Scoring cluster, December.")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Cost recorded.")).to_be_visible()
    shoot("63-cost-and-value")

    page.goto(f"{live_server.url}/products/fraud-score/contracts/")
    consumers = page.locator("#downstream-h + table")
    expect(consumers.get_by_role("cell", name="Disputes service")).to_be_visible()
    form = page.locator("section", has=page.locator("#add-change-h"))
    form.get_by_label("Side").select_option("downstream")
    form.get_by_label("Consumer").select_option(label="Disputes service")
    form.get_by_label("Summary").fill("The score is recalibrated on 2026-12-15.")
    form.get_by_label("Effective at").fill("2026-12-15T00:00")
    form.get_by_role("button", name="Announce").click()
    expect(page.get_by_text("Change announced")).to_be_visible()
    expect(page.get_by_role("cell", name="The score is recalibrated")).to_be_visible()
    assert ContractChange.objects.filter(summary__contains="recalibrated").exists()
    shoot("64-data-contracts")

    # People, teams and products are picked by searching, not from a list of
    # every one in the organisation.
    form = page.locator("section", has=page.locator("#add-consumer-h"))
    form.get_by_label("Name").fill("Chargeback desk")
    pick(form.get_by_label("Owner"), "bob")
    pick(form.get_by_label("Consumer product"), "churn", "Churn early warning")
    form.get_by_label("Relies on").fill("The score, daily.")
    form.get_by_role("button", name="Add").click()
    expect(consumers.get_by_role("cell", name="Chargeback desk")).to_be_visible()
    consumer = Consumer.objects.get(name="Chargeback desk")
    assert (consumer.owner.username, consumer.consumer_product.slug) == (
        "bob",
        "churn-warning",
    )
    page.get_by_role("link", name="Add contract").first.click()
    pick(page.get_by_label("Owner team"), "growth", "Growth")
    pick(page.get_by_label("Provider"), "demand", "Demand forecast")
    page.get_by_label("Fields relied on").fill("store_id, day")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("saved")).to_be_visible()
    contract = SourceContract.objects.get(fields_relied_on="store_id, day")
    assert (contract.owner_team.slug, contract.provider.slug) == (
        "growth",
        "demand-forecast",
    )

    page.goto(f"{live_server.url}/products/churn-warning/contracts/")
    expect(page.get_by_role("cell", name="counted per card")).to_be_visible()
    page.goto(f"{live_server.url}/reports/portfolio/")
    expect(
        page.get_by_role("heading", name="Cost and value to date by team")
    ).to_be_visible()
    page.locator("#value-h").scroll_into_view_if_needed()
    shoot("65-portfolio-value-by-team")
