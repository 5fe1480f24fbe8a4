"""The browser side: "Export JSON" on the product page for anyone who may read
the product, and the export and import page for staff only."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory
from tests.porting.test_import import changed, example
from tracker.products.models import Product


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(username="sam", is_staff=True))
    return client


def _content(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


def test_the_product_page_offers_the_export(alice_client, product):
    page = alice_client.get(reverse("products:detail", args=[product.slug]))
    assert (
        reverse("porting:product_export", args=[product.slug]).encode() in page.content
    )


def test_anyone_who_may_read_the_product_exports_it(carol_client, product):
    response = carol_client.get(reverse("porting:product_export", args=[product.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert 'attachment; filename="fraud-score-' in response["Content-Disposition"]
    assert _content(response)["products"][0]["slug"] == "fraud-score"


def test_signed_out_visitors_cannot_export(client, product):
    response = client.get(reverse("porting:product_export", args=[product.slug]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_unknown_product_is_404(carol_client, db):
    url = reverse("porting:product_export", args=["nope"])
    assert carol_client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["porting:data", "porting:instance_export"])
def test_people_who_are_not_staff_get_403(alice_client, name):
    assert alice_client.get(reverse(name)).status_code == 403
    assert alice_client.post(reverse("porting:data")).status_code == 403


def test_staff_see_the_page_in_the_menu_and_export_everything(staff_client, product):
    page = staff_client.get(reverse("porting:data"))
    assert page.status_code == 200
    assert b'href="/data/"' in page.content
    response = staff_client.get(reverse("porting:instance_export"))
    assert _content(response)["scope"] == "instance"


def test_others_dont_see_the_menu_entry(alice_client, product):
    page = alice_client.get(reverse("products:detail", args=[product.slug]))
    assert b'href="/data/"' not in page.content


def _upload(client, document, **options):
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    upload = SimpleUploadedFile("export.json", raw, content_type="application/json")
    return client.post(reverse("porting:data"), {"document": upload, **options})


def test_staff_import_a_document_and_see_what_was_created(staff_client):
    response = _upload(staff_client, example())
    assert response.status_code == 200
    assert b"Created 1 user, 1 team" in response.content
    assert b"New people, inactive" in response.content
    assert Product.objects.filter(slug="fraud-score").exists()


def test_a_bad_document_gives_form_errors_with_places(staff_client):
    response = _upload(staff_client, changed("products.0.metrics.0.baseline", "x"))
    assert response.status_code == 200
    errors = response.context["form"].errors["document"]
    assert errors == ["products[0].metrics[0].baseline: A number is required."]
    assert not Product.objects.exists()


def test_a_file_that_is_not_json_gives_a_form_error(staff_client):
    response = _upload(staff_client, b"not json")
    assert "Not valid JSON" in response.context["form"].errors["document"][0]


def test_a_clash_says_how_to_keep_what_exists(staff_client):
    _upload(staff_client, example())
    errors = _upload(staff_client, example()).context["form"].errors["document"]
    assert "products[0].slug: A product with the slug 'fraud-score' exists" in errors[1]
    assert "Keep what exists" in errors[-1]
    response = _upload(staff_client, example(), skip_existing="on")
    assert b"Kept the existing products: fraud-score." in response.content


def test_a_dry_run_writes_nothing(staff_client):
    response = _upload(staff_client, example(), dry_run="on")
    assert b"Dry run: nothing was written." in response.content
    assert not Product.objects.exists()
    assert not response.context["form"].is_bound  # the real import starts afresh


def test_a_file_over_the_limit_is_refused(staff_client, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = _upload(staff_client, example())
    assert "larger than 1.0\xa0KB" in response.context["form"].errors["document"][0]
