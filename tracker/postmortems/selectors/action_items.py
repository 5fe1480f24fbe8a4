"""Action items: lists, due and overdue sets, and the product's and a
person's summaries."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from tracker.accounts.models import User
from tracker.accounts.selectors import Reader
from tracker.lib.aggregates import in_subquery
from tracker.postmortems.models import (
    ActionItem,
    ActionStatus,
    Postmortem,
    Status,
)
from tracker.products.models import PlanningSession, Product
from tracker.products.selectors import readable


def _action_items() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related(
        "owner", "postmortem__product", "session__product"
    )


# What lists of items show (the board, the API, a person's): the item whole,
# and of its owner, its source and its product only their names; a page of 50
# read 50 postmortems', sessions' and products' every other column.
_OWNER_NAME = tuple(f"owner__{name}" for name in User.NAME_FIELDS)
_LISTED = (
    *(field.name for field in ActionItem._meta.concrete_fields),
    *_OWNER_NAME,
    *(
        f"{source}__{name}"
        for source in ("postmortem", "session")
        for name in ("title", "product__name", "product__slug")
    ),
)


def _listed_items() -> QuerySet[ActionItem]:
    """Action items as lists show them: each with its source, product and
    owner, read for their names only."""
    return _action_items().only(*_LISTED)


def _open_first(queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    return queryset.order_by(F("due_date").asc(nulls_last=True), "priority", "id")


def _readable_items(user: Reader) -> Q:
    return readable(user, "postmortem__product", "session__product")


def action_item_list(*, user: Reader) -> QuerySet[ActionItem]:
    """The action items `user` may read, for the API list."""
    return (
        _listed_items()
        .filter(_readable_items(user))
        .order_by("status", F("due_date").asc(nulls_last=True), "id")
    )


def action_items_for_change(*, user: Reader, ids: list[int]) -> dict[int, ActionItem]:
    """Those of `ids` that `user` may read, by id, with what deciding whether
    they may change them reads (the postmortem's people): three queries."""
    items = (
        _action_items()
        .filter(_readable_items(user), pk__in=ids)
        .prefetch_related("postmortem__authors", "postmortem__reviewers")
    )
    return {item.pk: item for item in items}


def action_items_due(*, now: datetime, within_days: int) -> QuerySet[ActionItem]:
    """Open items due from today to `within_days` days ahead (not yet overdue):
    one query, for reminders."""
    today = timezone.localdate(now)
    return _open_first(
        _action_items().filter(
            status=ActionStatus.OPEN,
            due_date__gte=today,
            due_date__lte=today + timedelta(days=within_days),
        )
    )


def action_items_overdue(*, now: datetime) -> QuerySet[ActionItem]:
    """Open items whose due date has passed: one query, for reminders."""
    return _open_first(
        _action_items().filter(
            status=ActionStatus.OPEN, due_date__lt=timezone.localdate(now)
        )
    )


@dataclass(frozen=True)
class ActionSummary:
    """A product's or a person's open action items, overdue ones first."""

    items: list[ActionItem]
    open_count: int
    overdue_count: int
    today: date

    @property
    def overdue(self) -> list[ActionItem]:
        return [a for a in self.items if a.is_overdue(self.today)]

    @property
    def upcoming(self) -> list[ActionItem]:
        return [a for a in self.items if not a.is_overdue(self.today)]


def _summary(queryset: QuerySet[ActionItem], now: datetime, limit: int | None):
    today = timezone.localdate(now)
    open_items = queryset.filter(status=ActionStatus.OPEN)
    counts = open_items.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )
    items = list(_open_first(open_items)[:limit] if limit else _open_first(open_items))
    return ActionSummary(items, counts["total"], counts["overdue"], today)


_CARD = (
    "description",
    "kind",
    "due_date",
    "priority",
    "status",
    "postmortem_id",
    *_OWNER_NAME,
    "session__product__slug",
)


def product_action_items(
    *, product: Product, now: datetime, limit: int = 5
) -> ActionSummary:
    """The product page's card: open items from its postmortems and planning
    sessions, overdue first (two queries): found by the foreign keys' indexes
    from the ids of its postmortems and sessions (in_subquery), not by testing
    every open item."""
    postmortems = Postmortem.objects.filter(product=product).values("pk")
    sessions = PlanningSession.objects.filter(product=product).values("pk")
    # What the card shows: no postmortem (its link needs only the id), and
    # a session's product for the session's link.
    queryset = (
        ActionItem.objects.filter(
            in_subquery("postmortem_id", postmortems)
            | in_subquery("session_id", sessions)
        )
        .select_related("owner", "session__product")
        .only(*_CARD)
    )
    return _summary(queryset, now, limit)


def action_items_for_person(
    *, person: User, viewer: Reader, now: datetime
) -> ActionSummary:
    """A person's open action items that `viewer` may read, overdue first (two
    queries)."""
    items = _listed_items().filter(_readable_items(viewer), owner=person)
    return _summary(items, now, None)


def person_reviews(*, person: User, viewer: Reader) -> QuerySet[Postmortem]:
    """Postmortems waiting for `person` that `viewer` may read: drafts they
    write, reviews they do. Each set read by the person (indexed), then put
    together: not an OR over every draft and review in the organisation."""
    waiting = Postmortem.objects.order_by().values("pk")
    drafts = waiting.filter(status=Status.DRAFT, authors=person)
    reviews = waiting.filter(status=Status.IN_REVIEW, reviewers=person)
    owned = waiting.filter(
        status__in=[Status.DRAFT, Status.IN_REVIEW], review_owner=person
    )
    return (
        Postmortem.objects.filter(readable(viewer, "product"))
        .filter(pk__in=drafts.union(reviews, owned))
        .select_related("product")
        .order_by("-updated_at", "-id")
    )


def person_get(*, username: str) -> User:
    if "\x00" in username:  # PostgreSQL refuses NUL in text
        raise Http404("No such person.")
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise Http404("No such person.")
    return person


def session_action_items(*, session: PlanningSession) -> list[ActionItem]:
    return list(
        session.action_items.select_related("owner").order_by(
            "status", F("due_date").asc(nulls_last=True), "id"
        )
    )
