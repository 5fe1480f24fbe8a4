"""Segments over the API: declaring them, measurements naming one, the worst
segment against the metric's floor, and the 400s of bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MetricFactory
from tracker.accounts.models import Visibility
from tracker.products.models import Measurement
from tracker.products.selectors import metric_list_with_latest

URL = "/api/v1/products/fraud-score/segments/"
SIZES = ["merchant_size=small", "merchant_size=medium", "merchant_size=large"]


@pytest.fixture
def metric(product):
    return MetricFactory(
        product=product,
        name="Recall",
        kind="model_metric",
        direction="higher",
        target=0.9,
        worst_case_floor=0.7,
    )


@pytest.fixture
def segmented(alice_api, product):
    response = alice_api.put(URL, {"segments": SIZES}, format="json")
    assert response.status_code == 200
    return product


def _measure(api, metric, value, segment="", days_ago=1):
    at = timezone.now() - timedelta(days=days_ago)
    body = {"value": value, "measured_at": at.isoformat(), "segment": segment}
    return api.post(f"/api/v1/metrics/{metric.pk}/measurements/", body, format="json")


def test_declared_segments_are_listed_sorted(alice_api, segmented):
    assert alice_api.get(URL).json() == {"segments": sorted(SIZES)}


def test_latest_value_per_segment_and_worst_segment(alice_api, segmented, metric):
    _measure(alice_api, metric, 0.5, "merchant_size=small", days_ago=5)
    _measure(alice_api, metric, 0.75, "merchant_size=small", days_ago=1)
    _measure(alice_api, metric, 0.66, "merchant_size=medium")
    _measure(alice_api, metric, 0.95, "merchant_size=large")
    _measure(alice_api, metric, 0.85)  # the whole metric
    body = alice_api.get(f"/api/v1/metrics/{metric.pk}/").json()
    latest = {s["name"]: (s["value"], s["meets_floor"]) for s in body["segments"]}
    assert latest == {
        "merchant_size=small": (0.75, True),
        "merchant_size=medium": (0.66, False),
        "merchant_size=large": (0.95, True),
    }
    assert body["worst_segment"]["name"] == "merchant_size=medium"
    assert body["worst_segment"]["value"] == 0.66


def test_whole_metric_latest_ignores_segment_values(segmented, metric):
    Measurement.objects.create(metric=metric, value=0.8, measured_at=timezone.now())
    Measurement.objects.create(
        metric=metric,
        value=0.1,
        measured_at=timezone.now(),
        segment=segmented.segments.get(name="merchant_size=small"),
    )
    (found,) = metric_list_with_latest(product=segmented)
    assert found.latest.value == 0.8


def test_measurement_names_its_segment(alice_api, segmented, metric):
    response = _measure(alice_api, metric, 0.8, "merchant_size=small")
    assert response.status_code == 201
    assert response.json()["segment"] == "merchant_size=small"


def test_unknown_segment_is_400_naming_the_field(alice_api, segmented, metric):
    response = _measure(alice_api, metric, 0.8, "merchant_size=huge")
    assert response.status_code == 400
    assert "segment" in response.json()["error"]["fields"]
    assert not Measurement.objects.exists()


def test_segment_on_product_without_segments_is_400(alice_api, metric):
    response = _measure(alice_api, metric, 0.8, "merchant_size=small")
    assert response.status_code == 400
    assert "declares no segments" in response.json()["error"]["fields"]["segment"][0]


def test_malformed_segment_name_is_400(alice_api, product):
    response = alice_api.put(URL, {"segments": ["no equals sign"]}, format="json")
    assert response.status_code == 400
    assert "segments" in response.json()["error"]["fields"]


def test_segment_in_use_cannot_be_dropped(alice_api, segmented, metric):
    _measure(alice_api, metric, 0.8, "merchant_size=small")
    response = alice_api.put(URL, {"segments": SIZES[1:]}, format="json")
    assert response.status_code == 400
    assert segmented.segments.count() == 3


@pytest.mark.parametrize(("direction", "floor"), [("higher", 0.95), ("lower", 0.85)])
def test_floor_on_wrong_side_of_target_is_400(alice_api, metric, direction, floor):
    response = alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/",
        {"direction": direction, "worst_case_floor": floor},
        format="json",
    )
    assert response.status_code == 400
    assert "worst_case_floor" in response.json()["error"]["fields"]


def test_ceiling_above_target_is_fine_when_lower_is_better(alice_api, metric):
    response = alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/",
        {"direction": "lower", "worst_case_floor": 1.2},
        format="json",
    )
    assert response.status_code == 200


def test_outsider_gets_404(carol_api, product, team):
    team.visibility = Visibility.PRIVATE
    team.save()
    url = URL
    assert carol_api.get(url).status_code == 404
    assert carol_api.put(url, {"segments": []}, format="json").status_code == 404


def test_reader_cannot_declare_segments(carol_api, product):
    response = carol_api.put(URL, {"segments": SIZES}, format="json")
    assert response.status_code == 403
