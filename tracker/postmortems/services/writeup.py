"""Postmortems: creating them (also from an incident), changing the
write-up and the people, and moving them through the review workflow."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import Incident
from tracker.lib.services import model_create, model_update
from tracker.postmortems.models import (
    TRANSITIONS,
    EventKind,
    Postmortem,
    PostmortemEvent,
    Status,
)
from tracker.postmortems.selectors.access import user_can_review
from tracker.postmortems.selectors.page import publish_blockers
from tracker.postmortems.services.common import (
    POSTMORTEM_FIELDS,
    TEXT_FIELDS,
    _content_changed,
    _pick,
    _text_changed,
    postmortem_guard,
)
from tracker.postmortems.services.parts import timeline_copy
from tracker.postmortems.services.warnings import warnings_sync
from tracker.products.models import Product


def _lock(postmortem: Postmortem) -> None:
    """Reload under a row lock so two people moving it at once are serialised."""
    postmortem.refresh_from_db(
        from_queryset=Postmortem.objects.select_for_update(of=("self",))
    )


def _check_incidents(
    product: Product, incidents: list[Incident], failure_kind: str = ""
) -> None:
    """Incidents of the product, or none for a product failure: exactly one of
    the two (the covered incidents are a many-to-many, so no DB check can)."""
    if failure_kind and incidents:
        raise ValidationError(
            {"incidents": "A postmortem of a product failure covers no incidents."}
        )
    if not incidents and not failure_kind:
        raise ValidationError(
            {
                "incidents": "A postmortem covers at least one incident, or "
                "names how the product failed (failure_kind)."
            }
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


@transaction.atomic
def postmortem_create(
    *, product: Product, actor: User | None, data: dict[str, Any]
) -> Postmortem:
    """Start a draft covering `data["incidents"]` (of `product`), written by
    `data["authors"]` (default: the actor), with the timeline prefilled."""
    incidents = list(data.get("incidents") or [])
    _check_incidents(product, incidents, data.get("failure_kind", ""))
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
    timeline_copy(postmortem=postmortem)
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
    what changed. Newly covered incidents add their timeline. Refused once
    published; a content change sends a reviewed postmortem back to review."""
    postmortem_guard(postmortem)
    changed = model_update(instance=postmortem, fields=POSTMORTEM_FIELDS, data=data)
    if "failure_kind" in data and "incidents" not in data:
        covered = list(postmortem.incidents.all())
        _check_incidents(postmortem.product, covered, postmortem.failure_kind)
    if "incidents" in data:
        incidents = list(data["incidents"])
        _check_incidents(postmortem.product, incidents, postmortem.failure_kind)
        before = set(postmortem.incidents.values_list("pk", flat=True))
        if _set_m2m(postmortem, "incidents", incidents):
            changed.append("incidents")
            added = [i for i in incidents if i.pk not in before]
            timeline_copy(postmortem=postmortem, incidents=added)
    if "authors" in data or "reviewers" in data:
        authors = list(data.get("authors", postmortem.authors.all()))
        reviewers = list(data.get("reviewers", postmortem.reviewers.all()))
        _check_people(authors, reviewers)
        for relation, people in (("authors", authors), ("reviewers", reviewers)):
            if relation in data and _set_m2m(postmortem, relation, people):
                changed.append(relation)
    if TEXT_FIELDS & set(changed):
        _text_changed(postmortem)
    _content_changed(postmortem, actor, changed)
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


def _check_warnings_settled(postmortem: Postmortem) -> None:
    """A review signs off the wording: every blameless warning is fixed (gone
    from the text) or accepted by a reviewer first."""
    warnings_sync(postmortem=postmortem)
    phrases = list(
        postmortem.warnings.filter(accepted_at__isnull=True)
        .order_by("section", "offset")
        .values_list("phrase", flat=True)
    )
    if phrases:
        count = len(phrases)
        listed = ", ".join(f"“{phrase}”" for phrase in phrases[:5])
        raise ValidationError(
            {
                "status": f"{count} blameless warning{'s' if count != 1 else ''} "
                f"neither fixed nor accepted ({listed}{', …' if count > 5 else ''}): "
                "reword the text, or accept each one as written, before marking "
                "it reviewed."
            }
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
    if status == Status.REVIEWED:
        if actor is None or not user_can_review(actor, postmortem):
            raise PermissionDenied("Only one of its reviewers can mark it reviewed.")
        _check_warnings_settled(postmortem)
    if status == Status.PUBLISHED:
        # Names of people who joined since the last edit count too.
        warnings_sync(postmortem=postmortem)
        blockers = publish_blockers(postmortem)
        if blockers:
            raise ValidationError(
                {
                    "status": [
                        f"{item.label}. {item.detail}".strip() for item in blockers
                    ]
                }
            )
