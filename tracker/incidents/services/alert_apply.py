"""Alerts applied to incidents: each alert of a delivery opens, updates or
resolves the incident of its fingerprint (services.ingest reads the delivery
and calls these).

Idempotent and race-free: an integration has at most one unresolved incident
per alert fingerprint. One way opens incidents (_alerts_open): under a lock on
the integration's row, so two deliveries never open the same alert; a
delivery's new alerts are opened together in a handful of statements, and an
alert that turns out new later (a second firing of it in the same delivery,
one resolved meanwhile) is opened the same way, alone. Changes and
resolutions are applied one alert at a time (alert_apply), under the
incident's row lock. The partial unique index stays as the backstop.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.db.models import Q

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
    _incidents_announce,
    _opened_entry,
    _save,
    _set_status,
)
from tracker.products.models import Product
from tracker.products.selectors import user_can_edit_product

OPENED, UPDATED, RESOLVED, UNCHANGED = "opened", "updated", "resolved", "unchanged"
ALERT_OUTCOMES = (OPENED, UPDATED, RESOLVED, UNCHANGED)
# alert_apply's answer for a firing alert with no incident open: open one.
NEW = "new"
# A resolution arriving later than this says in its note when the alert ended.
LATE_NEWS = timedelta(minutes=5)
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
    # Alerts are locked in fingerprint order, so two deliveries holding the
    # same alerts in another order wait for each other instead of deadlocking.
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
    left = _alerts_open(integration, new, now, products, outcomes, rejections)
    # Then one at a time: changes, resolutions, repeats within the delivery,
    # and the new alerts another delivery opened since the look above.
    for index, event in sorted([*left, *each], key=lambda pair: pair[1].fingerprint):
        _alert_each(integration, index, event, now, products, outcomes, rejections)
    return outcomes, rejections


def _alert_each(
    integration: AlertIntegration,
    index: int,
    event: AlertEvent,
    now: datetime,
    products: dict[str, Route],
    outcomes: Counter[str],
    rejections: list[dict[str, Any]],
) -> None:
    """Apply one alert in its own transaction; a firing one with no incident
    open is opened by _alerts_open. Twice at most: when another delivery opened
    it in the instant between, the second look follows that incident."""
    for _ in range(2):
        try:
            with transaction.atomic():
                outcome = alert_apply(
                    integration=integration, event=event, now=now, products=products
                )
        except (DataError, ValidationError) as exc:
            rejections.append({"alert": index, "reason": _reason(exc)})
            return
        if outcome != NEW:
            outcomes[outcome] += 1
            return
        if not _alerts_open(
            integration, [(index, event)], now, products, outcomes, rejections
        ):
            return  # opened, rejected, or an occurrence resolved already
    outcomes[UNCHANGED] += 1  # opened and resolved by others meanwhile


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
    outcomes: Counter[str],
    rejections: list[dict[str, Any]],
) -> list[tuple[int, AlertEvent]]:
    """Open an incident for each of these firing alerts that had none open when
    last looked at: together, in a handful of statements however many there
    are. An alert whose incident fails the field checks is rejected alone; when
    the database refuses the batch (a value it cannot store), each alert is
    opened alone, so only the bad one is rejected. Counts what it opened (and
    what repeats an occurrence resolved already) in `outcomes`; returns the
    alerts whose incident another delivery opened since, to apply as changes."""
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
    if not opening:
        return []
    try:
        with transaction.atomic():
            opened, repeats, left = _open_locked(integration, opening, now)
    except DataError as exc:
        if len(opening) == 1:
            rejections.append({"alert": opening[0][0], "reason": _reason(exc)})
            return []
    else:
        outcomes[OPENED] += opened
        outcomes[UNCHANGED] += repeats
        return left
    left = []
    for index, event, _, _ in opening:
        left += _alerts_open(
            integration, [(index, event)], now, products, outcomes, rejections
        )
    return left


def _open_locked(
    integration: AlertIntegration,
    opening: list[tuple[int, AlertEvent, Incident, Route]],
    now: datetime,
) -> tuple[int, int, list[tuple[int, AlertEvent]]]:
    """_alerts_open's writes, in its transaction. Every opening holds the
    integration's row lock, so what it reads here stays true until it commits:
    the alerts now open (opened by another delivery since the caller looked)
    and the occurrences resolved already (a late or repeated delivery of a
    firing must not reopen it) are left out; the rest are inserted. Returns
    how many it opened, how many were such repeats, and the alerts open now."""
    # FOR NO KEY UPDATE: exclusive among openers, while the receiver's INSERT
    # of a delivery (whose foreign key check takes FOR KEY SHARE on this row)
    # never waits for it.
    locked = AlertIntegration.objects.select_for_update(no_key=True)
    list(locked.filter(pk=integration.pk).values_list("pk"))
    fingerprints = {incident.fingerprint for _, _, incident, _ in opening}
    starts = {incident.started_at for _, _, incident, _ in opening}
    rows = Incident.objects.filter(
        Q(status__in=ACTIVE_STATUSES)
        | Q(status=Status.RESOLVED, started_at__in=starts),
        integration=integration,
        fingerprint__in=fingerprints,
    ).values_list("fingerprint", "status", "started_at")
    active, resolved = set(), set()
    for fingerprint, status, started_at in rows:
        if status == Status.RESOLVED:
            resolved.add((fingerprint, started_at))
        else:
            active.add(fingerprint)
    left, opened, repeats = [], [], 0
    for index, event, incident, route in opening:
        if incident.fingerprint in active:
            left.append((index, event))
        elif (
            event.starts_at and (incident.fingerprint, incident.started_at) in resolved
        ):
            repeats += 1
        else:
            opened.append((incident, route))
    incidents = [incident for incident, _ in opened]
    if incidents:
        Incident.objects.bulk_create(incidents)
        record_created(incidents)
        notes = [
            _refusal_entry(incident, route, integration, now)
            for incident, route in opened
            if route.refusal
        ]
        TimelineEntry.objects.bulk_create(
            [_opened_entry(incident) for incident in incidents] + notes
        )
        _incidents_announce(incidents)
    return len(incidents), repeats, left


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
    products: dict[str, Route],
) -> str:
    """Update or resolve the incident of one alert; returns the outcome, NEW
    for a firing alert with no incident open (the caller opens it with
    _alerts_open, the one way incidents are opened).

    Idempotent: the same alert delivered again (or concurrently) changes nothing.
    """
    if event.firing:
        return _alert_fire(integration, event, now, products)
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


def _alert_fire(
    integration: AlertIntegration,
    event: AlertEvent,
    now: datetime,
    products: dict[str, Route],
) -> str:
    """Follow the alert's unresolved incident under its row lock; NEW when
    there is none."""
    # The common case, a repeat of a known alert, reads without locking: no row
    # lock to write, nothing to wait for. Acting on a row read a moment before a
    # concurrent change is the same as having arrived just before it.
    seen = _active_alert_incident(integration, event.fingerprint, lock=False)
    if seen is not None and _alert_unchanged(seen, event):
        return UNCHANGED
    incident = _active_alert_incident(integration, event.fingerprint)
    if incident is None:
        return NEW
    return _alert_refresh(incident, event, now, integration, products)


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
