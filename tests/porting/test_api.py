"""Export and import over the API: /products/{slug}/export/ for anyone who may
read the product, /export/ and /import/ for staff; bad documents are 400 with
the place of each problem, clashes 409, and nothing is written."""

import json

import pytest

from tests.conftest import bearer
from tests.factories import UserFactory
from tests.porting.test_import import changed, example
from tracker.accounts.services import token_create
from tracker.products.models import Product

IMPORT = "/api/v1/import/"


@pytest.fixture
def staff_api(db):
    sam = UserFactory(username="sam", is_staff=True)
    return bearer(token_create(user=sam, name="laptop")[1])


def _body(response) -> dict:
    return json.loads(b"".join(response.streaming_content))


def test_anyone_who_may_read_a_product_exports_it(carol_api, product):
    response = carol_api.get(f"/api/v1/products/{product.slug}/export/")
    assert response.status_code == 200
    document = _body(response)
    assert document["scope"] == "product"
    assert all(user["email"] == "" for user in document["users"])


def test_staff_product_exports_carry_addresses(staff_api, product):
    document = _body(staff_api.get(f"/api/v1/products/{product.slug}/export/"))
    assert any(user["email"] for user in document["users"])


@pytest.mark.parametrize(
    ("client", "status"), [("anon", 401), ("ci_api", 403), ("carol_api", 404)]
)
def test_who_cannot_export_a_product(request, product, client, status):
    slug = "nope" if client == "carol_api" else product.slug
    response = request.getfixturevalue(client).get(f"/api/v1/products/{slug}/export/")
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.parametrize("client", ["alice_api", "ci_api", "anon"])
def test_only_staff_export_or_import_the_instance(request, product, client):
    api = request.getfixturevalue(client)
    assert api.get("/api/v1/export/").status_code in (401, 403)
    assert api.post(IMPORT, example(), format="json").status_code in (401, 403)
    assert Product.objects.count() == 1


def test_staff_export_the_instance(staff_api, product):
    response = staff_api.get("/api/v1/export/")
    assert response.status_code == 200
    assert [p["slug"] for p in _body(response)["products"]] == ["fraud-score"]


def test_staff_import_a_document(staff_api):
    response = staff_api.post(IMPORT, example(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["created"]["products.product"] == 1
    assert body["users_created"] == ["alice"] and body["dry_run"] is False


def test_a_dry_run_answers_200_and_writes_nothing(staff_api):
    response = staff_api.post(f"{IMPORT}?dry_run=true", example(), format="json")
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert not Product.objects.exists()


def test_a_bad_document_is_400_with_the_place_of_each_problem(staff_api):
    document = changed("products.0.metrics.0.baseline", "x")
    document = changed("products.0.pm_owner", "zed", document)
    response = staff_api.post(IMPORT, document, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == "The document is not valid; nothing was imported."
    assert error["fields"] == {
        "products[0].metrics[0].baseline": ["A number is required."],
        "products[0].pm_owner": ["Unknown user 'zed': list it in users."],
    }
    assert not Product.objects.exists()


@pytest.mark.parametrize("body", [b"{", b"[]", b""])
def test_a_body_that_is_no_document_is_400(staff_api, body):
    response = staff_api.generic("POST", IMPORT, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("parse_error", "validation_error")


def test_a_clash_is_409_until_skip_existing(staff_api):
    staff_api.post(IMPORT, example(), format="json")
    response = staff_api.post(IMPORT, example(), format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and "skip_existing=true" in error["message"]
    assert "products[0].slug" in error["fields"]
    again = staff_api.post(f"{IMPORT}?skip_existing=true", example(), format="json")
    assert again.status_code == 201
    assert again.json()["kept"]["products"] == ["fraud-score"]


def test_a_bad_option_is_400(staff_api):
    response = staff_api.post(f"{IMPORT}?dry_run=perhaps", example(), format="json")
    assert response.status_code == 400
    assert "dry_run" in response.json()["error"]["fields"]


def test_a_document_over_the_limit_is_413(staff_api, settings):
    settings.IMPORT_MAX_BYTES = 1024
    response = staff_api.post(IMPORT, example(), format="json")
    assert response.status_code == 413
    assert not Product.objects.exists()
