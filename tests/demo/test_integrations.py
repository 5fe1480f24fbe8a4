"""The demo has a team's Prometheus and GitHub connections and a webhook
subscription, and seeding them calls nothing outside."""

from django.utils import timezone

from tracker.demo.seed import seed_demo
from tracker.integrations.models import (
    Connection,
    IssueLink,
    SLAQuery,
    WebhookDelivery,
    WebhookSubscription,
)
from tracker.integrations.services.webhooks import webhook_deliveries_create


def test_demo_has_connections_and_a_webhook_and_calls_nothing_outside(db):
    assert seed_demo()
    kinds = dict(Connection.objects.values_list("kind", "team__slug"))
    assert kinds == {"prometheus": "risk-payments", "github": "risk-payments"}
    github = Connection.objects.get(kind="github")
    assert github.repository == "example-org/fraud-score" and github.webhook_secret
    [subscription] = WebhookSubscription.objects.all()
    assert subscription.product.slug == "fraud-score"
    assert "policy.violation" in subscription.events
    # Nothing was or will be sent for what happened before it subscribed, no
    # query or issue calls out, and no connection has been used.
    assert not WebhookDelivery.objects.exists()
    webhook_deliveries_create(now=timezone.now())
    assert not WebhookDelivery.objects.exists()
    assert not SLAQuery.objects.exists() and not IssueLink.objects.exists()
    assert not Connection.objects.exclude(last_ok_at=None, last_error="").exists()
