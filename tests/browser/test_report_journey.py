"""Leadership's journey: open the portfolio report, filter it, download the CSV."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.factories import MetricFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_filter_and_download_the_portfolio(
    page, live_server, sign_in, shoot, team, product
):
    MetricFactory(product=product, name="Chargeback losses", baseline=410, target=290)
    ProductFactory(team=team, name="Churn warning", slug="churn-warning", stage="pilot")
    sign_in("alice")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Portfolio report")).to_be_visible()
    table = page.locator("table.report")
    expect(table.get_by_role("link", name="Churn warning")).to_be_visible()
    expect(table.get_by_role("link", name="Fraud score")).to_be_visible()

    page.get_by_label("Stage", exact=True).select_option("pilot")
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("link", name="Churn warning")).to_be_visible()
    expect(table.get_by_role("link", name="Fraud score")).to_have_count(0)
    shoot("10-portfolio-report")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("portfolio-")
    text = download.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["product"] for row in rows] == ["Churn warning"]
