"""The parts of a postmortem: its timeline (prefilled from the incidents),
contributing factors and KPI impacts."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import EntryKind, Incident, Source, TimelineEntry
from tracker.lib.services import model_create, model_update
from tracker.postmortems.models import (
    ContributingFactor,
    MetricImpact,
    MomentKind,
    Postmortem,
    TimelineEvent,
)
from tracker.postmortems.selectors.page import incident_timeline_entries
from tracker.postmortems.services.common import (
    FACTOR_FIELDS,
    MOMENT_FIELDS,
    _content_changed,
    _pick,
    _text_changed,
    postmortem_guard,
)
from tracker.postmortems.services.recurrence import recurrences_for_postmortem
from tracker.products.models import SuccessMetric
from tracker.releases.models import Deployment
from tracker.releases.selectors import INCIDENT_LOOKBACK, deployments_between

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


def timeline_copy(
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
        for entry in incident_timeline_entries(incidents=incidents)
        if entry.pk not in copied
    ]
    moments += _deployment_moments(postmortem, incidents)
    TimelineEvent.objects.bulk_create(moments)
    return len(moments)


def _deployment_moments(
    postmortem: Postmortem, incidents: list[Incident]
) -> list[TimelineEvent]:
    """The product's deployments in the incidents' window (from a day before
    the first started to the last resolved) as change moments; one already in
    the timeline (same time and text) is not added again."""
    if not incidents or postmortem.product_id is None:
        return []
    start = min(i.started_at for i in incidents) - INCIDENT_LOOKBACK
    ends = [i.resolved_at for i in incidents]
    end = max(ends) if all(ends) else timezone.now()
    have = set(postmortem.timeline.values_list("at", "description"))
    moments = []
    for deployment in deployments_between(
        product_id=postmortem.product_id, start=start, end=end
    ):
        text = _deployment_text(deployment)
        if (deployment.deployed_at, text) not in have:
            moments.append(
                TimelineEvent(
                    postmortem=postmortem,
                    at=deployment.deployed_at,
                    kind=MomentKind.CHANGE,
                    description=text,
                )
            )
    return moments


def _deployment_text(d: Deployment) -> str:
    what = "Rolled back to" if d.is_rollback else "Deployed"
    return (
        f"{what} model version {d.version.version} in "
        f"{d.get_environment_display().lower()} ({d.traffic_percent}% of traffic)"
    )


@transaction.atomic
def timeline_prefill(*, postmortem: Postmortem, actor: User | None = None) -> int:
    """ "Copy again from incidents" (timeline_copy) on an unpublished
    postmortem. Returns how many moments were added."""
    postmortem_guard(postmortem)
    added = timeline_copy(postmortem=postmortem)
    if added:
        _content_changed(postmortem, actor, ["timeline"])
    return added


@transaction.atomic
def moment_add(
    *, postmortem: Postmortem, actor: User | None, data: dict[str, Any]
) -> TimelineEvent:
    postmortem_guard(postmortem)
    moment = model_create(
        TimelineEvent, postmortem=postmortem, **_pick(data, MOMENT_FIELDS)
    )
    _content_changed(postmortem, actor, ["timeline"])
    return moment


@transaction.atomic
def moment_update(
    *, moment: TimelineEvent, actor: User | None, data: dict[str, Any]
) -> list[str]:
    postmortem_guard(moment.postmortem)
    changed = model_update(instance=moment, fields=MOMENT_FIELDS, data=data)
    # Starring picks the key moments to show; it changes nothing they say.
    if set(changed) - {"starred"}:
        _content_changed(moment.postmortem, actor, ["timeline"])
    return changed


@transaction.atomic
def moment_delete(*, moment: TimelineEvent, actor: User | None) -> None:
    postmortem = moment.postmortem
    postmortem_guard(postmortem)
    moment.delete()
    _content_changed(postmortem, actor, ["timeline"])


# --- Contributing factors and KPI impacts -------------------------------------------


@transaction.atomic
def factor_add(
    *, postmortem: Postmortem, actor: User | None, data: dict[str, Any]
) -> ContributingFactor:
    postmortem_guard(postmortem)
    factor = model_create(
        ContributingFactor, postmortem=postmortem, **_pick(data, FACTOR_FIELDS)
    )
    _text_changed(postmortem)
    _content_changed(postmortem, actor, ["factors"])
    # A shared factor can make a covered incident a recurrence (kind_and_factor).
    recurrences_for_postmortem(postmortem=postmortem)
    return factor


@transaction.atomic
def factor_update(
    *, factor: ContributingFactor, actor: User | None, data: dict[str, Any]
) -> list[str]:
    postmortem_guard(factor.postmortem)
    changed = model_update(instance=factor, fields=FACTOR_FIELDS, data=data)
    if changed:
        _text_changed(factor.postmortem)
        _content_changed(factor.postmortem, actor, ["factors"])
    return changed


@transaction.atomic
def factor_delete(*, factor: ContributingFactor, actor: User | None) -> None:
    postmortem = factor.postmortem
    postmortem_guard(postmortem)
    factor.delete()
    _text_changed(postmortem)
    _content_changed(postmortem, actor, ["factors"])


@transaction.atomic
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
    postmortem_guard(postmortem)
    impact = model_create(
        MetricImpact, postmortem=postmortem, metric=metric, change=change.strip()
    )
    _content_changed(postmortem, actor, ["impacts"])
    return impact


@transaction.atomic
def impact_remove(*, impact: MetricImpact, actor: User | None) -> None:
    postmortem = impact.postmortem
    postmortem_guard(postmortem)
    impact.delete()
    _content_changed(postmortem, actor, ["impacts"])
