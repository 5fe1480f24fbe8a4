"""Celery tasks for integrations: thin, they take ids and call one service.
Every call to an outside system happens here, never in a web request.

Beat runs `webhooks_sweep` every minute: it records a delivery per new event
and subscription and queues the due ones (new, and retries whose back-off has
passed); `webhook_deliver` claims one and sends it.
"""

from celery import shared_task
from django.utils import timezone

from tracker.integrations.services import webhooks


@shared_task
def webhooks_sweep() -> int:
    """Record new events' deliveries and queue the due ones; how many queued."""
    now = timezone.now()
    webhooks.webhook_deliveries_create(now=now)
    due = webhooks.webhook_deliveries_due(now=now)
    for pk in due:
        webhook_deliver.delay(pk)
    return len(due)


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int) -> str | None:
    """Send one delivery if it is still due; its status after the attempt."""
    delivery = webhooks.webhook_delivery_send(delivery_id=delivery_id)
    return delivery.status if delivery else None
