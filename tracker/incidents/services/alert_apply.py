"""Alerts applied to incidents: each alert of a delivery opens, updates or
resolves the incident of its fingerprint (services.ingest reads the delivery
and calls these).

Idempotent and race-free: an integration has at most one unresolved incident
per alert fingerprint (a partial unique index), so repeated, retried and
concurrent deliveries of the same alert change nothing. The new alerts of a
delivery are opened together in a handful of statements (alerts_open); when
the database refuses that (the same alert opened concurrently), they are
applied one by one (alert_apply), as are changes and resolutions.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from tracker.audit.recorder import record_created
from tracker.incidents.alerts import AlertEvent
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    AlertIntegration,
    EntryKind,
    Incident,
    Status,
    TimelineEntry,
)

# Package-internal building blocks shared with the incident services.
from tracker.incidents.services.incidents import (
    _apply_changes,
    _check,
    _incident_build,
    _incident_insert,
    _incidents_announce,
    _opened_entry,
    _save,
    _set_status,
)
from tracker.products.models import Product
from tracker.products.selectors import user_can_edit_product

OPENED, UPDATED, RESOLVED, UNCHANGED = "opened", "updated", "resolved", "unchanged"
ALERT_OUTCOMES = (OPENED, UPDATED, RESOLVED, UNCHANGED)
# A resolution arriving later than this says in its note when the alert ended.
LATE_NEWS = timedelta(minutes=5)
# Lost insert races before giving up; one is the norm (see _alert_fire).
UPSERT_ATTEMPTS = 3
ALERT_RAW = ("labels", "annotations", "generator_url", "dashboard_url")


@dataclass(frozen=True)
class Route:
    """Where an alert naming a product goes: the product, or the inbox and why."""

    product: Product | None
    refusal: str = ""


def alerts_apply(
    *,
    integration: AlertIntegration,
    alerts: list[tuple[int, AlertEvent]],
    now: datetime,
) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Apply a delivery's alerts (each with its place in the delivery) as of
    `now`, its arrival, each on its own: an alert that cannot be applied is
    rejected with its reason and the others go ahead. Returns how many had
    each outcome, and the rejections."""
    products: dict[str, Route] = {}
    outcomes: Counter[str] = Counter()
    rejections: list[dict[str, Any]] = []
    # Alerts are inserted and locked in fingerprint order, so two deliveries
    # holding the same alerts in another order wait for each other instead of
    # deadlocking.
    alerts = sorted(alerts, key=lambda pair: pair[1].fingerprint)
    known = _active_incidents(integration, [event for _, event in alerts])
    twice = Counter(event.fingerprint for _, event in alerts)
    new, each = [], []
    for index, event in alerts:
        seen = known.get(event.fingerprint)
        if twice[event.fingerprint] > 1:
            each.append((index, event))  # in order, one after the other
        elif seen is None and event.firing:
            new.append((index, event))
        elif seen is None or (event.firing and _alert_unchanged(seen, event)):
            # The common repeats (a known alert still firing, a resolved one
            # resolved again), read without locking: nothing to write or wait
            # for. Acting on a row read a moment before a concurrent change is
            # the same as having arrived just before it.
            outcomes[UNCHANGED] += 1
        else:
            each.append((index, event))
    opened, left = _alerts_open(integration, new, now, products, rejections)
    outcomes[OPENED] += opened
    each = sorted([*left, *each], key=lambda pair: pair[1].fingerprint)
    for index, event in each:
        try:
            with transaction.atomic():
                outcome = alert_apply(
                    integration=integration,
                    event=event,
                    now=now,
                    products=products,
                )
            outcomes[outcome] += 1
        except (DataError, ValidationError) as exc:
            rejections.append({"alert": index, "reason": _reason(exc)})
    return outcomes, rejections


def _active_incidents(
    integration: AlertIntegration, events: list[AlertEvent]
) -> dict[str, Incident]:
    """The unresolved incidents of these alerts, by fingerprint (one SELECT)."""
    fingerprints = {event.fingerprint for event in events}
    if not fingerprints:
        return {}
    incidents = Incident.objects.filter(
        integration=integration,
        fingerprint__in=fingerprints,
        status__in=ACTIVE_STATUSES,
    )
    return {incident.fingerprint: incident for incident in incidents}


def _alerts_open(
    integration: AlertIntegration,
    alerts: list[tuple[int, AlertEvent]],
    now: datetime,
    products: dict[str, Route],
    rejections: list[dict[str, Any]],
) -> tuple[int, list[tuple[int, AlertEvent]]]:
    """Open an incident for each of these new alerts together, in a handful of
    statements however many there are; an alert whose incident fails the field
    checks is rejected alone. Returns how many were opened and the alerts left
    to apply one by one (alert_apply, which sorts out each): none, or all of
    them, with nothing written, when the database refused one (a concurrent
    delivery opened the same alert first, a value it cannot store) or one
    repeats an occurrence resolved already."""
    opening = []
    for index, event in alerts:
        route = _route(integration, event, products)
        incident = _incident_build(
            actor=None, source=integration.source, now=now,
            data=_incident_data(event, route, integration),
        )  # fmt: skip
        try:
            _check(incident)
        except ValidationError as exc:
            rejections.append({"alert": index, "reason": _reason(exc)})
            continue
        opening.append((index, event, incident, route))
    incidents = [incident for _, _, incident, _ in opening]
    if not incidents:
        return 0, []
    try:
        with transaction.atomic():
            Incident.objects.bulk_create(incidents)
            if _occurrences_resolved(integration, incidents):
                raise _AlreadyResolved
            record_created(incidents)
            notes = [
                _refusal_entry(incident, route, integration, now)
                for _, _, incident, route in opening
                if route.refusal
            ]
            TimelineEntry.objects.bulk_create(
                [_opened_entry(incident) for incident in incidents] + notes
            )
            _incidents_announce(incidents)
    except (IntegrityError, DataError, _AlreadyResolved):
        return 0, [(index, event) for index, event, _, _ in opening]
    return len(incidents), []


def _occurrences_resolved(
    integration: AlertIntegration, incidents: list[Incident]
) -> bool:
    """Whether one of these new incidents repeats a firing (same alert, same
    start) already resolved (see _occurrence_resolved)."""
    started = {(i.fingerprint, i.started_at) for i in incidents}
    resolved = Incident.objects.filter(
        integration=integration,
        fingerprint__in={fingerprint for fingerprint, _ in started},
        status=Status.RESOLVED,
        started_at__in={at for _, at in started},
    ).values_list("fingerprint", "started_at")
    return any(row in started for row in resolved)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:300]
    return f"The database refused the alert: {str(exc).splitlines()[0]}"[:300]


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


def _incident_data(
    event: AlertEvent, route: Route, integration: AlertIntegration
) -> dict[str, Any]:
    """What a new incident of this alert holds."""
    return {
        **_alert_data(event),
        "product": route.product,
        "integration": integration,
        "started_at": event.starts_at,
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
                    data=_incident_data(event, route, integration),
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
    _refusal_entry(incident, route, integration, now).save()


def _refusal_entry(
    incident: Incident, route: Route, integration: AlertIntegration, now: datetime
) -> TimelineEntry:
    return TimelineEntry(
        incident=incident,
        kind=EntryKind.NOTE,
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
