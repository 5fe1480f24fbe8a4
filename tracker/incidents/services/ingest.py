"""Alert ingestion: a webhook delivery's alerts open, update or resolve incidents.

Idempotent and race-free: an integration has at most one unresolved incident
per alert fingerprint (a partial unique index), so repeated, retried and
concurrent deliveries of the same alert change nothing.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.incidents.alerts import AlertEvent, parse_payload
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    AlertDelivery,
    AlertIntegration,
    Incident,
    Status,
)

# Package-internal building blocks shared with the incident services.
from tracker.incidents.services.incidents import (
    _apply_changes,
    _incident_insert,
    _save,
    _set_status,
)
from tracker.products.models import Product

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


def alerts_ingest(
    *, integration: AlertIntegration, body: bytes, now: datetime | None = None
) -> AlertDelivery:
    """Apply a delivery's alerts and keep it raw with what it did.

    Raises alerts.AlertPayloadError before writing anything when the body is not
    a delivery we understand. A delivery is applied in one transaction; sending
    it again (a retry) is safe because applying an alert twice changes nothing.
    """
    batch = parse_payload(body, kind=integration.kind)
    now = now or timezone.now()
    products: dict[str, Product | None] = {}
    # Alerts are locked in fingerprint order, so two deliveries holding the
    # same alerts in another order wait for each other instead of deadlocking.
    events = sorted(batch.alerts, key=lambda event: event.fingerprint)
    with transaction.atomic():  # the whole delivery, or none of it: one commit
        outcomes = Counter(
            alert_apply(
                integration=integration, event=event, now=now, products=products
            )
            for event in events
        )
        delivery = AlertDelivery.objects.create(
            integration=integration,
            received_at=now,
            body=body.decode("utf-8", errors="replace"),
            status=batch.status,
            alerts=len(batch.alerts),
            truncated_alerts=batch.truncated_alerts,
            **{outcome: outcomes[outcome] for outcome in ALERT_OUTCOMES},
        )
    _touch_integration(integration, now)
    return delivery


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
    products: dict[str, Product | None] | None = None,
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
    integration: AlertIntegration,
    event: AlertEvent,
    products: dict[str, Product | None],
) -> Product | None:
    """The `product` label's product, else the integration's default, else None
    (the untriaged inbox). Looked up once per slug per delivery."""
    slug = event.product_slug
    if slug and slug not in products:
        products[slug] = Product.objects.filter(slug=slug).first()
    return (products.get(slug) if slug else None) or integration.product


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
    products: dict[str, Product | None],
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
        try:
            with transaction.atomic():
                incident = _incident_insert(
                    actor=None,
                    source=integration.source,
                    now=now,
                    data={
                        **_alert_data(event),
                        "product": _route(integration, event, products),
                        "integration": integration,
                        "started_at": event.starts_at,
                    },
                )
                # Checked after the insert, not before: an incident for this
                # occurrence opened and resolved by concurrent deliveries in
                # between is committed by now, so this statement sees it.
                if _occurrence_resolved(integration, event, incident):
                    raise _AlreadyResolved
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
    products: dict[str, Product | None],
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
    if incident.product_id is None:
        changes["product"] = _route(integration, event, products)
    _apply_changes(incident, changes, actor=None, source=integration.source, at=now)
    context = ["description", "labels", "annotations"]
    context += ["generator_url", "dashboard_url", "runbook_url"]
    for field in context:
        setattr(incident, field, data[field])
    _save(incident, context)
    return UPDATED


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
