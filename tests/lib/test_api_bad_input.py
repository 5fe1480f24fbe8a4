"""Bad bytes never give a 500: OPTIONS on every route, JSON nested deeper than
Python can follow, text no database can hold (NUL, unpaired surrogates) and
booleans where numbers belong are refused with a 400 naming the field, and
nothing is written."""

import json
import re

import pytest
from django.urls import URLPattern
from rest_framework import serializers

from tests.factories import MetricFactory, SLAFactory
from tracker import api_urls
from tracker.incidents.models import Incident
from tracker.lib.api import FloatField
from tracker.products.models import Measurement, Product

DEEP = "[" * 5000 + "]" * 5000
DEEP_OBJECT = '{"a":' * 5000 + "1" + "}" * 5000


def _routes(product) -> list[str]:
    """Every /api/v1 path of tracker/api_urls.py, its parameters filled in."""
    fill = {
        "<slug:slug>": product.slug,
        "<int:pk>": "1",
        "<int:measurement_id>": "1",
        "<str:code>": "data-1",
        "<str:username>": "bob",
        "<int:approval_pk>": "1",
    }
    paths = []
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        route = str(pattern.pattern)
        for placeholder, value in fill.items():
            route = route.replace(placeholder, value)
        assert "<" not in route, f"fill in the parameter of {route}"
        paths.append(f"/api/v1/{route}")
    return paths


def _errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, (response.status_code, response.content)
    return response.json()["error"]["fields"]


def _raw(client, method: str, path: str, body: str):
    client.raise_request_exception = False
    return client.generic(method, path, body, content_type="application/json")


@pytest.fixture
def staff_api(alice_api, alice):
    """alice as staff, so the staff-only routes (export, import) answer too."""
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    return alice_api


# --- OPTIONS -------------------------------------------------------------------


@pytest.mark.django_db
def test_options_answers_200_on_every_api_route(staff_api, product):
    staff_api.raise_request_exception = False
    answers = {path: staff_api.options(path) for path in _routes(product)}
    failing = {p: r.status_code for p, r in answers.items() if r.status_code != 200}
    assert not failing
    body = answers[f"/api/v1/products/{product.slug}/ci-status/"].json()
    assert body["parses"] == ["application/json"]


def test_options_tells_an_outsider_nothing_about_a_product(carol_api, product):
    """The answer is the same for a product that exists and one that does not."""
    real = carol_api.options(f"/api/v1/products/{product.slug}/")
    unknown = carol_api.options("/api/v1/products/no-such-product/")
    assert real.status_code == unknown.status_code == 200
    assert real.json() == unknown.json()


# --- Nesting -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deeply_nested_json_is_400_on_every_route(staff_api, product, body):
    answers = {}
    for path in _routes(product):
        for method in ("POST", "PUT", "PATCH"):
            answers[f"{method} {path}"] = _raw(staff_api, method, path, body)
    server_errors = [k for k, r in answers.items() if r.status_code >= 500]
    assert not server_errors
    for key in (
        f"POST /api/v1/products/{product.slug}/ci-status/",
        "POST /api/v1/products/",
    ):
        assert answers[key].status_code == 400
        assert answers[key].json()["error"]["code"] == "parse_error"


def test_deeply_nested_json_signing_in_is_400(anon):
    response = _raw(anon, "POST", "/api/v1/auth/token/", DEEP_OBJECT)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_deeply_nested_json_on_the_sign_in_page_is_not_a_sign_in(client, alice):
    client.raise_request_exception = False
    response = client.generic(
        "POST", "/accounts/login/", DEEP_OBJECT, content_type="application/json"
    )
    assert response.status_code < 500
    assert "_auth_user_id" not in client.session


# --- Text no database can hold -------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "\udfff"], ids=["nul", "hi", "lo"])
def test_unstorable_text_field_is_400_naming_it(alice_api, team, bad):
    body = json.dumps({"name": f"Fraud{bad}", "slug": "fraud", "team": "risk"})
    response = _raw(alice_api, "POST", "/api/v1/products/", body)
    assert "name" in _errors(response)
    assert not Product.objects.filter(slug="fraud").exists()


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_unstorable_label_value_or_key_is_400_naming_the_labels(
    alice_api, product, bad
):
    for labels, field in (
        ({"team": f"risk{bad}"}, "labels.team"),
        ({f"te{bad}am": "risk"}, "labels"),
    ):
        body = json.dumps({"title": "Drift", "product": product.slug, "labels": labels})
        response = _raw(alice_api, "POST", "/api/v1/incidents/", body)
        assert field in _errors(response)
    assert not Incident.objects.exists()


def test_unstorable_key_of_the_body_is_400_not_a_broken_answer(alice_api, team):
    """An unknown field used to be echoed back by name, which no JSON response
    can encode when it holds a lone surrogate."""
    body = json.dumps({"name": "Fraud", "slug": "fraud", "team": "risk", "x\ud800": 1})
    response = _raw(alice_api, "POST", "/api/v1/products/", body)
    assert _errors(response)
    assert not Product.objects.exists()


def test_unstorable_ci_metric_name_is_400(alice_api, product):
    body = json.dumps(
        {
            "sha": "abcdef1",
            "context": "train",
            "state": "success",
            "metrics": {"a\x00": 1},
        }
    )
    response = _raw(
        alice_api, "POST", f"/api/v1/products/{product.slug}/ci-status/", body
    )
    assert "metrics" in _errors(response)


def test_escaped_backslash_u0000_is_ordinary_text(alice_api, team):
    """Only the character is refused, not text that spells its escape."""
    body = json.dumps({"name": "Fraud \\u0000", "slug": "fraud", "team": "risk"})
    response = _raw(alice_api, "POST", "/api/v1/products/", body)
    assert response.status_code == 201
    assert Product.objects.get(slug="fraud").name == "Fraud \\u0000"


def test_nul_in_an_html_form_is_a_form_error(alice_client, product):
    response = alice_client.post(
        f"/products/{product.slug}/edit/",
        {"name": "Fraud\x00score", "team": product.team.pk},
    )
    assert response.status_code == 200  # the form again, with its errors
    product.refresh_from_db()
    assert product.name == "Fraud score"


def test_surrogate_bytes_in_an_html_form_never_reach_the_database(
    alice_client, product
):
    """Form bodies are bytes: the UTF-8 spelling of a surrogate (ED A0 80) is
    not valid UTF-8 and decodes to U+FFFD, never to a surrogate."""
    alice_client.raise_request_exception = False
    response = alice_client.generic(
        "POST",
        f"/products/{product.slug}/edit/",
        f"name=Fraud%ED%A0%80score&team={product.team.pk}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    product.refresh_from_db()
    assert not re.search("[\ud800-\udfff]", product.name)


# --- Booleans are not numbers --------------------------------------------------


@pytest.mark.parametrize("flag", [True, False])
def test_boolean_measurement_value_is_400(alice_api, product, flag):
    metric = MetricFactory(product=product)
    response = alice_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": flag}, format="json"
    )
    assert "value" in _errors(response)
    assert not Measurement.objects.filter(metric=metric).exists()


def test_boolean_baseline_target_and_threshold_are_400(alice_api, product):
    metric = MetricFactory(product=product)
    response = alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/",
        {"baseline": True, "target": False},
        format="json",
    )
    assert set(_errors(response)) == {"baseline", "target"}
    sla = SLAFactory(product=product)
    response = alice_api.patch(
        f"/api/v1/slas/{sla.pk}/", {"threshold": True}, format="json"
    )
    assert "threshold" in _errors(response)
    response = alice_api.post(
        f"/api/v1/slas/{sla.pk}/checks/", {"value": True}, format="json"
    )
    assert "value" in _errors(response)


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def test_no_input_serializer_takes_a_boolean_for_a_float():
    """Every writable float field of the API is tracker.lib.api's FloatField:
    serializers built on tracker.lib.api.ModelSerializer get it for float columns."""
    lenient = []
    for serializer in _all_subclasses(serializers.Serializer):
        outputs = ("Out", "Output")  # the naming convention of response serializers
        if not serializer.__module__.startswith("tracker.") or (
            serializer.__name__.endswith(outputs)
        ):
            continue
        try:
            fields = serializer().fields
        except Exception:  # one needing arguments is checked where it is built
            continue
        lenient += [
            f"{serializer.__qualname__}.{name}"
            for name, field in fields.items()
            if isinstance(field, serializers.FloatField)
            and not isinstance(field, FloatField)
            and not field.read_only
        ]
    assert not lenient
