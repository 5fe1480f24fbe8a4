"""The production-data survey over the API."""

from datetime import timedelta

import pytest

from tests.factories import FeatureFactory
from tracker.products.models import FeatureSource

URL = "/api/v1/products/fraud-score/survey/"


def test_add_a_feature_with_human_durations(bob_api, product):
    response = bob_api.post(
        URL,
        {
            "feature": "card_velocity_1h",
            "source_kind": "stream",
            "available_in_production": "partial",
            "computation": "streaming_aggregate",
            "freshness_needed": "15m",
            "freshness_actual": "PT2H",
            "owner": "payments platform",
            "skew_risk": "high",
            "simpler_alternative": "Count in the OLTP database",
            "quality_availability": "fair",
            "quality_timeliness": "poor",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["freshness_needed"] == "15m" and body["freshness_actual"] == "2h"
    assert body["is_risky"] is True and body["is_rated"] is False
    feature = FeatureSource.objects.get()
    assert feature.freshness_needed == timedelta(minutes=15)


@pytest.mark.parametrize(
    "bad",
    [
        {"freshness_needed": "soon"},
        {"freshness_actual": 15},
        {"available_in_production": "maybe"},
        {"computation": "magic"},
        {"skew_risk": "extreme"},
        {"quality_validity": "great"},
        {"source_kind": ""},
    ],
)
def test_invalid_feature_is_400(alice_api, product, bad):
    body = {"feature": "f", "source_kind": "warehouse", **bad}
    response = alice_api.post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(bad)
    assert not FeatureSource.objects.exists()


def test_outsider_cannot_add_edit_or_delete(carol_api, product):
    feature = FeatureFactory(product=product)
    body = {"feature": "x", "source_kind": "file"}
    assert carol_api.post(URL, body, format="json").status_code == 403
    detail = f"{URL}{feature.pk}/"
    assert carol_api.get(detail).status_code == 200
    assert carol_api.patch(detail, {"owner": "me"}, format="json").status_code == 403
    assert carol_api.delete(detail).status_code == 403
    assert FeatureSource.objects.count() == 1


def test_patch_and_delete(alice_api, product):
    feature = FeatureFactory(product=product)
    detail = f"{URL}{feature.pk}/"
    response = alice_api.patch(detail, {"freshness_needed": "1d 6h"}, format="json")
    assert response.status_code == 200
    assert response.json()["freshness_needed"] == "1d 6h"
    assert alice_api.delete(detail).status_code == 204
    assert not FeatureSource.objects.exists()


def test_feature_of_another_product_is_404(alice_api, product):
    other = FeatureFactory()
    assert alice_api.get(f"{URL}{other.pk}/").status_code == 404


def test_list_filters(carol_api, product):
    FeatureFactory(product=product, feature="a", available_in_production="no")
    FeatureFactory(product=product, feature="b", available_in_production="yes")
    body = carol_api.get(URL + "?available_in_production=no").json()
    assert [f["feature"] for f in body["results"]] == ["a"]


@pytest.mark.parametrize("count", [2, 8])
def test_survey_list_queries_do_not_grow(
    count, alice_api, product, django_assert_max_num_queries
):
    for _ in range(count):
        FeatureFactory(product=product)
    with django_assert_max_num_queries(5):
        response = alice_api.get(URL)
    assert response.json()["count"] == count
