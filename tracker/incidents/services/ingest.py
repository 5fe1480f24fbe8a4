"""Alert ingestion: a webhook delivery's alerts open, update or resolve incidents.

Idempotent and race-free: an integration has at most one unresolved incident
per alert fingerprint (a partial unique index), so repeated, retried and
concurrent deliveries of the same alert change nothing.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.incidents.alerts import AlertEvent, parse_envelope, parse_payload
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    AlertDelivery,
    AlertIntegration,
    DeliveryState,
    EntryKind,
    Incident,
    Status,
)

# Package-internal building blocks shared with the incident services.
from tracker.incidents.services.incidents import (
    _apply_changes,
    _incident_insert,
    _record,
    _save,
    _set_status,
)
from tracker.products.models import Product
from tracker.products.selectors import user_can_edit_product

OPENED, UPDATED, RESOLVED, UNCHANGED = "opened", "updated", "resolved", "unchanged"
ALERT_OUTCOMES = (OPENED, UPDATED, RESOLVED, UNCHANGED)
# last_delivery_at is display information; refreshing it on every delivery would
# serialise concurrent deliveries on the integration's row lock.
TOUCH_INTERVAL = timedelta(minutes=1)
# A resolution arriving later than this says in its note when the alert ended.
LATE_NEWS = timedelta(minutes=5)
# Lost insert races before giving up; one is the norm (see _alert_fire).
UPSERT_ATTEMPTS = 3
ALERT_RAW = ("labels", "annotations", "generator_url", "dashboard_url")
# A task that claimed a delivery and did not finish in this long died: another
# may take it over (ingesting again is harmless).
CLAIM_LEASE = timedelta(minutes=10)
# The sweep leaves a fresh pending delivery to the task queued for it.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 500
# Of a refused delivery from a sender that authenticated, this much is kept.
REFUSED_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Route:
    """Where an alert naming a product goes: the product, or the inbox and why."""

    product: Product | None
    refusal: str = ""


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
    _touch_integration(integration, now)
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
    batch = parse_payload(delivery.body.encode("utf-8"), kind=integration.kind)
    products: dict[str, Route] = {}
    outcomes: Counter[str] = Counter()
    rejections = [{"alert": r.index, "reason": r.reason} for r in batch.rejected]
    # Alerts are locked in fingerprint order, so two deliveries holding the
    # same alerts in another order wait for each other instead of deadlocking.
    for index, event in sorted(
        enumerate(batch.alerts), key=lambda pair: pair[1].fingerprint
    ):
        try:
            with transaction.atomic():
                outcomes[
                    alert_apply(
                        integration=integration,
                        event=event,
                        now=delivery.received_at,  # detected when it arrived
                        products=products,
                    )
                ] += 1
        except (DataError, ValidationError) as exc:
            rejections.append({"alert": index, "reason": _reason(exc)})
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


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:300]
    return f"The database refused the alert: {str(exc).splitlines()[0]}"[:300]


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


@transaction.atomic(savepoint=False)
def alert_apply(
    *,
    integration: AlertIntegration,
    event: AlertEvent,
    now: datetime,
    products: dict[str, Route] | None = None,
) -> str:
    """Open, update or resolve the incident of one alert; returns the outcome.

    Idempotent: the same alert delivered again (or concurrently) changes nothing.
    """
    if event.firing:
        return _alert_fire(
            integration, event, now, {} if products is None else products
        )
    return _alert_resolve(integration, event, now)


def _active_alert_incident(
    integration: AlertIntegration, fingerprint: str, *, lock: bool = True
) -> Incident | None:
    incidents = Incident.objects.filter(
        integration=integration, fingerprint=fingerprint, status__in=ACTIVE_STATUSES
    )
    return (incidents.select_for_update() if lock else incidents).first()


def _alert_unchanged(incident: Incident, event: AlertEvent) -> bool:
    # Everything else an alert says is derived from these four.
    return all(getattr(incident, field) == getattr(event, field) for field in ALERT_RAW)


def _route(
    integration: AlertIntegration, event: AlertEvent, products: dict[str, Route]
) -> Route:
    """The `product` label's product, if the integration may route to it, else
    the inbox with the reason; no label: the integration's default product
    (else the inbox). Looked up once per slug per delivery.

    An integration routes only to products its creator may put incidents on
    (their team's, or products they own): anyone may create an integration, so
    routing by label alone would let them open incidents on any product, a
    private team's included. Unknown and forbidden slugs read alike, so the
    answer tells nobody which private products exist."""
    slug = event.product_slug
    if not slug:
        return Route(integration.product)
    if slug not in products:
        product = Product.objects.filter(slug=slug).first()
        owner = integration.created_by
        if product is not None and owner is not None and owner.is_active:
            allowed = user_can_edit_product(owner, product)
        else:
            allowed = False
        products[slug] = (
            Route(product)
            if allowed
            else Route(
                None,
                f"The alert names product “{slug}”, which this integration may "
                "not route to: no such product, or not one its creator's team "
                "owns. It waits here for triage.",
            )
        )
    return products[slug]


def _alert_data(event: AlertEvent) -> dict[str, Any]:
    return {
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "severity": event.severity,
        "fingerprint": event.fingerprint,
        "labels": event.labels,
        "annotations": event.annotations,
        "generator_url": event.generator_url,
        "dashboard_url": event.dashboard_url,
        "runbook_url": event.runbook_url,
    }


class _AlreadyResolved(Exception):
    """Raised inside the insert's savepoint to undo it (see _alert_fire)."""


def _alert_fire(
    integration: AlertIntegration,
    event: AlertEvent,
    now: datetime,
    products: dict[str, Route],
) -> str:
    """Update the alert's unresolved incident, or open one: race-free because
    the partial unique index lets only one concurrent insert through."""
    # The common case, a repeat of a known alert, reads without locking: no row
    # lock to write, nothing to wait for. Acting on a row read a moment before a
    # concurrent change is the same as having arrived just before it.
    seen = _active_alert_incident(integration, event.fingerprint, lock=False)
    if seen is not None and _alert_unchanged(seen, event):
        return UNCHANGED
    for attempt in range(UPSERT_ATTEMPTS):
        incident = _active_alert_incident(integration, event.fingerprint)
        if incident is not None:
            return _alert_refresh(incident, event, now, integration, products)
        route = _route(integration, event, products)
        try:
            with transaction.atomic():
                incident = _incident_insert(
                    actor=None,
                    source=integration.source,
                    now=now,
                    data={
                        **_alert_data(event),
                        "product": route.product,
                        "integration": integration,
                        "started_at": event.starts_at,
                    },
                )
                # Checked after the insert, not before: an incident for this
                # occurrence opened and resolved by concurrent deliveries in
                # between is committed by now, so this statement sees it.
                if _occurrence_resolved(integration, event, incident):
                    raise _AlreadyResolved
                _note_refusal(incident, route, integration, now)
            return OPENED
        except _AlreadyResolved:
            return UNCHANGED
        except IntegrityError:
            # A concurrent delivery of this alert inserted first. Our insert
            # waited for its commit, so the next look finds its incident.
            if attempt == UPSERT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _occurrence_resolved(
    integration: AlertIntegration, event: AlertEvent, new: Incident
) -> bool:
    """This firing (same alert, same start) was already resolved, by the alert
    or by a person: a late or repeated delivery must not reopen it."""
    if event.starts_at is None:
        return False
    return (
        Incident.objects.filter(
            integration=integration,
            fingerprint=event.fingerprint,
            status=Status.RESOLVED,
            started_at=new.started_at,
        )
        .exclude(pk=new.pk)
        .exists()
    )


def _alert_refresh(
    incident: Incident,
    event: AlertEvent,
    now: datetime,
    integration: AlertIntegration,
    products: dict[str, Route],
) -> str:
    """Follow changes of a still-firing alert.

    Severity, title and kind change only when the alert's own value changed, so
    a person's override survives repeated deliveries; a product is set only on
    an incident still in the inbox.
    """
    if _alert_unchanged(incident, event):
        return UNCHANGED
    data = _alert_data(event)
    before = AlertEvent(
        status="firing",
        fingerprint=incident.fingerprint,
        labels=incident.labels,
        annotations=incident.annotations,
        starts_at=None,
        ends_at=None,
    )
    changes = {
        field: getattr(event, field)
        for field in ("title", "severity", "kind")
        if getattr(event, field) != getattr(before, field)
    }
    route = None
    if incident.product_id is None:
        route = _route(integration, event, products)
        changes["product"] = route.product
    _apply_changes(incident, changes, actor=None, source=integration.source, at=now)
    context = ["description", "labels", "annotations"]
    context += ["generator_url", "dashboard_url", "runbook_url"]
    for field in context:
        setattr(incident, field, data[field])
    _save(incident, context)
    if route is not None and route.product is None:
        _note_refusal(incident, route, integration, now)
    return UPDATED


def _note_refusal(
    incident: Incident, route: Route, integration: AlertIntegration, now: datetime
) -> None:
    """Say on the timeline why an alert naming a product waits in the inbox
    (once per incident: repeats of the same alert add nothing)."""
    if not route.refusal:
        return
    if incident.timeline.filter(kind=EntryKind.NOTE, note=route.refusal).exists():
        return
    _record(
        incident,
        kind=EntryKind.NOTE,
        actor=None,
        source=integration.source,
        at=now,
        note=route.refusal,
    )


def _alert_resolve(
    integration: AlertIntegration, event: AlertEvent, now: datetime
) -> str:
    # Repeated resolved notifications are the norm: look before locking.
    if _active_alert_incident(integration, event.fingerprint, lock=False) is None:
        return UNCHANGED
    incident = _active_alert_incident(integration, event.fingerprint)
    if incident is None:
        return UNCHANGED
    ended = min(event.ends_at or now, now)
    _set_status(
        incident,
        Status.RESOLVED,
        actor=None,
        source=integration.source,
        at=ended,
        recorded_at=now,
        note=_ended_note(ended, now),
    )
    return RESOLVED


def _ended_note(ended: datetime, now: datetime) -> str:
    """Say when the alert really ended if the news came late (a retried or
    delayed delivery), since the timeline row is dated on arrival."""
    if now - ended < LATE_NEWS:
        return ""
    return f"The alert ended at {ended:%Y-%m-%d %H:%M} UTC."
