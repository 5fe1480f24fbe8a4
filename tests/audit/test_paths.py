"""Every way in is recorded with its actor and how: pages, the API (people and
CI tokens), the admin, the alert hook; and the CI hot path stays lean."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.audit.conftest import events_of, last_event, queries_of
from tests.conftest import bearer
from tests.factories import MeasurementFactory, MetricFactory, SLAFactory
from tests.incidents.conftest import deliver, load_payload, make_integration
from tracker.audit.models import Action, AuditEvent, Via
from tracker.incidents.models import Incident
from tracker.products.models import Measurement

pytestmark = pytest.mark.django_db


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Losses", baseline=410, target=290)


def test_a_page_form_records_the_signed_in_person(alice_client, alice, metric):
    response = alice_client.post(
        f"/products/fraud-score/metrics/{metric.pk}/edit/",
        {
            "name": "Chargeback losses",
            "kind": "business_kpi",
            "direction": "lower",
            "baseline": "410",
            "baseline_at": "2026-01-01",
            "target": "300",
            "cadence_days": "30",
        },
    )
    assert response.status_code == 302
    event = last_event(metric)
    assert (event.actor_id, event.via) == (alice.pk, Via.WEB)
    assert event.changes["name"] == ["Losses", "Chargeback losses"]
    assert event.changes["target"] == [290.0, 300.0]
    assert event.changes["direction"] == ["higher", "lower"]


def test_deleting_a_measurement_on_its_page(alice_client, alice, metric):
    measurement = MeasurementFactory(metric=metric, value=350)
    measurement_id = measurement.pk
    alice_client.post(
        f"/products/fraud-score/metrics/{metric.pk}/measurements/{measurement_id}/delete/"
    )
    event = AuditEvent.objects.get(object_id=measurement_id, action=Action.DELETE)
    assert (event.actor_id, event.via, event.parent_id) == (alice.pk, "web", metric.pk)


def test_the_api_records_the_token_s_person(alice_api, alice, metric):
    response = alice_api.patch(
        f"/api/v1/metrics/{metric.pk}/", {"unit": "EUR"}, format="json"
    )
    assert response.status_code == 200
    event = last_event(metric)
    assert (event.actor_id, event.actor_label, event.via) == (
        alice.pk,
        "Alice (alice)",
        Via.API,
    )
    assert event.changes == {"unit": ["", "EUR"]}


def test_a_ci_token_is_named_with_its_product(ci_api, metric):
    response = ci_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": 350}, format="json"
    )
    assert response.status_code == 201
    event = last_event(Measurement.objects.get(pk=response.json()["id"]))
    assert (event.actor_id, event.via) == (None, Via.CI)
    assert event.actor_label == "CI token “github actions” for fraud-score"
    assert event.changes["source"] == [None, "ci"]


def test_a_ci_measurement_costs_one_insert(ci_raw, metric, product):
    """The CI hot path: the audit event is the only extra statement (no read of
    the metric, its product or the token's)."""
    client = bearer(ci_raw)
    url = f"/api/v1/metrics/{metric.pk}/measurements/"
    client.post(url, {"value": 1}, format="json")  # warm the token's last use
    sql = queries_of(lambda: client.post(url, {"value": 2}, format="json"))
    audit = [q for q in sql if "audit_auditevent" in q]
    assert len(audit) == 1 and audit[0].startswith("INSERT")
    assert not [q for q in sql if q.startswith('SELECT "products_product"')]


def test_the_admin_records_changes_and_deletes(client, alice, product):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    sla = SLAFactory(product=product, name="Latency", threshold=100)
    response = client.post(
        f"/admin/products/servicelevel/{sla.pk}/change/",
        {
            "product": product.pk,
            "name": "Latency p99",
            "indicator": "latency_p95_ms",
            "description": "",
            "comparator": "lte",
            "threshold": "120",
            "window_days": "7",
            "objective": "90",
            "auto_resolve": "on",
        },
    )
    assert response.status_code == 302, response.content
    event = last_event(sla)
    assert (event.actor_id, event.via) == (alice.pk, Via.ADMIN)
    assert event.changes == {
        "name": ["Latency", "Latency p99"],
        "threshold": [100.0, 120.0],
    }
    sla_id = sla.pk
    response = client.post(
        f"/admin/products/servicelevel/{sla_id}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    deleted = AuditEvent.objects.get(object_id=sla_id, action=Action.DELETE)
    assert (deleted.via, deleted.product_slug) == (Via.ADMIN, "fraud-score")


def test_the_alert_hook_records_its_integration(alice, product):
    integration = make_integration(alice)
    assert (
        deliver(integration, load_payload("alertmanager-v4-firing.json")).status_code
        == 202
    )
    incident = Incident.objects.get()
    (event,) = events_of(incident)
    assert event.action == Action.CREATE
    assert (event.actor_id, event.via) == (None, Via.ALERT)
    assert event.actor_label == "alert integration “alertmanager test”"
    assert event.changes["labels"][1]["feature"] == "merchant_country"
    resolved = load_payload("alertmanager-v4-resolved.json")
    deliver(integration, resolved)
    assert last_event(incident).changes["status"] == ["open", "resolved"]


def test_an_sla_breach_opens_an_incident_recorded_as_the_check_s(ci_api, product):
    sla = SLAFactory(product=product, threshold=100)
    response = ci_api.post(
        f"/api/v1/slas/{sla.pk}/checks/",
        {
            "value": 500,
            "checked_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201
    event = last_event(Incident.objects.get(sla=sla))
    assert (event.via, event.action) == (Via.CI, Action.CREATE)
