"""Writes for incidents, their timeline and alert integrations. Views, API views,
the alert receiver and the SLA check service call these; nothing else changes
these models.

Every change to an incident (status, severity, kind, product, title) is written
together with a timeline row holding the old and new value and who made it.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents import signing
from tracker.incidents.alerts import AlertEvent, parse_payload
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    AlertDelivery,
    AlertIntegration,
    EntryKind,
    Incident,
    Kind,
    Severity,
    Source,
    Status,
    TimelineEntry,
)
from tracker.lib.services import model_create
from tracker.products.models import Product, RiskTier, ServiceLevel, SLACheck

INCIDENT_FIELDS = [
    "product",
    "title",
    "description",
    "kind",
    "severity",
    "fingerprint",
    "labels",
    "annotations",
    "integration",
    "sla",
    "generator_url",
    "dashboard_url",
    "runbook_url",
]
# Fields whose changes are timeline entries, in the order they are recorded.
TRACKED_FIELDS = {
    "title": EntryKind.TITLE,
    "severity": EntryKind.SEVERITY,
    "kind": EntryKind.KIND,
    "product": EntryKind.PRODUCT,
}
# Moves an incident may make; there is no way back from resolved (open a new one).
TRANSITIONS = {
    Status.OPEN: {Status.ACKNOWLEDGED, Status.RESOLVED},
    Status.ACKNOWLEDGED: {Status.RESOLVED},
    Status.RESOLVED: set(),
}

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
# The database enforces these; validating them in Python costs a query each.
FOREIGN_KEYS = ["product", "integration", "sla", "created_by"]


# --- Incidents --------------------------------------------------------------------


def _save(incident: Incident, fields: list[str]) -> None:
    # Field checks here; the database enforces the constraints, so a concurrent
    # duplicate surfaces as IntegrityError (alert_apply relies on that) instead of
    # costing one SELECT per constraint on the ingest path.
    incident.full_clean(
        exclude=FOREIGN_KEYS, validate_unique=False, validate_constraints=False
    )
    incident.save(update_fields=[*fields, "updated_at"] if fields else None)


def _record(
    incident: Incident,
    *,
    kind: str,
    actor: User | None,
    source: str,
    at: datetime,
    old: str = "",
    new: str = "",
    note: str = "",
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        actor=actor,
        source=source,
        at=at,
        old_value=old[:200],
        new_value=new[:200],
        note=note,
    )


def _shown(incident: Incident, field: str) -> str:
    """How a tracked field's value is kept in the timeline: choice values as
    stored, the product by name (what people read in the history)."""
    if field == "product":
        return incident.product.name if incident.product else ""
    return getattr(incident, field)


@transaction.atomic
def incident_open(
    *,
    actor: User | None,
    data: dict[str, Any],
    source: str = Source.UI,
    now: datetime | None = None,
) -> Incident:
    """Open an incident and record that as the first entry of its timeline.

    A `started_at` later than now (a sender's clock running ahead) is taken as
    now, so time to detect is never negative.
    """
    return _incident_insert(actor=actor, data=data, source=source, now=now)


def _incident_insert(
    *, actor: User | None, data: dict[str, Any], source: str, now: datetime | None
) -> Incident:
    # No transaction of its own: callers wrap it (the alert path in the
    # savepoint it needs anyway, one round trip fewer per new alert).
    now = now or timezone.now()
    started_at = min(data.get("started_at") or now, now)
    incident = Incident(
        **{field: data[field] for field in INCIDENT_FIELDS if field in data},
        status=Status.OPEN,
        source=source,
        started_at=started_at,
        detected_at=now,
        created_by=actor,
    )
    _save(incident, [])
    _record(
        incident,
        kind=EntryKind.OPENED,
        actor=actor,
        source=source,
        at=now,
        new=Status.OPEN,
        note=data.get("note", ""),
    )
    return incident


def _lock(incident: Incident) -> None:
    """Reload the row under a lock so two people acting at once are serialised
    and the second sees the first's change (and records nothing twice)."""
    incident.refresh_from_db(
        # of=self: the product is an outer join, which PostgreSQL cannot lock.
        from_queryset=Incident.objects.select_for_update(of=("self",)).select_related(
            "product"
        )
    )


def _set_status(
    incident: Incident,
    status: str,
    *,
    actor: User | None,
    source: str,
    at: datetime,
    note: str = "",
    recorded_at: datetime | None = None,
) -> None:
    """Move to `status` as of `at`; the timeline row is dated `recorded_at` (when
    the tracker learnt of it) so the timeline reads in the order things arrived."""
    if status not in TRANSITIONS[Status(incident.status)]:
        raise ValidationError(
            {"status": f"An incident that is {incident.status} cannot become {status}."}
        )
    old = incident.status
    incident.status = status
    fields = ["status"]
    if status == Status.ACKNOWLEDGED:
        incident.acknowledged_at = at
        fields.append("acknowledged_at")
    if status == Status.RESOLVED:
        incident.resolved_at = max(at, incident.started_at)
        fields.append("resolved_at")
    _save(incident, fields)
    _record(
        incident,
        kind=EntryKind.STATUS,
        actor=actor,
        source=source,
        at=recorded_at or at,
        old=old,
        new=status,
        note=note,
    )


@transaction.atomic
def incident_acknowledge(
    *,
    incident: Incident,
    actor: User | None,
    source: str = Source.UI,
    at: datetime | None = None,
) -> bool:
    """Someone is on it. False (and nothing recorded) if it already was."""
    _lock(incident)
    if incident.status == Status.ACKNOWLEDGED:
        return False
    _set_status(
        incident,
        Status.ACKNOWLEDGED,
        actor=actor,
        source=source,
        at=at or timezone.now(),
    )
    return True


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    actor: User | None,
    source: str = Source.UI,
    at: datetime | None = None,
    note: str = "",
) -> bool:
    """Close the incident. False (and nothing recorded) if it already was."""
    _lock(incident)
    if incident.status == Status.RESOLVED:
        return False
    _set_status(
        incident,
        Status.RESOLVED,
        actor=actor,
        source=source,
        at=at or timezone.now(),
        note=note,
    )
    return True


def _apply_changes(
    incident: Incident,
    data: dict[str, Any],
    *,
    actor: User | None,
    source: str,
    at: datetime,
) -> list[str]:
    """Set the tracked fields present in `data`; one timeline row per change."""
    if "product" in data and data["product"] is None and incident.product_id:
        raise ValidationError({"product": "A triaged incident keeps a product."})
    changes = []
    for field, kind in TRACKED_FIELDS.items():
        if field in data and getattr(incident, field) != data[field]:
            old = _shown(incident, field)
            setattr(incident, field, data[field])
            changes.append((field, kind, old, _shown(incident, field)))
    if not changes:
        return []
    _save(incident, [field for field, *_ in changes])
    for _field, kind, old, new in changes:
        _record(
            incident, kind=kind, actor=actor, source=source, at=at, old=old, new=new
        )
    return [field for field, *_ in changes]


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    actor: User | None,
    data: dict[str, Any],
    source: str = Source.UI,
    note: str = "",
) -> list[str]:
    """Change title, severity, kind, product and/or status; returns what changed.

    Status moves go through the same transition rules as acknowledge/resolve.
    Whether `actor` may set the new product is the caller's check
    (selectors.user_can_assign).
    """
    _lock(incident)
    now = timezone.now()
    changed = _apply_changes(incident, data, actor=actor, source=source, at=now)
    status = data.get("status")
    if status and status != incident.status:
        _set_status(incident, status, actor=actor, source=source, at=now, note=note)
        changed.append("status")
    return changed


def incident_note_add(
    *,
    incident: Incident,
    actor: User | None,
    text: str,
    source: str = Source.UI,
    at: datetime | None = None,
) -> TimelineEntry:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something first."})
    return _record(
        incident,
        kind=EntryKind.NOTE,
        actor=actor,
        source=source,
        at=at or timezone.now(),
        note=text,
    )


# --- Alert integrations -----------------------------------------------------------


def integration_create(
    *, actor: User | None, data: dict[str, Any]
) -> tuple[AlertIntegration, str]:
    """Create an integration; returns it with its bearer secret, which is not
    stored and cannot be shown again."""
    secret = signing.secret_generate()
    integration = model_create(
        AlertIntegration,
        name=data["name"],
        kind=data["kind"],
        product=data.get("product"),
        hmac_secret=data.get("hmac_secret") or "",
        secret_hash=signing.secret_hash(secret),
        secret_hint=secret[-4:],
        created_by=actor,
    )
    return integration, secret


def integration_revoke(*, integration: AlertIntegration, actor: User | None) -> bool:
    """Stop accepting its deliveries. Its incidents and deliveries stay."""
    updated = AlertIntegration.objects.filter(
        pk=integration.pk, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoked_by=actor)
    integration.refresh_from_db()
    return bool(updated)


# --- Alert ingestion --------------------------------------------------------------


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


# --- SLA breaches -----------------------------------------------------------------


def _breach_severity(sla: ServiceLevel) -> str:
    risky = sla.product.risk_tier in (RiskTier.HIGH, RiskTier.CRITICAL)
    return Severity.SEV2 if risky else Severity.SEV3


@transaction.atomic
def sla_breach_sync(*, check: SLACheck) -> Incident | None:
    """Keep the SLA's breach incident in step with its newest check.

    A failed check opens the SLA's incident (one unresolved per SLA, a DB
    constraint); a passing one resolves it when the SLA auto-resolves. A check
    older than one already recorded (a backfill) changes nothing: incidents
    follow the SLA's current state.
    """
    sla = check.sla
    if SLACheck.objects.filter(sla=sla, checked_at__gt=check.checked_at).exists():
        return None
    if not check.passed:
        return _sla_breach_open(sla, check)
    if not sla.auto_resolve:
        return None
    incident = (
        Incident.objects.select_for_update()
        .filter(sla=sla, status__in=ACTIVE_STATUSES)
        .first()
    )
    if incident is not None:
        _set_status(
            incident,
            Status.RESOLVED,
            actor=check.recorded_by,
            source=Source.SLA,
            at=min(check.checked_at, timezone.now()),
            recorded_at=timezone.now(),
            note=f"Check passed: {check.value:g} ({sla.threshold_label}).",
        )
    return incident


def _sla_breach_open(sla: ServiceLevel, check: SLACheck) -> Incident:
    existing = Incident.objects.filter(sla=sla, status__in=ACTIVE_STATUSES).first()
    if existing is not None:
        return existing
    data = {
        "product": sla.product,
        "sla": sla,
        "title": f"{sla.name} breached: {check.value:g} (SLA {sla.threshold_label})",
        "kind": Kind.SLA_BREACH,
        "severity": _breach_severity(sla),
        "fingerprint": f"sla-{sla.pk}",
        "labels": {"sla": sla.name, "indicator": sla.indicator},
        "started_at": check.checked_at,
    }
    try:
        with transaction.atomic():
            return incident_open(actor=check.recorded_by, data=data, source=Source.SLA)
    except IntegrityError:
        # Another check of this SLA opened it at the same moment.
        return Incident.objects.get(sla=sla, status__in=ACTIVE_STATUSES)
