"""Fixtures for the incidents tests: integrations with their one-time secrets,
the real-shaped alert payloads in tests/fixtures/alerts, and a delivery helper."""

import copy
import json
from pathlib import Path

import pytest
from django.test import Client

from tracker.incidents import services
from tracker.incidents.models import AlertIntegration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alerts"


def load_payload(name: str) -> dict:
    """A fresh copy of a fixture payload (tests may change it)."""
    return copy.deepcopy(json.loads((FIXTURES / name).read_text()))


def make_integration(
    actor, *, kind: str = "alertmanager", product=None, hmac_secret: str = ""
) -> AlertIntegration:
    integration, secret = services.integration_create(
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


def deliver(integration, body, *, secret: str | None = None, **headers):
    """POST a delivery as the monitoring tool would (no session, no CSRF token)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    token = integration.secret if secret is None else secret
    if token:
        headers.setdefault("Authorization", f"Bearer {token}")
    return Client(enforce_csrf_checks=True).post(
        f"/hooks/alerts/{integration.pk}/",
        data=raw,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def am(alice, team):
    """An Alertmanager integration without a default product (routes by label)."""
    return make_integration(alice)


@pytest.fixture
def grafana(alice, team):
    return make_integration(alice, kind="grafana")
