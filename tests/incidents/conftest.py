"""Fixtures for the incidents tests: integrations with their one-time secrets,
the real-shaped alert payloads in tests/fixtures/alerts, and a delivery helper."""

import copy
import json
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import ProductFactory, UserFactory
from tracker.incidents import tasks
from tracker.incidents.models import AlertDelivery, AlertIntegration
from tracker.incidents.services.incidents import integration_create

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts"


def load_payload(name: str) -> dict:
    """A fresh copy of a fixture payload (tests may change it)."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def alert_payload(
    fingerprint: str, *, severity: str = "critical", product: str = "fraud-score"
) -> dict:
    """An Alertmanager delivery of one firing alert of its own (labels differ
    with the fingerprint, as distinct alerts' do)."""
    payload = load_payload("alertmanager-v4-firing.json")
    alert = payload["alerts"][0]
    alert["fingerprint"] = fingerprint
    alert["labels"].update(severity=severity, product=product, instance=fingerprint)
    return payload


def make_integration(
    actor, *, kind: str = "alertmanager", product=None, hmac_secret: str = ""
) -> AlertIntegration:
    integration, secret = integration_create(
        actor=actor,
        data={
            "name": f"{kind} test",
            "kind": kind,
            "product": product,
            "hmac_secret": hmac_secret,
        },
    )
    integration.secret = secret  # only tests keep it; the database has the hash
    return integration


def deliver(
    integration, body, *, secret: str | None = None, ingest: bool = True, **headers
):
    """POST a delivery as the monitoring tool would (no session, no CSRF token),
    then (unless `ingest` is false) ingest it as a worker would: the task the
    receiver queued on commit is run here, whether or not it ran already
    (ingesting twice changes nothing)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    token = integration.secret if secret is None else secret
    if token:
        headers.setdefault("Authorization", f"Bearer {token}")
    response = Client(enforce_csrf_checks=True).post(
        f"/hooks/alerts/{integration.pk}/",
        data=raw,
        content_type="application/json",
        headers=headers,
    )
    if ingest and response.status_code == 202:
        tasks.delivery_ingest(response.json()["delivery"])
    return response


def outcome(response) -> dict:
    """What the accepted delivery of `response` did, once ingested."""
    assert response.status_code == 202, response.content
    delivery = AlertDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.state == "processed"
    return {
        field: getattr(delivery, field)
        for field in (
            *("alerts", "opened", "updated", "resolved", "unchanged"),
            *("rejected", "truncated_alerts", "rejections"),
        )
    }


@pytest.fixture
def owned(team, alice, bob):
    """Fraud score with three owners: alice (PM), bob (ML), dan (engineering)."""
    return ProductFactory(
        name="Fraud score",
        slug="fraud-score",
        team=team,
        pm_owner=alice,
        ml_owner=bob,
        eng_owner=UserFactory(username="dan"),
    )


@pytest.fixture
def am(alice, team):
    """An Alertmanager integration without a default product (routes by label)."""
    return make_integration(alice)


@pytest.fixture
def grafana(alice, team):
    return make_integration(alice, kind="grafana")
