"""SLAs and their checks over the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import SLACheckFactory, SLAFactory
from tracker.products.models import ServiceLevel, SLACheck


@pytest.fixture
def sla(product):
    return SLAFactory(product=product, name="p95 latency", threshold=100.0)


def test_create_sla(bob_api, product):
    response = bob_api.post(
        "/api/v1/products/fraud-score/slas/",
        {
            "name": "Availability",
            "indicator": "availability_pct",
            "comparator": "gte",
            "threshold": 99.5,
            "window_days": 28,
            "objective": 99,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["compliance"]["checks"] == 0
    assert body["compliance"]["percent"] is None
    assert body["html_url"].startswith("http://testserver/products/fraud-score/slas/")


@pytest.mark.parametrize(
    "bad",
    [
        {"objective": 0},
        {"objective": 101},
        {"window_days": 0},
        {"comparator": "eq"},
        {"indicator": "vibes"},
    ],
)
def test_invalid_sla_is_400(alice_api, product, bad):
    body = {"name": "X", "indicator": "custom", "threshold": 1, **bad}
    response = alice_api.post("/api/v1/products/fraud-score/slas/", body, format="json")
    assert response.status_code == 400
    assert not ServiceLevel.objects.exists()


def test_outsider_cannot_create_or_patch_sla(carol_api, product, sla):
    body = {"name": "X", "indicator": "custom", "threshold": 1}
    created = carol_api.post("/api/v1/products/fraud-score/slas/", body, format="json")
    assert created.status_code == 403
    patched = carol_api.patch(
        f"/api/v1/slas/{sla.pk}/", {"threshold": 1}, format="json"
    )
    assert patched.status_code == 403
    assert ServiceLevel.objects.count() == 1


def test_compliance_over_the_window(carol_api, sla):
    now = timezone.now()
    SLACheckFactory(sla=sla, value=50, checked_at=now - timedelta(hours=1))
    SLACheckFactory(sla=sla, value=150, checked_at=now - timedelta(hours=2))
    SLACheckFactory(sla=sla, value=150, checked_at=now - timedelta(days=30))  # old
    body = carol_api.get(f"/api/v1/slas/{sla.pk}/").json()
    assert body["compliance"]["checks"] == 2
    assert body["compliance"]["passed"] == 1
    assert body["compliance"]["percent"] == 50.0
    assert body["compliance"]["meets_objective"] is False


def test_patch_sla(alice_api, sla):
    response = alice_api.patch(
        f"/api/v1/slas/{sla.pk}/", {"threshold": 120}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["threshold"] == 120


@pytest.mark.parametrize("count", [2, 8])
def test_sla_list_queries_do_not_grow(
    count, alice_api, product, django_assert_max_num_queries
):
    for _ in range(count):
        SLACheckFactory(sla=SLAFactory(product=product))
    with django_assert_max_num_queries(7):
        response = alice_api.get("/api/v1/products/fraud-score/slas/")
    assert response.json()["count"] == count
    assert all(s["compliance"]["checks"] == 1 for s in response.json()["results"])


def test_record_check(bob_api, sla):
    response = bob_api.post(
        f"/api/v1/slas/{sla.pk}/checks/", {"value": 130}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["passed"] is False
    assert SLACheck.objects.get().source == "api"


def test_posting_a_check_to_another_teams_sla_is_403(carol_api, sla):
    response = carol_api.post(
        f"/api/v1/slas/{sla.pk}/checks/", {"value": 1}, format="json"
    )
    assert response.status_code == 403
    assert not SLACheck.objects.exists()


def test_future_check_is_400(alice_api, sla):
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    response = alice_api.post(
        f"/api/v1/slas/{sla.pk}/checks/",
        {"value": 1, "checked_at": later},
        format="json",
    )
    assert response.status_code == 400
    assert "checked_at" in response.json()["error"]["fields"]


def test_checks_list_filters(carol_api, sla):
    SLACheckFactory(sla=sla, value=50)
    SLACheckFactory(sla=sla, value=500)
    url = f"/api/v1/slas/{sla.pk}/checks/"
    failed = carol_api.get(url + "?passed=false").json()["results"]
    assert [c["value"] for c in failed] == [500]


@pytest.mark.parametrize("count", [2, 10])
def test_check_list_queries_do_not_grow(
    count, alice_api, sla, django_assert_max_num_queries
):
    for _ in range(count):
        SLACheckFactory(sla=sla)
    with django_assert_max_num_queries(5):
        response = alice_api.get(f"/api/v1/slas/{sla.pk}/checks/")
    assert response.json()["count"] == count


def test_unknown_sla_is_404(alice_api, db):
    assert alice_api.get("/api/v1/slas/999/").status_code == 404
    response = alice_api.post("/api/v1/slas/999/checks/", {"value": 1}, format="json")
    assert response.status_code == 404
