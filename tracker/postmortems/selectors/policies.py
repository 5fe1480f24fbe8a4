"""Follow-up policies and their violations.

A violation is an object late against the policy that applies to it
(models.policies): a postmortem not published within the policy's business
days of its last covered incident's resolution (a product failure: of its
creation), or an open action item of a postmortem not done within its kind's
days of its creation. Products that are retired are not chased.

Each postmortem keeps its policy's deadline (services.followup keeps it in
step with its incidents, the policies and its product's risk tier), so the
late ones are found and sorted by an index, and a page of them reads only
its rows (Violations). An action item's deadline (its creation and its kind's
days) is worked out in SQL. The API, the page, the
portfolio's attention list, the leadership digest and the reminder rules all
read `violations`.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.postmortems.models import (
    ACTION_DAYS_FIELDS,
    PRODUCT_FAILURE_SEVERITY,
    ActionItem,
    ActionStatus,
    FollowUpPolicy,
    Postmortem,
    Status,
)
from tracker.products.models import Stage
from tracker.products.selectors import readable

POSTMORTEM, ACTION_ITEM = "postmortem", "action_item"


@dataclass(frozen=True, slots=True)
class Violation:
    """One object late against its policy."""

    object_type: str  # POSTMORTEM or ACTION_ITEM
    object_id: int
    status: str  # the postmortem's, or the action item's
    title: str
    postmortem_id: int  # the postmortem, or the one the action item follows up
    product_id: int
    product_slug: str
    product_name: str
    policy: FollowUpPolicy
    severity: str
    deadline: datetime
    late_by: timedelta
    # Who is reminded: the item's owner; the postmortem's review owner and
    # authors (ids; the first is the one to ask when nobody else is set), read
    # only when violations() is asked for them.
    owners: tuple[int, ...]

    @property
    def late_days(self) -> int:
        return self.late_by.days

    @property
    def url(self) -> str:
        """Its page: built when asked, for the rows shown (a list of every
        violation spent half its time reversing URLs it never showed)."""
        page = reverse("postmortems:detail", args=[self.postmortem_id])
        return (
            page
            if self.object_type == POSTMORTEM
            else f"{page}#action-{self.object_id}"
        )


def policy_list() -> QuerySet[FollowUpPolicy]:
    return FollowUpPolicy.objects.order_by("severity", "risk_tier")


def policy_index(
    policies: Iterable[FollowUpPolicy] | None = None,
) -> dict[tuple[str, str], FollowUpPolicy]:
    """(severity, risk tier or "") → policy: one query, a handful of rows (none
    when the caller has read `policies` already)."""
    read = policy_list() if policies is None else policies
    return {(p.severity, p.risk_tier): p for p in read}


def policy_for(
    index: dict[tuple[str, str], FollowUpPolicy], severity: str | None, tier: str
) -> FollowUpPolicy | None:
    """The most specific policy: this severity and tier, else this severity."""
    severity = severity or PRODUCT_FAILURE_SEVERITY
    return index.get((severity, tier)) or index.get((severity, ""))


def _specific_first(index: dict) -> list[tuple[str, str]]:
    """The policies' keys, those of a risk tier first: as SQL, the first When
    that matches is policy_for's choice."""
    return [k for k in index if k[1]] + [k for k in index if not k[1]]


def _keyed(severity: str, of_tier: Callable[[str], Q], key: tuple[str, str]) -> Q:
    q = Q(**{severity: key[0]})
    return q & of_tier(key[1]) if key[1] else q


def postmortem_days(index: dict, severity: str, of_tier: Callable[[str], Q]) -> Case:
    """The business days policy_for gives a postmortem, from the column
    `severity` names and its product's risk tier (`of_tier(tier)` filters
    the rows of that tier), as SQL (NULL: no deadline)."""
    return Case(
        *(
            When(
                _keyed(severity, of_tier, key),
                then=Value(index[key].postmortem_business_days),
            )
            for key in _specific_first(index)
        ),
        default=None,
        output_field=IntegerField(),
    )


def _after(days: int | None) -> ExpressionWrapper | Value:
    """An action item's creation plus `days` (None: no deadline)."""
    if days is None:
        return Value(None, output_field=DateTimeField())
    return ExpressionWrapper(
        F("created_at") + Value(timedelta(days=days)), output_field=DateTimeField()
    )


def _action_deadline(index: dict, kinds: list[str]) -> Case:
    """The deadline policy_for gives an open action item of its kind (its
    creation plus the kind's days), from its postmortem's severity and
    product's risk tier, as SQL."""
    severity = "postmortem__followup_severity"

    def of_tier(tier: str) -> Q:
        return Q(postmortem__product__risk_tier=tier)

    return Case(
        *(
            When(
                _keyed(severity, of_tier, key) & Q(kind=kind),
                then=_after(index[key].action_days(kind)),
            )
            for key in _specific_first(index)
            for kind in kinds
        ),
        default=None,
        output_field=DateTimeField(),
    )


def _late_postmortems(rows: QuerySet[Postmortem], now: datetime):
    """(0, id, deadline) of each unpublished postmortem past the deadline it
    keeps (services.followup)."""
    return (
        rows.exclude(status=Status.PUBLISHED)
        .filter(followup_deadline__lt=now)
        .annotate(rank=Value(0), oid=F("pk"), deadline=F("followup_deadline"))
        .values_list("rank", "oid", "deadline")
        .order_by()
    )


def _late_items(rows: QuerySet[ActionItem], index: dict, now: datetime):
    """(1, id, deadline) of each open action item past its deadline, or None
    when no policy gives days to any kind (then none can be late)."""
    kinds = [
        kind
        for kind in ACTION_DAYS_FIELDS
        if any(policy.action_days(kind) is not None for policy in index.values())
    ]
    if not kinds:
        return None
    return (
        rows.filter(status=ActionStatus.OPEN, postmortem__isnull=False, kind__in=kinds)
        .annotate(rank=Value(1), oid=F("pk"), deadline=_action_deadline(index, kinds))
        .filter(deadline__lt=now)
        .values_list("rank", "oid", "deadline")
        .order_by()
    )


def _chased(review_owner: int | None, pm_owner: int | None, authors) -> tuple:
    """Who a late postmortem's reminder goes to: its review owner and authors,
    else the product's PM owner."""
    people = [o for o in (review_owner, *authors) if o]
    return tuple(dict.fromkeys(people or [pm_owner] if pm_owner else people))


def _authors(ids: list[int]) -> dict[int, list[int]]:
    through = Postmortem.authors.through.objects.filter(postmortem_id__in=ids)
    authors: dict[int, list[int]] = {}
    for pm, user in through.order_by("postmortem_id", "user_id").values_list(
        "postmortem_id", "user_id"
    ):
        authors.setdefault(pm, []).append(user)
    return authors


# What a violation shows of a late postmortem or action item.
_POSTMORTEM_COLUMNS = (
    "status",
    "title",
    "product_id",
    "product__slug",
    "product__name",
    "product__risk_tier",
    "followup_severity",
    "review_owner_id",
    "product__pm_owner_id",
)
_ITEM_COLUMNS = (
    "description",
    "postmortem_id",
    "postmortem__product_id",
    "postmortem__product__slug",
    "postmortem__product__name",
    "postmortem__product__risk_tier",
    "postmortem__followup_severity",
    "owner_id",
    "postmortem__review_owner_id",
)


def _by_pk(model, ids: list[int], *columns: str) -> dict[int, tuple]:
    """id → the columns of those rows (no query without ids)."""
    if not ids:
        return {}
    rows = model.objects.filter(pk__in=ids).values_list("pk", *columns)
    return {pk: tuple(rest) for pk, *rest in rows}


class Violations:
    """Every current violation, the latest first (the earliest deadline; then
    postmortems before action items, and by id), read a slice at a time: a
    page of the list reads its own rows only, and len() counts in SQL. The
    page and the API paginate it; the reminders and the counts iterate it."""

    def __init__(self, late, index: dict, now: datetime, owners: bool) -> None:
        self._late, self._index, self._now, self._owners = late, index, now, owners

    def __len__(self) -> int:
        return self.count_upto(None)

    def count_upto(self, limit: int | None) -> int:
        """How many there are, counting at most `limit` + 1 (tracker.lib.paging:
        a page of the list need not count every late object)."""
        if self._late is None:
            return 0
        late = self._late.order_by()
        return (late if limit is None else late[: limit + 1]).count()

    def __getitem__(self, index):
        if self._late is None:
            return [][index]
        if isinstance(index, slice):
            return self._violations(list(self._late[index]))
        return self._violations([self._late[index]])[0]

    def __iter__(self):
        return iter(self[:])

    def _violations(self, rows: list[tuple[int, int, datetime]]) -> list[Violation]:
        """The rows' Violations: two queries (their postmortems, their action
        items), three with the postmortems' authors."""
        ids = [[oid for rank, oid, _ in rows if rank == r] for r in (0, 1)]
        postmortems = _by_pk(Postmortem, ids[0], *_POSTMORTEM_COLUMNS)
        items = _by_pk(ActionItem, ids[1], *_ITEM_COLUMNS)
        authors = _authors(ids[0]) if self._owners and ids[0] else {}
        return [
            self._postmortem(oid, deadline, postmortems[oid], authors)
            if rank == 0
            else self._item(oid, deadline, items[oid])
            for rank, oid, deadline in rows
        ]

    def _postmortem(self, pk, deadline, row, authors) -> Violation:
        status, title, pid, slug, name, tier, severity, *who = row
        chased = _chased(*who, authors.get(pk, ())) if self._owners else ()
        return self._violation(
            (POSTMORTEM, pk, status, title, pk, pid, slug, name),
            (tier, severity, deadline),
            chased,
        )

    def _item(self, pk, deadline, row) -> Violation:
        text, pm, pid, slug, name, tier, severity, owner, chaser = row
        title = " ".join(text.split())[:120]
        return self._violation(
            (ACTION_ITEM, pk, ActionStatus.OPEN, title, pm, pid, slug, name),
            (tier, severity, deadline),
            tuple(o for o in (owner or chaser,) if o),
        )

    def _violation(self, what: tuple, due: tuple, owners: tuple) -> Violation:
        tier, severity, deadline = due
        policy = policy_for(self._index, severity, tier)
        late_by = self._now - deadline
        return Violation(*what, policy, severity, deadline, late_by, owners)


def violations(
    *,
    user: Reader | None = None,
    product_ids: list[int] | None = None,
    now: datetime | None = None,
    owners: bool = False,
    policies: Iterable[FollowUpPolicy] | None = None,
) -> Violations:
    """Every current violation, the latest first: those of products `user`
    may read (None: all, for reminders), of `product_ids` when given. Read a
    slice at a time (Violations); with `owners` (the reminders: who is
    chased), the postmortems' authors too, else a postmortem's `owners` is
    empty. `policies`: every policy, when the caller has read them."""
    now = now or timezone.now()
    index = policy_index(policies)
    if not index:
        return Violations(None, index, now, owners)
    scope = ~Q(product__stage=Stage.RETIRED)
    if product_ids is not None:
        scope &= Q(product_id__in=product_ids)
    postmortems = Postmortem.objects.filter(scope)
    items = ActionItem.objects.exclude(postmortem__product__stage=Stage.RETIRED)
    if product_ids is not None:
        items = items.filter(postmortem__product_id__in=product_ids)
    if user is not None:
        postmortems = postmortems.filter(readable(user, "product"))
        items = items.filter(readable(user, "postmortem__product"))
    late = _late_postmortems(postmortems, now)
    late_items = _late_items(items, index, now)
    if late_items is not None:
        late = late.union(late_items, all=True)
    return Violations(late.order_by("deadline", "rank", "oid"), index, now, owners)


def violation_counts(*, product_ids: list[int], now: datetime) -> dict[int, int]:
    """Violations per product (the portfolio's attention list)."""
    return Counter(v.product_id for v in violations(product_ids=product_ids, now=now))
