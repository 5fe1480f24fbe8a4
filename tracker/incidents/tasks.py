"""Celery tasks for incidents: thin wrappers that take ids and call one service.

The alert receiver stores each delivery and queues `delivery_ingest` once the
row is committed; beat runs `deliveries_sweep` every minute for deliveries whose
task was never queued (Redis down) or whose worker died, so none is lost.
"""

from celery import shared_task

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.incidents.models import AlertDelivery
from tracker.incidents.services import ingest


@shared_task(acks_late=True)
def delivery_ingest(delivery_id: int) -> int | None:
    """Ingest one stored delivery; its id, or None if there was nothing to do."""
    name = (
        AlertDelivery.objects.filter(pk=delivery_id)
        .values_list("integration__name", flat=True)
        .first()
    )
    with acting(via=Via.ALERT, label=f"alert integration “{name}”"):
        delivery = ingest.delivery_ingest(delivery_id=delivery_id)
    return delivery.pk if delivery else None


@shared_task
def deliveries_sweep() -> int:
    """Queue every delivery left pending; how many were queued."""
    stale = ingest.deliveries_stale()
    for pk in stale:
        delivery_ingest.delay(pk)
    return len(stale)
