"""Moving a product in a real browser: download its JSON from the product page,
then, as staff on another (emptied) instance, check it with a dry run, import
it, and see a second import refused until "Keep what exists" is ticked."""

import json

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.porting.conftest import wipe
from tracker.products.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_move_a_product_through_its_json_export(
    page, live_server, sign_in, shoot, product, tmp_path
):
    sign_in("alice")
    page.goto(f"{live_server.url}/products/{product.slug}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    exported = tmp_path / "fraud-score.json"
    download.value.save_as(exported)
    assert json.loads(exported.read_text())["products"][0]["slug"] == "fraud-score"
    shoot("porting-01-product-page")

    wipe()
    UserFactory(username="sam", is_staff=True)
    page.context.clear_cookies()
    sign_in("sam")
    page.get_by_role("link", name="Export / import").click()
    page.get_by_label("Export document (JSON)").set_input_files(exported)
    page.get_by_label("Only check (dry run)").check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Dry run: nothing was written.")).to_be_visible()
    assert not Product.objects.exists()

    page.get_by_label("Export document (JSON)").set_input_files(exported)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("New people, inactive")).to_be_visible()
    shoot("porting-02-imported")
    assert Product.objects.get().slug == "fraud-score"

    page.get_by_label("Export document (JSON)").set_input_files(exported)
    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_text("products[0].slug: A product with the slug 'fraud-score'")
    ).to_be_visible()
    shoot("porting-03-refused")
    page.get_by_label("Export document (JSON)").set_input_files(exported)
    page.get_by_label("Keep what exists").check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Kept the existing products: fraud-score.")).to_be_visible()
