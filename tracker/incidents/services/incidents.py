"""Incidents and alert integrations: open, acknowledge, resolve, change, note;
create and revoke integrations.

Every change to an incident (status, severity, kind, product, title) is written
together with a timeline row holding the old and new value and who made it.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.models import User
from tracker.incidents import signing
from tracker.incidents.models import (
    AlertIntegration,
    EntryKind,
    Incident,
    Source,
    Status,
    TimelineEntry,
)
from tracker.incidents.reminder_rules import incident_announce
from tracker.incidents.signals import incidents_opened
from tracker.lib.services import model_create

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

# The database enforces these; validating them in Python costs a query each.
FOREIGN_KEYS = ["product", "integration", "sla", "created_by"]


# --- Incidents --------------------------------------------------------------------


def _check(incident: Incident) -> None:
    # Field checks only: the database enforces the constraints, which on the
    # ingest path would cost one SELECT per constraint and alert (alert_apply
    # opens under a lock that keeps them true; the indexes are the backstop).
    incident.full_clean(
        exclude=FOREIGN_KEYS, validate_unique=False, validate_constraints=False
    )


def _save(incident: Incident, fields: list[str]) -> None:
    _check(incident)
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
    incident = _incident_build(actor=actor, data=data, source=source, now=now)
    _save(incident, [])
    _opened_entry(incident, note=data.get("note", "")).save()
    _incidents_announce([incident])
    return incident


def _incident_build(
    *, actor: User | None, data: dict[str, Any], source: str, now: datetime | None
) -> Incident:
    """An incident to open, not saved yet."""
    now = now or timezone.now()
    return Incident(
        **{field: data[field] for field in INCIDENT_FIELDS if field in data},
        status=Status.OPEN,
        source=source,
        started_at=min(data.get("started_at") or now, now),
        detected_at=now,
        created_by=actor,
    )


def _opened_entry(incident: Incident, *, note: str = "") -> TimelineEntry:
    """The first row of an incident's timeline (not saved)."""
    return TimelineEntry(
        incident=incident,
        kind=EntryKind.OPENED,
        actor=incident.created_by,
        source=incident.source,
        at=incident.detected_at,
        new_value=Status.OPEN,
        note=note,
    )


def _incidents_announce(incidents: list[Incident]) -> None:
    """Tell the owners (after commit) and the apps above of newly opened incidents."""
    for incident in incidents:
        incident_announce(incident)
    incidents_opened.send(sender=Incident, incidents=incidents)


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


@sensitive_variables()  # and in what it calls: the HMAC key is passed on
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
