"""The global search: products, incidents, postmortems, action items and
people matching some words, grouped by kind, within what the reader may read
(docs/search.md).

One query per kind, whatever the size of the organisation: each asks for one
row more than it shows, to know whether to offer "more". A private team's
products, and everything under them, never match for someone who may not
read them (the same filters as every list: tracker.products.selectors).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import F, Model, Q, QuerySet
from django.urls import reverse

from tracker.accounts.models import User
from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident
from tracker.lib.search import text_search
from tracker.postmortems.models import SECTION_KEYS, ActionItem, Postmortem
from tracker.postmortems.selectors.lists import SEARCH_CONFIG
from tracker.products.models import Product
from tracker.products.selectors import product_readable_q, readable

# Results shown per kind on the grouped page, and on a page of one kind.
PER_KIND = 5
ONE_KIND = 50
# Of each kind, at most this many matches are ranked (tracker.lib.search):
# with more, those shown are the best of that many, and "more" lists them all.
RANK_WINDOW = 200


@dataclass(frozen=True)
class Hit:
    """One result: what it is called, a line of context, and its page."""

    kind: str
    key: str
    title: str
    detail: str
    url: str


@dataclass(frozen=True)
class Kind:
    """A kind of thing searched: the rows the reader may read, what a hit reads
    of a row (its columns and relations), the fields searched (the GIN index of
    migration 0001 is on the same ones), how a row reads as a hit, and the
    list a "more" link opens, filtered by the words."""

    key: str
    label: str
    readable: Callable[[Reader], Q]
    shown: Callable[[], QuerySet]
    fields: tuple[str, ...]
    hit: Callable[[Model], Hit]
    more: Callable[[str], str]
    config: str = "english"
    stored_vector: str | None = None

    def search(self, user: Reader, text: str) -> QuerySet:
        vector = F(self.stored_vector) if self.stored_vector else None
        shown = self.shown()
        return text_search(
            shown.filter(self.readable(user)),
            text,
            fields=self.fields,
            config=self.config,
            vector=vector,
            window=RANK_WINDOW,
            # The window holds readable rows only: the rows it ranks are read
            # by primary key, without the reader's filter a second time.
            ranked_from=shown,
        )


def _list_url(name: str, **params: str) -> Callable[[str], str]:
    return lambda text: f"{reverse(name)}?{urlencode({'q': text, **params})}"


def _products() -> QuerySet[Product]:
    return Product.objects.select_related("team").only(
        "name", "slug", "stage", "team__name"
    )


def _product_hit(product: Product) -> Hit:
    return Hit(
        "products",
        product.slug,
        product.name,
        f"{product.team.name} · {product.get_stage_display()}",
        product.get_absolute_url(),
    )


def _incidents() -> QuerySet[Incident]:
    return Incident.objects.select_related("product").only(
        "title", "severity", "status", "product__name"
    )


def _incident_hit(incident: Incident) -> Hit:
    where = incident.product.name if incident.product_id else "Untriaged"
    return Hit(
        "incidents",
        str(incident.pk),
        incident.title,
        f"{incident.get_severity_display()} · {incident.get_status_display()} · "
        f"{where}",
        incident.get_absolute_url(),
    )


def _postmortems() -> QuerySet[Postmortem]:
    return Postmortem.objects.select_related("product").only(
        "title", "status", "product__name"
    )


def _postmortem_hit(postmortem: Postmortem) -> Hit:
    return Hit(
        "postmortems",
        str(postmortem.pk),
        postmortem.title,
        f"{postmortem.get_status_display()} · {postmortem.product.name}",
        postmortem.get_absolute_url(),
    )


def _action_items() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related(
        "owner", "postmortem__product", "session__product"
    ).only(
        "description",
        "status",
        "owner__username",
        "postmortem__product__name",
        "session__product__name",
        "session__product__slug",
    )


def _action_item_hit(item: ActionItem) -> Hit:
    source = item.source
    owner = item.owner.username if item.owner_id else "no owner"
    return Hit(
        "action_items",
        str(item.pk),
        str(item),
        f"{item.get_status_display()} · {owner} · {source.product.name}",
        item.get_absolute_url(),
    )


def _people() -> QuerySet[User]:
    return User.objects.only(*User.NAME_FIELDS)


def _person_hit(person: User) -> Hit:
    return Hit(
        "people",
        person.username,
        person.display_name,
        f"@{person.username}",
        reverse("postmortems:person_work", args=[person.username]),
    )


KINDS: tuple[Kind, ...] = (
    Kind(
        "products",
        "Products",
        product_readable_q,
        _products,
        ("name", "slug", "summary", "problem_statement"),
        _product_hit,
        _list_url("products:list"),
    ),
    Kind(
        "incidents",
        "Incidents",
        lambda user: readable(user, "product", unassigned=True),
        _incidents,
        ("title", "description"),
        _incident_hit,
        _list_url("incidents:list"),
    ),
    Kind(
        "postmortems",
        "Postmortems",
        lambda user: readable(user, "product"),
        _postmortems,
        # On PostgreSQL the stored, weighted vector the library searches.
        ("title", *SECTION_KEYS),
        _postmortem_hit,
        _list_url("postmortems:list"),
        config=SEARCH_CONFIG,
        stored_vector="search_vector",
    ),
    Kind(
        "action_items",
        "Action items",
        lambda user: readable(user, "postmortem__product", "session__product"),
        _action_items,
        ("description",),
        _action_item_hit,
        # Open and closed ones, as here.
        _list_url("postmortems:action_items", status="any"),
    ),
    Kind(
        "people",
        "People",
        lambda user: Q(is_active=True),
        _people,
        ("username", "first_name", "last_name"),
        _person_hit,
        # No people list: this page, with people only.
        _list_url("search:results", kind="people"),
        # Names are not English words: no stemming, no stop words.
        config="simple",
    ),
)
KIND_BY_KEY = {kind.key: kind for kind in KINDS}


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit]
    more: bool
    more_url: str


@dataclass
class SearchResults:
    text: str
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def global_search(
    *, user: Reader, text: str, kinds: Iterable[str] | None = None
) -> SearchResults:
    """Up to PER_KIND hits of each kind (ONE_KIND when one kind is asked for),
    best first, in a fixed number of queries (one per kind)."""
    chosen = [KIND_BY_KEY[key] for key in kinds] if kinds else list(KINDS)
    limit = PER_KIND if len(chosen) > 1 else ONE_KIND
    results = SearchResults(text)
    for kind in chosen:
        rows = list(kind.search(user, text)[: limit + 1])
        results.groups.append(
            Group(
                kind.key,
                kind.label,
                [kind.hit(row) for row in rows[:limit]],
                len(rows) > limit,
                kind.more(text),
            )
        )
    return results
