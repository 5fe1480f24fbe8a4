"""The portfolio at scale in Chromium: the team summary, the attention list's
most urgent, one sortable page of products; a large CSV made by a real worker
while the export page polls, until its download link appears."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.broker import WAIT_SECONDS, worker
from tracker.demo.scale.portfolio import seed_scale
from tracker.reports import views

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
PRODUCTS = 240


def test_the_portfolio_at_scale_and_a_background_export(
    page, live_server, sign_in, shoot, alice, broker, settings
):
    seed_scale(PRODUCTS)
    settings.REPORT_EXPORT_INLINE_MAX = 100
    sign_in("alice")
    page.goto(f"{live_server.url}/reports/portfolio/")
    expect(page.get_by_role("heading", name="Teams")).to_be_visible()
    expect(page.locator(".team-summary tbody tr").first).to_be_visible()
    expect(page.locator("ol.attention-list li")).to_have_count(views.ATTENTION_SHOWN)
    expect(page.locator(".attention-more")).to_contain_text("more product")
    table = page.locator("table.report tbody tr")
    expect(table).to_have_count(views.PRODUCTS_PER_PAGE)
    pages = -(-PRODUCTS // views.PRODUCTS_PER_PAGE)
    expect(page.get_by_text(f"Page 1 of {pages}")).to_be_visible()
    shoot("portfolio-scale")

    # Sort by SLA compliance (the worst first), then the next page: both in the URL.
    page.locator("table.report thead").get_by_role("link", name="SLAs").click()
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("SLAs ▲")
    page.get_by_role("link", name="Next →").click()
    assert "sort=slas" in page.url and "page=2" in page.url
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("SLAs ▲")
    shoot("portfolio-scale-sorted-page-2")

    # Over the threshold: the CSV is made in the background.
    page.goto(f"{live_server.url}/reports/portfolio/")
    page.get_by_role("link", name="Download CSV").click()
    page.wait_for_url("**/reports/exports/*/")
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()
    shoot("portfolio-export-waiting")
    with worker(broker):
        link = page.get_by_role("link", name="Download the CSV")
        expect(link).to_be_visible(timeout=WAIT_SECONDS * 1000)
    expect(page.get_by_text("The file is ready.")).to_be_visible()
    shoot("portfolio-export-ready")
    with page.expect_download() as download_info:
        link.click()
    text = download_info.value.path().read_text(encoding="utf-8")
    assert len(list(csv.DictReader(io.StringIO(text)))) == PRODUCTS
