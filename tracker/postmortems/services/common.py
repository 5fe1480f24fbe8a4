"""What the services share: the fields they write, the guard that keeps a
published postmortem read-only, and what happens after any change (the
blameless check, the search vector, a reviewed postmortem going back to
review)."""

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from tracker.accounts.models import User
from tracker.postmortems.models import (
    SECTION_KEYS,
    SECTIONS,
    ContributingFactor,
    EventKind,
    Postmortem,
    PostmortemEvent,
    Status,
)
from tracker.postmortems.selectors.lists import SEARCH_CONFIG
from tracker.postmortems.services.warnings import warnings_sync

POSTMORTEM_FIELDS = [
    "title",
    *SECTION_KEYS,
    *(section.na_field for section in SECTIONS),
    "users_affected",
    "error_budget_consumed",
    "no_action_items",
    "failure_kind",
    "review_owner",
    "review_meeting_at",
    "review_deadline",
]
# Changes to these re-run the blameless check and refresh the search vector.
TEXT_FIELDS = {"title", *SECTION_KEYS}
ACTION_FIELDS = ["description", "kind", "owner", "due_date", "priority", "ticket_url"]
MOMENT_FIELDS = ["at", "kind", "description", "starred"]
FACTOR_FIELDS = ["category", "ml_kind", "description"]
# Who writes and reviews it, and when, is not what a reviewer reads: changing
# these keeps a review. Every other change is to the write-up's content.
PEOPLE_FIELDS = frozenset(
    {"authors", "reviewers", "review_owner", "review_meeting_at", "review_deadline"}
)
# What an action item says it will do; owner, due date, priority, ticket and
# status are progress on it, which goes on after publishing.
ACTION_WORDING = frozenset({"description", "kind"})
READ_ONLY = (
    "This postmortem is published, so it is read-only: reopen it (with a reason) "
    "to change it."
)


def _pick(data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {field: data[field] for field in fields if field in data}


def postmortem_guard(postmortem: Postmortem) -> None:
    """Lock the postmortem's row and refuse any change once it is published.

    Every write to a postmortem or its parts calls this first, inside its
    transaction: the lock orders an edit and a concurrent publish, so what gets
    published is exactly what the reviewer saw. Reads only `status` afresh, so
    values a caller has set on the instance are kept.
    """
    postmortem.refresh_from_db(
        fields=["status"],
        from_queryset=Postmortem.objects.select_for_update(of=("self",)),
    )
    if postmortem.status == Status.PUBLISHED:
        raise ValidationError(READ_ONLY)


def _content_changed(
    postmortem: Postmortem, actor: User | None, changed: Iterable[str]
) -> None:
    """A change to what the reviewer read sends a reviewed postmortem back to
    in review, as a status move listing what changed (its history shows it;
    the audit trail records the status change)."""
    content = [name for name in changed if name not in PEOPLE_FIELDS]
    if not content or postmortem.status != Status.REVIEWED:
        return
    postmortem.status = Status.IN_REVIEW
    postmortem.save(update_fields=["status", "updated_at"])
    PostmortemEvent.objects.create(
        postmortem=postmortem,
        kind=EventKind.STATUS,
        at=timezone.now(),
        actor=actor,
        old_status=Status.REVIEWED,
        new_status=Status.IN_REVIEW,
        reason="Changed after it was reviewed: a reviewer reads it again.",
        changed_fields=content,
    )


def postmortem_search_refresh(postmortem: Postmortem) -> None:
    """Rebuild one postmortem's full-text vector (see search_refresh)."""
    search_refresh(Postmortem.objects.filter(pk=postmortem.pk))


def search_refresh(postmortems: QuerySet[Postmortem]) -> None:
    """Rebuild the full-text vector of `postmortems` in one statement (PostgreSQL
    only; see selectors.library_search). Also used by the scale seeder.

    Title weighs most, then the summary and lessons, then the rest and the
    contributing factors.
    """
    if connection.vendor != "postgresql":
        return
    config = SEARCH_CONFIG
    factors = (
        ContributingFactor.objects.filter(postmortem=OuterRef("pk"))
        .order_by()
        .values("postmortem")
        .annotate(text=StringAgg("description", " ", order_by="id"))
        .values("text")
    )
    others = [k for k in SECTION_KEYS if k not in ("summary", "lessons")]
    vector = (
        SearchVector("title", weight="A", config=config)
        + SearchVector("summary", "lessons", weight="B", config=config)
        + SearchVector(*others, weight="C", config=config)
        + SearchVector(Subquery(factors), weight="C", config=config)
    )
    postmortems.update(search_vector=vector)


def _text_changed(postmortem: Postmortem) -> None:
    warnings_sync(postmortem=postmortem)
    postmortem_search_refresh(postmortem)
