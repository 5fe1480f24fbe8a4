"""The demo's integrations: Risk & Payments' Prometheus and GitHub repository,
and a signed JSON webhook subscribed to Fraud score's incidents and follow-ups.

Written through the integrations services, with addresses on example hosts:
seeding calls nothing outside (no SLA is measured by the Prometheus connection,
no issue is opened, no event has happened since the webhook subscribed)."""

from tracker.accounts.models import Team
from tracker.demo.people import user_named
from tracker.integrations.models import ConnectionKind, Event, WebhookKind
from tracker.integrations.services.connections import connection_create
from tracker.integrations.services.webhooks import webhook_subscribe
from tracker.products.models import Product


def seed_integrations() -> None:
    team = Team.objects.get(slug="risk-payments")
    bob = user_named("bob")
    connection_create(
        actor=bob,
        data={
            "name": "Risk Prometheus",
            "kind": ConnectionKind.PROMETHEUS,
            "team": team,
            "base_url": "http://prometheus.example.org:9090",
        },
    )
    connection_create(
        actor=bob,
        data={
            "name": "fraud-score repository",
            "kind": ConnectionKind.GITHUB,
            "team": team,
            "base_url": "https://api.github.com",
            "repository": "example-org/fraud-score",
            "webhook_secret": "demo-issues-webhook-secret",
        },
    )
    webhook_subscribe(
        actor=user_named("alice"),
        product=Product.objects.get(slug="fraud-score"),
        data={
            "name": "Fraud score on-call receiver",
            "kind": WebhookKind.GENERIC,
            "url": "https://hooks.example.org/ml-tracker/fraud-score",
            "events": [
                Event.INCIDENT_OPENED,
                Event.INCIDENT_RESOLVED,
                Event.POSTMORTEM_PUBLISHED,
                Event.POLICY_VIOLATION,
            ],
        },
    )
