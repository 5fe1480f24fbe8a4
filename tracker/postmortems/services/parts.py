"""The parts of a postmortem: its timeline (prefilled from the incidents),
contributing factors and KPI impacts."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.accounts.models import User
from tracker.incidents.models import EntryKind, Incident, Source, TimelineEntry
from tracker.lib.services import model_create, model_update
from tracker.postmortems import selectors
from tracker.postmortems.models import (
    ContributingFactor,
    MetricImpact,
    MomentKind,
    Postmortem,
    TimelineEvent,
)
from tracker.postmortems.services.common import (
    FACTOR_FIELDS,
    MOMENT_FIELDS,
    _note_edit,
    _pick,
    _text_changed,
)
from tracker.postmortems.services.recurrence import recurrences_for_postmortem
from tracker.products.models import SuccessMetric

# --- Timeline -----------------------------------------------------------------------


def _who(entry: TimelineEntry) -> str:
    if entry.actor_id:
        return entry.actor.display_name
    return Source(entry.source).label


def _moment_from_entry(postmortem: Postmortem, entry: TimelineEntry) -> TimelineEvent:
    """How an incident timeline row reads in the postmortem."""
    incident, who = entry.incident, _who(entry)
    ref = f"#{incident.pk}"
    if entry.kind == EntryKind.OPENED:
        kind, text = (
            MomentKind.DETECTED,
            f"{who} opened incident {ref}: {incident.title}",
        )
    elif entry.kind == EntryKind.STATUS and entry.new_value == "acknowledged":
        kind, text = MomentKind.ACKNOWLEDGED, f"{who} acknowledged incident {ref}"
    elif entry.kind == EntryKind.STATUS and entry.new_value == "resolved":
        kind, text = MomentKind.RESOLVED, f"{who} resolved incident {ref}"
    elif entry.kind == EntryKind.NOTE:
        kind, text = MomentKind.NOTE, f"{who} on {ref}"
    else:
        label = EntryKind(entry.kind).label.lower()
        change = f"{entry.old_value or '—'} → {entry.new_value or '—'}"
        kind, text = MomentKind.CHANGE, f"{label} on {ref}: {change} ({who})"
    if entry.note:
        text = (
            f"{text}: {entry.note}"
            if entry.kind == EntryKind.NOTE
            else (f"{text}. {entry.note}")
        )
    return TimelineEvent(
        postmortem=postmortem,
        at=entry.at,
        kind=kind,
        description=text,
        incident=incident,
        source_entry=entry,
    )


def timeline_prefill(
    *, postmortem: Postmortem, incidents: list[Incident] | None = None
) -> int:
    """Copy the incidents' timelines (all covered ones by default) into the
    postmortem's: impact start, alerts, acknowledgements, resolutions, notes and
    changes. Rows already copied are skipped, so this is safe to repeat (and
    brings back a copied moment someone deleted). Returns how many were added."""
    if incidents is None:
        incidents = list(postmortem.incidents.all())
    copied = set(
        postmortem.timeline.filter(source_entry__isnull=False).values_list(
            "source_entry_id", flat=True
        )
    )
    started = set(
        postmortem.timeline.filter(
            kind=MomentKind.STARTED, source_entry__isnull=True
        ).values_list("incident_id", flat=True)
    )
    moments = [
        TimelineEvent(
            postmortem=postmortem,
            at=incident.started_at,
            kind=MomentKind.STARTED,
            description=f"Impact started: {incident.title} (incident #{incident.pk}, "
            f"{incident.get_severity_display()})",
            incident=incident,
        )
        for incident in incidents
        if incident.pk not in started
    ]
    moments += [
        _moment_from_entry(postmortem, entry)
        for entry in selectors.incident_timeline_entries(incidents=incidents)
        if entry.pk not in copied
    ]
    TimelineEvent.objects.bulk_create(moments)
    return len(moments)


def moment_add(
    *, postmortem: Postmortem, actor: User | None, data: dict[str, Any]
) -> TimelineEvent:
    moment = model_create(
        TimelineEvent, postmortem=postmortem, **_pick(data, MOMENT_FIELDS)
    )
    _note_edit(postmortem, actor, ["timeline"])
    return moment


def moment_update(
    *, moment: TimelineEvent, actor: User | None, data: dict[str, Any]
) -> list[str]:
    changed = model_update(instance=moment, fields=MOMENT_FIELDS, data=data)
    if set(changed) - {"starred"}:
        _note_edit(moment.postmortem, actor, ["timeline"])
    return changed


def moment_delete(*, moment: TimelineEvent, actor: User | None) -> None:
    postmortem = moment.postmortem
    moment.delete()
    _note_edit(postmortem, actor, ["timeline"])


# --- Contributing factors and KPI impacts -------------------------------------------


@transaction.atomic
def factor_add(
    *, postmortem: Postmortem, actor: User | None, data: dict[str, Any]
) -> ContributingFactor:
    factor = model_create(
        ContributingFactor, postmortem=postmortem, **_pick(data, FACTOR_FIELDS)
    )
    _text_changed(postmortem)
    _note_edit(postmortem, actor, ["factors"])
    # A shared factor can make a covered incident a recurrence (kind_and_factor).
    recurrences_for_postmortem(postmortem=postmortem)
    return factor


@transaction.atomic
def factor_update(
    *, factor: ContributingFactor, actor: User | None, data: dict[str, Any]
) -> list[str]:
    changed = model_update(instance=factor, fields=FACTOR_FIELDS, data=data)
    if changed:
        _text_changed(factor.postmortem)
        _note_edit(factor.postmortem, actor, ["factors"])
    return changed


@transaction.atomic
def factor_delete(*, factor: ContributingFactor, actor: User | None) -> None:
    postmortem = factor.postmortem
    factor.delete()
    _text_changed(postmortem)
    _note_edit(postmortem, actor, ["factors"])


def impact_add(
    *,
    postmortem: Postmortem,
    actor: User | None,
    metric: SuccessMetric,
    change: str,
) -> MetricImpact:
    """Record that the incident moved one of the product's KPIs, and how much."""
    if metric.product_id != postmortem.product_id:
        raise ValidationError({"metric": "Choose one of this product's metrics."})
    impact = model_create(
        MetricImpact, postmortem=postmortem, metric=metric, change=change.strip()
    )
    _note_edit(postmortem, actor, ["impacts"])
    return impact


def impact_remove(*, impact: MetricImpact, actor: User | None) -> None:
    postmortem = impact.postmortem
    impact.delete()
    _note_edit(postmortem, actor, ["impacts"])
