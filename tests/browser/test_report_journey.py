"""Leadership's journey: open the portfolio report and its attention list, filter
it, download the CSV; from a product's page to its PDF summary."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.factories import MetricFactory, ProductFactory
from tracker.reports.standings import standings_refresh_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_open_filter_and_download_the_portfolio(
    page, live_server, sign_in, shoot, team, product
):
    MetricFactory(product=product, name="Chargeback losses", baseline=410, target=290)
    ProductFactory(team=team, name="Churn warning", slug="churn-warning", stage="pilot")
    standings_refresh_all()  # what beat does every few minutes
    sign_in("alice")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Portfolio report")).to_be_visible()
    table = page.locator("table.report")
    expect(table.get_by_role("link", name="Churn warning")).to_be_visible()
    expect(table.get_by_role("link", name="Fraud score")).to_be_visible()
    # the attention list, ranked, each entry with a link
    attention = page.locator("ol.attention-list li")
    expect(attention).to_have_count(2)
    expect(attention.first.locator(".rank")).to_have_text("1")
    shoot("09-portfolio-attention")

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


def test_the_product_page_leads_to_its_pdf_summary(
    page, live_server, sign_in, shoot, product
):
    MetricFactory(product=product, name="Chargeback losses", baseline=410, target=290)
    sign_in("alice")
    page.goto(live_server.url + product.get_absolute_url())
    link = page.get_by_role("link", name="PDF summary")
    expect(link).to_have_attribute("href", f"/reports/products/{product.slug}.pdf")
    shoot("11-product-page")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
