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

from tracker.accounts.models import User
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
from tracker.products.models import Product
from tracker.products.selectors import readable

# The text-search configuration (stemming language) of the library.
SEARCH_CONFIG = "english"
# What a library entry shows of its postmortem.
LIBRARY_FIELDS = (
    "product",
    "title",
    "published_at",
    "summary",
    "summary_na",
    "lessons",
    "lessons_na",
)


def _count(queryset: QuerySet, column: str = "postmortem") -> Coalesce:
    """A correlated COUNT subquery: counts without multiplying joined rows."""
    return Coalesce(
        Subquery(
            queryset.order_by().values(column).annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def _readable(*, user: Reader) -> QuerySet[Postmortem]:
    """The postmortems `user` may read, in the lists' order."""
    return Postmortem.objects.filter(readable(user, "product")).order_by(
        "-updated_at", "-id"
    )


def _listed(*, user: Reader) -> QuerySet[Postmortem]:
    """The postmortems `user` may read, in the lists' order, with the open
    action items and warnings a row of the list page shows counted in the same
    query."""
    mine = {"postmortem": OuterRef("pk")}
    return _readable(user=user).annotate(
        open_actions=_count(
            ActionItem.objects.filter(**mine, status=ActionStatus.OPEN)
        ),
        open_warnings=_count(
            BlamelessWarning.objects.filter(**mine, accepted_at__isnull=True)
        ),
    )


# What a row of the list page shows: its sections (most of a postmortem) and
# the rest of its product, incidents and authors are not read.
_ROW = ("title", "status", "updated_at", "product__name", "product__slug")
# A whole postmortem, for the API, but its search vector (PostgreSQL's index
# of its text, often larger than the text).
_WHOLE = [f.name for f in Postmortem._meta.concrete_fields if f.name != "search_vector"]


def postmortem_list(*, user: Reader) -> QuerySet[Postmortem]:
    """The list page's rows: one query, plus one per relation a row shows."""
    return (
        _listed(user=user)
        .select_related("product__team")
        .only(*_ROW, "product__team__name")
        .prefetch_related(
            Prefetch(
                "authors", User.objects.only(*User.NAME_FIELDS), to_attr="author_list"
            ),
            Prefetch(
                "incidents",
                Incident.objects.only("title", "severity").order_by("started_at"),
                to_attr="incident_list",
            ),
        )
    )


def postmortem_api_list(*, user: Reader) -> QuerySet[Postmortem]:
    """The API's rows: the whole postmortem, its people's usernames, its
    incidents' ids and its warnings (all of them, listed: no counts)."""
    return (
        _readable(user=user)
        .select_related("product", "review_owner")
        .only(*_WHOLE, "product__slug", "review_owner__username")
        .prefetch_related(
            Prefetch("authors", User.objects.only("username"), to_attr="author_list"),
            Prefetch(
                "reviewers", User.objects.only("username"), to_attr="reviewer_list"
            ),
            Prefetch(
                "incidents",
                Incident.objects.only("pk").order_by("started_at"),
                to_attr="incident_list",
            ),
            Prefetch(
                "warnings",
                BlamelessWarning.objects.select_related("accepted_by"),
                to_attr="warning_list",
            ),
        )
    )


def library_list(*, user: Reader) -> QuerySet[Postmortem]:
    """Published postmortems `user` may read, newest first, for the library:
    what an entry shows, and the product of the page's entries only (joined
    in the query, every product would be hashed before the page is cut)."""
    return (
        Postmortem.objects.filter(readable(user, "product"), status=Status.PUBLISHED)
        .only(*LIBRARY_FIELDS)
        .prefetch_related(
            Prefetch("product", Product.objects.only("name", "slug")),
            Prefetch(
                "factors",
                ContributingFactor.objects.only(
                    "postmortem", "category", "ml_kind"
                ).order_by("category"),
                to_attr="factor_list",
            ),
            Prefetch(
                "incidents",
                Incident.objects.only("severity").order_by("started_at"),
                to_attr="incident_list",
            ),
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
