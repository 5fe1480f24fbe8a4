"""Celery tasks for integrations: thin, they take ids and call one service.
Every call to an outside system happens here, never in a web request.

Beat runs `slas_evaluate_due` every minute: each Prometheus SLA whose interval
has passed is evaluated by `sla_evaluate` (`manage.py evaluate_slas` does the
same at once). Beat runs `webhooks_sweep` every minute: it records a delivery
per new event and subscription and queues the due ones (new, and retries whose
back-off has passed); `webhook_deliver` claims one and sends it.
"""

from celery import shared_task
from django.utils import timezone

from tracker.integrations.services import github, prometheus, webhooks


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


@shared_task
def slas_evaluate_due() -> int:
    """Queue an evaluation of every Prometheus SLA that is due; how many."""
    due = prometheus.sla_queries_due(now=timezone.now())
    for pk in due:
        sla_evaluate.delay(pk)
    return len(due)


@shared_task(acks_late=True)
def sla_evaluate(sla_query_id: int) -> float | str | None:
    """Evaluate one SLA if still due: its value, the error, or None."""
    evaluation = prometheus.sla_query_evaluate(sla_query_id=sla_query_id)
    if evaluation is None:
        return None
    return evaluation.error or evaluation.value


@shared_task(acks_late=True)
def github_issue_create(link_id: int) -> int | None:
    """Open the GitHub issue of a pending link; its number, or None."""
    link = github.issue_create(link_id=link_id)
    return link.number if link else None
