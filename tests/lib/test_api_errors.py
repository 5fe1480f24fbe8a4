"""One error shape, the right status codes, throttling."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework.test import APIRequestFactory

from tracker.lib.api import exception_handler
from tracker.products.models import Product


def assert_error_shape(body: dict) -> dict:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    return error


def test_validation_errors_are_400_with_field_messages(alice_api, team):
    response = alice_api.post(
        "/api/v1/products/", {"slug": "not a slug!", "team": "risk"}, format="json"
    )
    assert response.status_code == 400
    error = assert_error_shape(response.json())
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"name", "slug"}
    assert all(isinstance(m, list) for m in error["fields"].values())


def test_service_validation_errors_are_400_beside_their_field(alice_api, team):
    """Rules that live in the model (Product.clean) reach the API as field errors."""
    response = alice_api.post(
        "/api/v1/products/",
        {"name": "Risky", "slug": "risky", "team": "risk", "risk_tier": "critical"},
        format="json",
    )
    assert response.status_code == 400
    assert "worst_case_matters" in assert_error_shape(response.json())["fields"]
    assert not Product.objects.filter(slug="risky").exists()


def test_nested_errors_are_flattened_with_dots(alice_api, product):
    response = alice_api.post(
        f"/api/v1/products/{product.slug}/ci-status/",
        {"sha": "abcdef1", "context": "train", "state": "success", "metrics": []},
        format="json",
    )
    assert response.status_code == 400
    assert "metrics" in response.json()["error"]["fields"]


def test_malformed_json_is_400(alice_api, team):
    response = alice_api.generic(
        "POST", "/api/v1/products/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert assert_error_shape(response.json())["code"] == "parse_error"


def test_wrong_content_type_is_415(alice_api, team):
    response = alice_api.post(
        "/api/v1/products/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert assert_error_shape(response.json())["code"] == "unsupported_media_type"


def test_a_json_list_instead_of_an_object_is_400(alice_api, product):
    response = alice_api.post(
        f"/api/v1/products/{product.slug}/ci-status/", [1, 2], format="json"
    )
    assert response.status_code == 400
    assert_error_shape(response.json())


def test_unknown_object_is_404(alice_api, product):
    response = alice_api.get("/api/v1/products/nope/")
    assert response.status_code == 404
    assert assert_error_shape(response.json())["code"] == "not_found"


def test_unsupported_method_is_405(alice_api, product):
    response = alice_api.delete(f"/api/v1/products/{product.slug}/")
    assert response.status_code == 405
    assert assert_error_shape(response.json())["code"] == "method_not_allowed"


def test_not_allowed_is_403(carol_api, product):
    response = carol_api.patch(
        f"/api/v1/products/{product.slug}/", {"summary": "mine"}, format="json"
    )
    assert response.status_code == 403
    assert assert_error_shape(response.json())["code"] == "permission_denied"


def test_bad_filter_value_is_400(alice_api, product):
    response = alice_api.get("/api/v1/products/?stage=sideways")
    assert response.status_code == 400
    assert "stage" in assert_error_shape(response.json())["fields"]


def test_throttled_requests_get_429_with_retry_after(alice_api, product, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "api": "2/min"},
    }
    statuses = [alice_api.get("/api/v1/products/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = alice_api.get("/api/v1/products/")
    assert int(response["Retry-After"]) > 0
    assert assert_error_shape(response.json())["code"] == "throttled"


def test_the_throttle_window_slides(alice_api, product, settings, time_machine):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "api": "2/min"},
    }
    time_machine.move_to("2026-01-05 09:00:00Z", tick=False)

    def status_at(second: int) -> int:
        time_machine.move_to(f"2026-01-05 09:{second // 60:02}:{second % 60:02}Z")
        return alice_api.get("/api/v1/products/").status_code

    assert [status_at(s) for s in (0, 30, 59)] == [200, 200, 429]
    assert int(alice_api.get("/api/v1/products/")["Retry-After"]) == 1
    # The first request leaves the window, then the second.
    assert [status_at(s) for s in (60, 61, 89, 90)] == [200, 429, 429, 200]


def test_sign_in_is_throttled_per_client_address(anon, alice, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "auth": "2/min"},
    }
    wrong = {"username": "alice", "password": "guess"}
    codes = [
        anon.post("/api/v1/auth/token/", wrong, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (DjangoValidationError({"name": "Taken."}), 400, "validation_error"),
        (DjangoValidationError("Whole thing is off."), 400, "validation_error"),
        (IntegrityError("duplicate key"), 409, "conflict"),
    ],
)
def test_handler_turns_service_and_database_errors_into_4xx(exc, status, code):
    request = APIRequestFactory().post("/")
    response = exception_handler(exc, {"request": request, "view": None})
    assert response.status_code == status
    assert assert_error_shape(response.data)["code"] == code


def test_handler_leaves_unknown_exceptions_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_nul_characters_are_refused_not_a_database_error(alice_api, alice_client, team):
    """PostgreSQL text cannot hold NUL; lookups with it must be a 400, not a 500."""
    response = alice_api.get("/api/v1/products/", {"team": "ri\x00sk"})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
    for field in ("team", "ml_owner"):
        body = {"name": "X", "slug": "x", "team": "risk", field: "a\x00b"}
        response = alice_api.post("/api/v1/products/", body, format="json")
        assert response.status_code == 400
        assert field in response.json()["error"]["fields"]
    assert alice_client.get("/products/", {"team": "ri\x00sk"}).status_code == 400


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_json_is_served_to_clients_accepting_it(alice_api, product, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = alice_api.get("/api/v1/products/fraud-score/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("accept", "query", "status"),
    [
        ("text/html", "", 406),
        ("image/png", "", 406),
        ("*/*", "?format=xml", 404),
        (None, "?format=yaml", 404),
    ],
)
def test_what_cannot_be_served_is_refused_in_the_error_shape(
    alice_api, product, accept, query, status
):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = alice_api.get(f"/api/v1/products/fraud-score/{query}", **headers)
    assert response.status_code == status
    assert_error_shape(response.json())
