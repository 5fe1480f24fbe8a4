"""The postmortem list, the API list and the library (full-text search on
PostgreSQL, substring search elsewhere)."""

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident
from tracker.postmortems.models import (
    SECTIONS,
    ActionItem,
    ActionStatus,
    BlamelessWarning,
    ContributingFactor,
    Postmortem,
    Status,
)
from tracker.products.selectors import readable

# The text-search configuration (stemming language) of the library.
SEARCH_CONFIG = "english"


def _count(queryset: QuerySet, column: str = "postmortem") -> Coalesce:
    """A correlated COUNT subquery: counts without multiplying joined rows."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(column).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def postmortem_list(*, user: Reader) -> QuerySet[Postmortem]:
    """The postmortems `user` may read, for the list pages and the API, with
    what a row shows computed in the same query (plus one prefetch per
    relation)."""
    mine = {"postmortem": OuterRef("pk")}
    return (
        Postmortem.objects.filter(readable(user, "product"))
        .select_related("product__team", "review_owner")
        .prefetch_related(
            "authors",
            "reviewers",
            Prefetch("incidents", queryset=Incident.objects.order_by("started_at")),
        )
        .annotate(
            open_actions=_count(
                ActionItem.objects.filter(**mine, status=ActionStatus.OPEN)
            ),
            open_warnings=_count(
                BlamelessWarning.objects.filter(**mine, accepted_at__isnull=True)
            ),
        )
        .order_by("-updated_at", "-id")
    )


def postmortem_api_list(*, user: Reader) -> QuerySet[Postmortem]:
    """The API's rows also carry their warnings (the `warnings` field)."""
    return postmortem_list(user=user).prefetch_related(
        Prefetch(
            "warnings",
            queryset=BlamelessWarning.objects.select_related("accepted_by"),
        )
    )


def library_list(*, user: Reader) -> QuerySet[Postmortem]:
    """Published postmortems `user` may read, newest first, for the library."""
    return (
        Postmortem.objects.filter(readable(user, "product"), status=Status.PUBLISHED)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "factors", queryset=ContributingFactor.objects.order_by("category")
            ),
            Prefetch("incidents", queryset=Incident.objects.order_by("started_at")),
        )
        .order_by("-published_at", "-id")
    )


def library_search(queryset: QuerySet[Postmortem], text: str) -> QuerySet[Postmortem]:
    """Full-text search, best match first, on PostgreSQL (stemmed and ranked,
    using the GIN-indexed search_vector); case-insensitive substring search on
    other databases."""
    text = text.strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return (
            queryset.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-published_at", "-id")
        )
    in_text = Q(title__icontains=text)
    for section in SECTIONS:
        in_text |= Q(**{f"{section.key}__icontains": text})
    factors = ContributingFactor.objects.filter(
        postmortem=OuterRef("pk"), description__icontains=text
    )
    return queryset.filter(in_text | Exists(factors))


def postmortems_for_incident(*, incident: Incident) -> list[Postmortem]:
    return list(incident.postmortems.order_by("-updated_at"))


def recurrence_lessons(*, incident: Incident) -> list[Postmortem]:
    """The published postmortems of the incident this one repeats, each with its
    action items (`items`) and their state: "these fixes were (not) done".
    Two queries; none when it is not a recurrence."""
    if incident.recurrence_of_id is None:
        return []
    return list(
        Postmortem.objects.filter(
            incidents=incident.recurrence_of_id, status=Status.PUBLISHED
        )
        .prefetch_related(
            Prefetch(
                "action_items",
                ActionItem.objects.select_related("owner").order_by("id"),
                to_attr="items",
            )
        )
        .order_by("-published_at")
    )
