"""Success metrics and measurements over the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MeasurementFactory, MetricFactory, ProductFactory
from tracker.products.models import Measurement, SuccessMetric


@pytest.fixture
def metric(product, alice):
    return MetricFactory(
        product=product,
        name="Fraud losses",
        baseline=100.0,
        baseline_at=timezone.now().date() - timedelta(days=30),
        target=60.0,
        direction="lower",
        owner=alice,
    )


def test_create_metric(bob_api, product):
    response = bob_api.post(
        "/api/v1/products/fraud-score/metrics/",
        {
            "name": "Chargebacks",
            "kind": "business_kpi",
            "unit": "EUR/week",
            "direction": "lower",
            "baseline": 1200,
            "baseline_at": "2025-01-01",
            "target": 800,
            "target_date": "2026-12-31",
            "owner": "alice",
            "cadence_days": 14,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == "alice" and body["product"] == "fraud-score"
    assert body["next_due_at"] is None  # not launched, nothing measured
    assert body["html_url"].startswith(
        "http://testserver/products/fraud-score/metrics/"
    )


def test_metric_rules_from_the_model_apply(alice_api, product):
    response = alice_api.post(
        "/api/v1/products/fraud-score/metrics/",
        {"name": "Flat", "baseline": 5, "target": 5},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"baseline_at", "target"}


def test_duplicate_metric_name_is_400(alice_api, metric):
    response = alice_api.post(
        "/api/v1/products/fraud-score/metrics/",
        {"name": "Fraud losses"},
        format="json",
    )
    assert response.status_code == 400
    assert SuccessMetric.objects.count() == 1


def test_cadence_out_of_range_is_400(alice_api, product):
    response = alice_api.post(
        "/api/v1/products/fraud-score/metrics/",
        {"name": "Slow", "cadence_days": 9999},
        format="json",
    )
    assert response.status_code == 400


def test_outsider_cannot_create_metric(carol_api, product):
    response = carol_api.post(
        "/api/v1/products/fraud-score/metrics/", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 403
    assert not SuccessMetric.objects.exists()


def test_list_filter_and_retrieve(carol_api, metric, product):
    MetricFactory(product=product, name="AUC", kind="model_metric")
    listed = carol_api.get("/api/v1/products/fraud-score/metrics/?kind=model_metric")
    assert [m["name"] for m in listed.json()["results"]] == ["AUC"]
    owned = carol_api.get("/api/v1/products/fraud-score/metrics/?owner=alice")
    assert [m["name"] for m in owned.json()["results"]] == ["Fraud losses"]
    detail = carol_api.get(f"/api/v1/metrics/{metric.pk}/")
    assert detail.status_code == 200 and detail.json()["direction"] == "lower"


@pytest.mark.parametrize("count", [2, 8])
def test_metric_list_queries_do_not_grow(
    count, alice_api, product, django_assert_max_num_queries
):
    for _ in range(count):
        MetricFactory(product=product, owner=product.pm_owner)
    with django_assert_max_num_queries(6):  # 6th: each segment's latest value
        response = alice_api.get("/api/v1/products/fraud-score/metrics/")
    assert response.json()["count"] == count


def test_patch_metric_reschedules_follow_up(alice_api, metric, product):
    product.launched_at = timezone.now() - timedelta(days=3)
    product.save()
    response = alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"cadence_days": 7}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["next_due_at"] is not None


def test_outsider_cannot_patch_metric(carol_api, metric):
    response = carol_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 403
    metric.refresh_from_db()
    assert metric.name == "Fraud losses"


def test_record_measurement(bob_api, metric, bob):
    response = bob_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/",
        {"value": 91.5, "measured_at": "2025-03-01T10:00:00Z", "note": "March"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    measurement = Measurement.objects.get()
    assert measurement.source == "api" and measurement.recorded_by == bob
    metric.refresh_from_db()
    assert metric.next_due_at == measurement.measured_at + timedelta(days=30)


def test_measured_at_defaults_to_now(alice_api, metric):
    response = alice_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": 1}, format="json"
    )
    assert response.status_code == 201


def test_future_measurement_is_400(alice_api, metric):
    later = (timezone.now() + timedelta(days=2)).isoformat()
    response = alice_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/",
        {"value": 1, "measured_at": later},
        format="json",
    )
    assert response.status_code == 400
    assert "measured_at" in response.json()["error"]["fields"]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999", "", None, "ten"])
def test_non_numbers_are_400(alice_api, metric, value):
    response = alice_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": value}, format="json"
    )
    assert response.status_code == 400
    assert not Measurement.objects.exists()


def test_posting_to_another_teams_metric_is_403(carol_api, metric):
    response = carol_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": 1}, format="json"
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_measurements_list_and_filter(carol_api, metric):
    MeasurementFactory(metric=metric, value=1, measured_at="2025-01-01T00:00:00Z")
    MeasurementFactory(metric=metric, value=2, measured_at="2025-02-01T00:00:00Z")
    url = f"/api/v1/metrics/{metric.pk}/measurements/"
    values = [m["value"] for m in carol_api.get(url).json()["results"]]
    assert values == [2, 1]  # newest first
    later = carol_api.get(url + "?measured_after=2025-01-15T00:00:00Z").json()
    assert [m["value"] for m in later["results"]] == [2]


@pytest.mark.parametrize("count", [2, 10])
def test_measurement_list_queries_do_not_grow(
    count, alice_api, metric, alice, django_assert_max_num_queries
):
    for _ in range(count):
        MeasurementFactory(metric=metric, recorded_by=alice)
    with django_assert_max_num_queries(5):
        response = alice_api.get(f"/api/v1/metrics/{metric.pk}/measurements/")
    assert response.json()["count"] == count


def test_delete_measurement(alice_api, carol_api, metric):
    measurement = MeasurementFactory(metric=metric)
    url = f"/api/v1/metrics/{metric.pk}/measurements/{measurement.pk}/"
    assert carol_api.get(url).json()["value"] == measurement.value
    assert carol_api.delete(url).status_code == 403
    assert alice_api.delete(url).status_code == 204
    assert not Measurement.objects.exists()


def test_measurement_of_another_metric_is_404(alice_api, metric):
    elsewhere = MeasurementFactory(metric=MetricFactory(product=ProductFactory()))
    url = f"/api/v1/metrics/{metric.pk}/measurements/{elsewhere.pk}/"
    assert alice_api.get(url).status_code == 404
    assert alice_api.delete(url).status_code == 404


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("2025-01-15T00:00:00+20:51", 200),  # beyond PostgreSQL's offset range
        ("0001-01-01T00:00:00+05:00", 400),  # before year 1 in UTC
        ("next tuesday", 400),
    ],
)
def test_datetime_filters_are_normalised_or_refused(alice_api, metric, moment, status):
    response = alice_api.get(
        f"/api/v1/metrics/{metric.pk}/measurements/",
        {"measured_after": moment},
    )
    assert response.status_code == status
