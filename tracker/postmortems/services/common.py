"""What the services share: the fields they write, and what happens after
any change (the blameless check, the search vector, the edit history)."""

from collections.abc import Iterable
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from tracker.accounts.models import User
from tracker.postmortems import selectors
from tracker.postmortems.models import (
    SECTION_KEYS,
    SECTIONS,
    ContributingFactor,
    EventKind,
    Postmortem,
    PostmortemEvent,
    Status,
)
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


def _pick(data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {field: data[field] for field in fields if field in data}


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
    config = selectors.SEARCH_CONFIG
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
