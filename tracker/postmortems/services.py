"""Writes for postmortems, their timeline, contributing factors, blameless
warnings and action items. Views, API views and the demo call these; nothing
else changes these models.

Rules kept here:
- status moves follow TRANSITIONS; going back to draft needs a reason; only a
  reviewer marks a postmortem reviewed; publishing needs the checklist met
  (selectors.publish_blockers). Every move is a PostmortemEvent row;
- a change to a published postmortem's content is an "edited after
  publishing" event listing what changed;
- every change of text re-runs the blameless check (warnings_sync) and, on
  PostgreSQL, refreshes the search vector.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Value
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import EntryKind, Incident, Source, TimelineEntry
from tracker.lib.services import model_create, model_update
from tracker.postmortems import selectors
from tracker.postmortems.blameless import People, check_text, numbered
from tracker.postmortems.models import (
    FACTOR_SECTION,
    SECTION_KEYS,
    SECTIONS,
    TRANSITIONS,
    ActionItem,
    ActionStatus,
    BlamelessWarning,
    ContributingFactor,
    EventKind,
    MetricImpact,
    MomentKind,
    Postmortem,
    PostmortemEvent,
    Status,
    TimelineEvent,
)
from tracker.products.models import PlanningSession, Product, SuccessMetric

POSTMORTEM_FIELDS = [
    "title",
    *SECTION_KEYS,
    *(section.na_field for section in SECTIONS),
    "users_affected",
    "error_budget_consumed",
    "no_action_items",
    "review_owner",
    "review_meeting_at",
    "review_deadline",
]
# Changes to these re-run the blameless check and refresh the search vector.
TEXT_FIELDS = {"title", *SECTION_KEYS}
ACTION_FIELDS = ["description", "kind", "owner", "due_date", "priority", "ticket_url"]
MOMENT_FIELDS = ["at", "kind", "description", "starred"]
FACTOR_FIELDS = ["category", "ml_kind", "description"]


def _pick(data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {field: data[field] for field in fields if field in data}


def _lock(postmortem: Postmortem) -> None:
    """Reload under a row lock so two people moving it at once are serialised."""
    postmortem.refresh_from_db(
        from_queryset=Postmortem.objects.select_for_update(of=("self",))
    )


def _check_incidents(product: Product, incidents: list[Incident]) -> None:
    if not incidents:
        raise ValidationError(
            {"incidents": "A postmortem covers at least one incident."}
        )
    foreign = [i for i in incidents if i.product_id != product.pk]
    if foreign:
        numbers = ", ".join(f"#{i.pk}" for i in foreign)
        raise ValidationError(
            {"incidents": f"Incidents {numbers} belong to another product (or none)."}
        )


def _check_people(authors: Iterable[User], reviewers: Iterable[User]) -> None:
    both = {u.pk for u in authors} & {u.pk for u in reviewers}
    if both:
        raise ValidationError(
            {
                "reviewers": "Reviewers review someone else's write-up: an author "
                "cannot also be a reviewer."
            }
        )


def _set_m2m(postmortem: Postmortem, relation: str, objects: Iterable) -> bool:
    manager = getattr(postmortem, relation)
    new = {obj.pk for obj in objects}
    if new == set(manager.values_list("pk", flat=True)):
        return False
    manager.set(list(objects))
    # Drop a stale prefetch so permission checks see the new people.
    getattr(postmortem, "_prefetched_objects_cache", {}).pop(relation, None)
    return True


def _note_edit(postmortem: Postmortem, actor: User | None, changed: list[str]) -> None:
    """Record a change to a published postmortem's content."""
    if changed and postmortem.status == Status.PUBLISHED:
        PostmortemEvent.objects.create(
            postmortem=postmortem,
            kind=EventKind.EDITED,
            at=timezone.now(),
            actor=actor,
            changed_fields=changed,
        )


def _search_refresh(postmortem: Postmortem) -> None:
    """Rebuild the full-text vector (PostgreSQL only; see selectors.library_search).

    Title weighs most, then the summary and lessons, then the rest and the
    contributing factors.
    """
    if connection.vendor != "postgresql":
        return
    config = selectors.SEARCH_CONFIG
    factors = " ".join(postmortem.factors.values_list("description", flat=True))
    others = [k for k in SECTION_KEYS if k not in ("summary", "lessons")]
    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("summary", "lessons", weight="B", config=config)
        + SearchVector(*others, weight="C", config=config)
        + SearchVector(Value(factors), weight="C", config=config)
    )
    Postmortem.objects.filter(pk=postmortem.pk).update(search_vector=vector)


def _text_changed(postmortem: Postmortem) -> None:
    warnings_sync(postmortem=postmortem)
    _search_refresh(postmortem)


# --- Postmortems --------------------------------------------------------------------


@transaction.atomic
def postmortem_create(
    *, product: Product, actor: User | None, data: dict[str, Any]
) -> Postmortem:
    """Start a draft covering `data["incidents"]` (of `product`), written by
    `data["authors"]` (default: the actor), with the timeline prefilled."""
    incidents = list(data.get("incidents") or [])
    _check_incidents(product, incidents)
    authors = list(data.get("authors") or ([actor] if actor else []))
    reviewers = list(data.get("reviewers") or [])
    _check_people(authors, reviewers)
    postmortem = model_create(
        Postmortem,
        product=product,
        created_by=actor,
        status=Status.DRAFT,
        **_pick(data, POSTMORTEM_FIELDS),
    )
    postmortem.incidents.set(incidents)
    postmortem.authors.set(authors)
    postmortem.reviewers.set(reviewers)
    PostmortemEvent.objects.create(
        postmortem=postmortem,
        kind=EventKind.CREATED,
        at=timezone.now(),
        actor=actor,
        new_status=Status.DRAFT,
    )
    timeline_prefill(postmortem=postmortem)
    _text_changed(postmortem)
    return postmortem


def _incident_links(incident: Incident) -> str:
    # Absolute, so the links still work in the Markdown export.
    page = f"{settings.SITE_URL}{incident.get_absolute_url()}"
    links = [f"- [Incident #{incident.pk}: {incident.title}]({page})"]
    for label, url in (
        ("Dashboard", incident.dashboard_url),
        ("Runbook", incident.runbook_url),
        ("Alert source", incident.generator_url),
    ):
        if url:
            links.append(f"- [{label}]({url})")
    return "\n".join(links)


@transaction.atomic
def postmortem_from_incident(
    *, incident: Incident, actor: User | None
) -> tuple[Postmortem, bool]:
    """The draft for `incident`: an unpublished postmortem already covering it,
    or a new one on its product with its timeline and links prefilled. Returns
    (postmortem, created)."""
    if incident.product_id is None:
        raise ValidationError("Triage the incident to a product first.")
    existing = (
        incident.postmortems.exclude(status=Status.PUBLISHED)
        .order_by("-updated_at")
        .first()
    )
    if existing is not None:
        return existing, False
    postmortem = postmortem_create(
        product=incident.product,
        actor=actor,
        data={
            "title": incident.title,
            "incidents": [incident],
            "links": _incident_links(incident),
        },
    )
    return postmortem, True


@transaction.atomic
def postmortem_update(
    *, postmortem: Postmortem, actor: User | None, data: dict[str, Any]
) -> list[str]:
    """Change fields, sections, covered incidents, authors or reviewers; returns
    what changed. Newly covered incidents add their timeline."""
    changed = model_update(instance=postmortem, fields=POSTMORTEM_FIELDS, data=data)
    if "incidents" in data:
        incidents = list(data["incidents"])
        _check_incidents(postmortem.product, incidents)
        before = set(postmortem.incidents.values_list("pk", flat=True))
        if _set_m2m(postmortem, "incidents", incidents):
            changed.append("incidents")
            added = [i for i in incidents if i.pk not in before]
            timeline_prefill(postmortem=postmortem, incidents=added)
    if "authors" in data or "reviewers" in data:
        authors = list(data.get("authors", postmortem.authors.all()))
        reviewers = list(data.get("reviewers", postmortem.reviewers.all()))
        _check_people(authors, reviewers)
        for relation, people in (("authors", authors), ("reviewers", reviewers)):
            if relation in data and _set_m2m(postmortem, relation, people):
                changed.append(relation)
    if TEXT_FIELDS & set(changed):
        _text_changed(postmortem)
    _note_edit(postmortem, actor, changed)
    return changed


def _status_label(value: str) -> str:
    return Status(value).label.lower()


@transaction.atomic
def postmortem_transition(
    *,
    postmortem: Postmortem,
    actor: User | None,
    status: str,
    reason: str = "",
    now: datetime | None = None,
) -> PostmortemEvent:
    """Move the postmortem to `status`, recording the move with its reason.

    Raises ValidationError for a move the workflow does not allow (with what is
    missing) and PermissionDenied when only a reviewer may make it.
    """
    _lock(postmortem)
    now = now or timezone.now()
    old = postmortem.status
    if status not in Status.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    if status not in TRANSITIONS[Status(old)]:
        raise ValidationError(
            {
                "status": f"A postmortem that is {_status_label(old)} cannot "
                f"become {_status_label(status)}."
            }
        )
    reason = reason.strip()
    _check_move(postmortem, actor, status, reason)
    postmortem.status = status
    fields = ["status", "updated_at"]
    if status == Status.PUBLISHED:
        postmortem.published_at = now
        fields.append("published_at")
    postmortem.save(update_fields=fields)
    return PostmortemEvent.objects.create(
        postmortem=postmortem,
        kind=EventKind.STATUS,
        at=now,
        actor=actor,
        old_status=old,
        new_status=status,
        reason=reason,
    )


def _check_move(
    postmortem: Postmortem, actor: User | None, status: str, reason: str
) -> None:
    if status == Status.DRAFT and not reason:
        raise ValidationError({"reason": "Say why it goes back to draft."})
    if status == Status.IN_REVIEW:
        if not postmortem.reviewers.exists():
            raise ValidationError(
                {"status": "Add at least one reviewer before submitting for review."}
            )
        warnings_sync(postmortem=postmortem)
    if status == Status.REVIEWED and (
        actor is None or not selectors.user_can_review(actor, postmortem)
    ):
        raise PermissionDenied("Only one of its reviewers can mark it reviewed.")
    if status == Status.PUBLISHED:
        # Names of people who joined since the last edit count too.
        warnings_sync(postmortem=postmortem)
        blockers = selectors.publish_blockers(postmortem)
        if blockers:
            raise ValidationError(
                {
                    "status": [
                        f"{item.label}. {item.detail}".strip() for item in blockers
                    ]
                }
            )


# --- Blameless warnings -------------------------------------------------------------


def warnings_sync(
    *, postmortem: Postmortem, people: People | None = None
) -> list[BlamelessWarning]:
    """Re-run the blameless check over every section and contributing factor and
    bring the stored warnings in step: new findings are added, warnings whose
    phrase is gone are deleted, the rest keep their acceptance (matched by
    section, phrase and occurrence, so moving text does not lose it)."""
    people = people or selectors.people_index()
    wanted = {}
    for key in SECTION_KEYS:
        for finding, n in numbered(check_text(getattr(postmortem, key), people=people)):
            wanted[(key, None, finding.key, n)] = finding
    for factor in postmortem.factors.all():
        for finding, n in numbered(check_text(factor.description, people=people)):
            wanted[(FACTOR_SECTION, factor.pk, finding.key, n)] = finding
    existing = {
        (w.section, w.factor_id, " ".join(w.phrase.lower().split()), w.occurrence): w
        for w in postmortem.warnings.all()
    }
    gone = [w.pk for key, w in existing.items() if key not in wanted]
    BlamelessWarning.objects.filter(pk__in=gone).delete()
    new, moved = [], []
    for (section, factor_id, _, n), finding in wanted.items():
        warning = existing.get((section, factor_id, finding.key, n))
        if warning is None:
            new.append(
                BlamelessWarning(
                    postmortem=postmortem,
                    section=section,
                    factor_id=factor_id,
                    phrase=finding.phrase[:200],
                    rule=finding.rule,
                    offset=finding.offset,
                    occurrence=n,
                )
            )
        elif (warning.offset, warning.phrase, warning.rule) != (
            finding.offset,
            finding.phrase[:200],
            finding.rule,
        ):
            warning.offset, warning.phrase = finding.offset, finding.phrase[:200]
            warning.rule = finding.rule
            moved.append(warning)
    BlamelessWarning.objects.bulk_create(new)
    BlamelessWarning.objects.bulk_update(moved, ["offset", "phrase", "rule"])
    return list(postmortem.warnings.all())


def warning_accept(*, warning: BlamelessWarning, actor: User) -> bool:
    """A reviewer accepts a flagged phrase as it is (a quote, a name used
    without blame). False if it already was accepted."""
    if not selectors.user_can_review(actor, warning.postmortem):
        raise PermissionDenied("Only one of its reviewers can accept a warning.")
    updated = BlamelessWarning.objects.filter(
        pk=warning.pk, accepted_at__isnull=True
    ).update(accepted_by=actor, accepted_at=timezone.now())
    warning.refresh_from_db()
    return bool(updated)


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


# --- Action items -------------------------------------------------------------------


def _closing(status: str, note: str) -> dict[str, Any]:
    closed = status != ActionStatus.OPEN
    return {
        "status": status,
        "status_note": note.strip(),
        "closed_at": timezone.now() if closed else None,
    }


@transaction.atomic
def action_item_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    postmortem: Postmortem | None = None,
    session: PlanningSession | None = None,
) -> ActionItem:
    """An action item from a postmortem or a planning session (exactly one: a DB
    check). Adding one to a postmortem clears its "no action items" flag."""
    item = model_create(
        ActionItem,
        postmortem=postmortem,
        session=session,
        created_by=actor,
        **_pick(data, ACTION_FIELDS),
        **_closing(
            data.get("status") or ActionStatus.OPEN, data.get("status_note", "")
        ),
    )
    if postmortem is not None and postmortem.no_action_items:
        model_update(
            instance=postmortem,
            fields=["no_action_items"],
            data={"no_action_items": False},
        )
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: User | None, data: dict[str, Any]
) -> list[str]:
    """Change an item's fields; a new `status` closes or reopens it."""
    changed = model_update(instance=item, fields=ACTION_FIELDS, data=data)
    status = data.get("status")
    if status and status != item.status:
        action_item_set_status(
            item=item, actor=actor, status=status, note=data.get("status_note", "")
        )
        changed.append("status")
    return changed


def action_item_set_status(
    *, item: ActionItem, actor: User | None, status: str, note: str = ""
) -> bool:
    """Close (done / won't do, which needs a reason) or reopen an item. False
    when it already had that status."""
    if status == item.status:
        return False
    if status not in ActionStatus.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    if status == ActionStatus.WONT_DO and not note.strip():
        raise ValidationError({"status_note": "Say why it won't be done."})
    changes = _closing(status, note)
    model_update(instance=item, fields=list(changes), data=changes)
    return True
