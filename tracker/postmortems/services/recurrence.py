"""Recurrences: an incident that repeats an earlier one whose postmortem is
published is marked `recurrence_of` that incident, with the rule that matched,
so its page can say "this happened before, and these fixes were (not) done".

The rules, tried in this order (the first that matches wins; the most recent
matching earlier incident is taken):
- `fingerprint`: the same alert fingerprint;
- `alert_name`: the same `alertname` label, on the same product;
- `kind_and_factor`: the same kind on the same product, and a postmortem
  covering the new incident shares a contributing factor (category and ML kind)
  with the earlier incident's published postmortem.

The first two are checked when the incident opens (incidents.signals; for the
incidents of one alert delivery in one query); the third when a factor is added
to a postmortem covering it. A mark is never moved once set. It is a derived
fact, not someone's decision, so it is written with an UPDATE and not recorded
in the incident's timeline.
"""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker.incidents.models import Incident, RecurrenceRule
from tracker.postmortems.models import ContributingFactor, Postmortem, Status


def _published_incidents() -> QuerySet:
    return Postmortem.incidents.through.objects.filter(
        postmortem__status=Status.PUBLISHED
    ).values("incident_id")


def _earlier_any() -> QuerySet[Incident]:
    """Incidents a published postmortem covers, the most recent first."""
    return Incident.objects.filter(pk__in=_published_incidents()).order_by(
        "-started_at", "-pk"
    )


def _earlier(incident: Incident) -> QuerySet[Incident]:
    """Incidents before this one that a published postmortem covers."""
    return (
        _earlier_any()
        .filter(started_at__lte=incident.started_at)
        .exclude(pk=incident.pk)
    )


def _shared_factor(incident: Incident) -> Exists:
    """A published postmortem of the outer incident has a factor of the same
    category and ML kind as a factor of a postmortem covering `incident`."""
    mine = ContributingFactor.objects.filter(postmortem__incidents=incident)
    return Exists(
        ContributingFactor.objects.filter(
            postmortem__incidents=OuterRef("pk"),
            postmortem__status=Status.PUBLISHED,
        ).filter(
            Exists(
                mine.filter(category=OuterRef("category"), ml_kind=OuterRef("ml_kind"))
            )
        )
    )


def recurrence_find(incident: Incident) -> tuple[Incident, str] | None:
    """The earlier incident this one repeats and the rule that says so; None
    when it repeats nothing (at most three queries)."""
    earlier = _earlier(incident)
    alert_name = (incident.labels or {}).get("alertname")
    checks: list[tuple[str, Q | Exists | None]] = [
        (
            RecurrenceRule.FINGERPRINT,
            Q(fingerprint=incident.fingerprint) if incident.fingerprint else None,
        ),
        (
            RecurrenceRule.ALERT_NAME,
            Q(labels__alertname=alert_name, product_id=incident.product_id)
            if alert_name and incident.product_id
            else None,
        ),
        (
            RecurrenceRule.KIND_AND_FACTOR,
            Q(kind=incident.kind, product_id=incident.product_id)
            & _shared_factor(incident)
            if incident.product_id
            else None,
        ),
    ]
    for rule, condition in checks:
        if condition is None:
            continue
        match = earlier.filter(condition).first()
        if match is not None:
            return match, rule
    return None


def recurrence_mark(*, incident: Incident) -> bool:
    """Mark `incident` a recurrence when a rule matches and it is not one
    already. True when it was marked now."""
    if incident.recurrence_of_id is not None:
        return False
    found = recurrence_find(incident)
    if found is None:
        return False
    earlier, rule = found
    return _mark(incident, earlier.pk, rule)


def _mark(incident: Incident, earlier_id: int, rule: str) -> bool:
    marked = Incident.objects.filter(pk=incident.pk, recurrence_of__isnull=True).update(
        recurrence_of_id=earlier_id, recurrence_rule=rule
    )
    if marked:
        incident.recurrence_of_id, incident.recurrence_rule = earlier_id, rule
    return bool(marked)


def recurrences_on_open(*, incidents: list[Incident], **signal: Any) -> int:
    """incidents.signals.incidents_opened's receiver (connected in apps.py):
    the first two rules for new incidents, in one query however many there are
    (the third cannot match yet: no postmortem covers a new incident). Returns
    how many were marked."""
    fingerprints = {i.fingerprint for i in incidents if i.fingerprint}
    names = {name for i in incidents if (name := _alert_name(i)) and i.product_id}
    if not fingerprints and not names:
        return 0
    earlier = list(
        _earlier_any()
        .filter(
            Q(fingerprint__in=fingerprints)
            | Q(labels__alertname__in=names, product_id__isnull=False)
        )
        .exclude(pk__in=[i.pk for i in incidents])
        .values_list(
            "pk", "fingerprint", "labels__alertname", "product_id", "started_at"
        )
    )
    marked = 0
    for incident in incidents:
        match = _first_match(incident, earlier)
        if match is not None:
            marked += _mark(incident, *match)
    return marked


def _alert_name(incident: Incident) -> str | None:
    return (incident.labels or {}).get("alertname")


def _first_match(incident: Incident, earlier: list[tuple]) -> tuple[int, str] | None:
    """recurrence_find's first two rules, over rows read already (newest first)."""
    name = _alert_name(incident)
    rules = []
    if incident.fingerprint:
        rules.append((RecurrenceRule.FINGERPRINT, 1, incident.fingerprint))
    if name and incident.product_id:
        rules.append((RecurrenceRule.ALERT_NAME, 2, name))
    for rule, column, value in rules:
        for row in earlier:
            same_product = column == 1 or row[3] == incident.product_id
            if row[column] == value and same_product and row[4] <= incident.started_at:
                return row[0], rule
    return None


def recurrences_for_postmortem(*, postmortem: Postmortem) -> int:
    """After a factor was added: its incidents not marked yet may now share a
    factor with an earlier published postmortem. Returns how many were marked."""
    unmarked = postmortem.incidents.filter(recurrence_of__isnull=True)
    return sum(recurrence_mark(incident=incident) for incident in unmarked)
