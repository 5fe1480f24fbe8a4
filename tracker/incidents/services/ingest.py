"""Alert deliveries: a webhook delivery is stored as it arrives (accepted or
refused), then a task claims it and applies its alerts (services.alert_apply),
which open, update or resolve incidents.

Idempotent and race-free: an integration has at most one unresolved incident
per alert fingerprint (opened under the integration's lock, a partial unique
index behind it), so repeated, retried and concurrent deliveries of the same
alert change nothing.
"""

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from tracker.incidents.alerts import parse_envelope, parse_payload
from tracker.incidents.models import AlertDelivery, AlertIntegration, DeliveryState
from tracker.incidents.services.alert_apply import ALERT_OUTCOMES, alerts_apply

# last_delivery_at is display information (the delivery's arrival, set by the
# task that ingests it); refreshing it on every delivery would serialise the
# tasks on the integration's row lock.
TOUCH_INTERVAL = timedelta(minutes=1)
# A task that claimed a delivery and did not finish in this long died: another
# may take it over (ingesting again is harmless).
CLAIM_LEASE = timedelta(minutes=10)
# The sweep leaves a fresh pending delivery to the task queued for it.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 500
# Of a refused delivery from a sender that authenticated, this much is kept.
REFUSED_BODY_BYTES = 64 * 1024


def delivery_accept(
    *, integration: AlertIntegration, body: bytes, now: datetime | None = None
) -> AlertDelivery:
    """Store an authenticated delivery to be ingested (`delivery_ingest`, run by
    a task the caller queues once this commits). One INSERT: the sender gets its
    answer at once however many alerts it sent.

    Only the delivery as a whole is checked here (JSON, shape, version: cheap
    however many alerts it holds); its alerts are read by the task, which
    rejects a bad one alone. Raises alerts.AlertPayloadError, writing nothing,
    when the body is not a delivery we understand (then the caller records the
    refusal)."""
    envelope = parse_envelope(body, kind=integration.kind)
    now = now or timezone.now()
    delivery = AlertDelivery.objects.create(
        integration=integration,
        received_at=now,
        state=DeliveryState.PENDING,
        body=body.decode("utf-8"),
        status=envelope.status,
        alerts=len(envelope.alerts),
        truncated_alerts=envelope.truncated_alerts,
    )
    return delivery


def delivery_refuse(
    *,
    integration: AlertIntegration,
    reason: str,
    http_status: int,
    body: bytes = b"",
    now: datetime | None = None,
) -> AlertDelivery:
    """Record a refused delivery with the answer its sender got. `body` only
    for a sender that authenticated (a stranger's bytes are not kept)."""
    return AlertDelivery.objects.create(
        integration=integration,
        received_at=now or timezone.now(),
        state=DeliveryState.REFUSED,
        reason=reason[:300],
        http_status=http_status,
        body=body[:REFUSED_BODY_BYTES].decode("utf-8", errors="replace"),
    )


def delivery_ingest(
    *, delivery_id: int, now: datetime | None = None
) -> AlertDelivery | None:
    """Apply a pending delivery's alerts, each on its own: an alert that cannot
    be read or applied is rejected with its reason and the others go ahead.

    Claimed first (a conditional UPDATE), so two workers never ingest one
    delivery at once; a claim older than CLAIM_LEASE (its worker died) may be
    taken over. Applying an alert twice changes nothing, so a delivery ingested
    again after a crash, or sent again by its tool, opens nothing twice.
    Alerts are dated by the delivery's arrival: an incident is detected when
    the tracker heard of it, however late the task ran. Returns None when the
    delivery is not there to claim."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    integration = delivery.integration
    # Here, not in the receiver: the integration's row is the lock under which
    # incidents are opened (alert_apply), and accepting never waits on it.
    _touch_integration(integration, delivery.received_at)
    batch = parse_payload(delivery.body.encode("utf-8"), kind=integration.kind)
    outcomes, rejections = alerts_apply(
        integration=integration,
        alerts=list(enumerate(batch.alerts)),
        now=delivery.received_at,  # detected when it arrived
    )
    rejections += [{"alert": r.index, "reason": r.reason} for r in batch.rejected]
    delivery.status = batch.status
    delivery.rejections = sorted(rejections, key=lambda r: r["alert"])
    delivery.rejected = len(rejections)
    for outcome in ALERT_OUTCOMES:
        setattr(delivery, outcome, outcomes[outcome])
    delivery.state = DeliveryState.PROCESSED
    delivery.processed_at = timezone.now()
    done = ["status", "rejected", "rejections", "state", "processed_at"]
    delivery.save(update_fields=[*ALERT_OUTCOMES, *done])
    return delivery


def _claimable(now: datetime) -> Q:
    """Pending and claimed by no task, or by one whose lease ran out."""
    return Q(state=DeliveryState.PENDING) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE)
    )


def _claim(delivery_id: int, now: datetime) -> AlertDelivery | None:
    claimed = AlertDelivery.objects.filter(_claimable(now), pk=delivery_id).update(
        claimed_at=now
    )
    if not claimed:
        return None
    return AlertDelivery.objects.select_related("integration__product").get(
        pk=delivery_id
    )


def deliveries_stale(*, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose task never ran (the broker was down when they
    arrived) or whose worker died: the sweep queues them again."""
    now = now or timezone.now()
    return list(
        AlertDelivery.objects.filter(_claimable(now), received_at__lt=now - SWEEP_GRACE)
        .order_by("received_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def alerts_ingest(
    *, integration: AlertIntegration, body: bytes, now: datetime | None = None
) -> AlertDelivery:
    """Accept a delivery and ingest it at once: what the receiver and its task
    do, in one call (the demo data and scripts use it)."""
    delivery = delivery_accept(integration=integration, body=body, now=now)
    return delivery_ingest(delivery_id=delivery.pk, now=now) or delivery


def _touch_integration(integration: AlertIntegration, now: datetime) -> None:
    last = integration.last_delivery_at
    if last is not None and now - last < TOUCH_INTERVAL:
        return
    AlertIntegration.objects.filter(pk=integration.pk).filter(
        Q(last_delivery_at__isnull=True) | Q(last_delivery_at__lt=now - TOUCH_INTERVAL)
    ).update(last_delivery_at=now)
    integration.last_delivery_at = now
