"""Follow-up policies and their violations.

A violation is an object late against the policy that applies to it
(models.policies): a postmortem not published within the policy's business
days of its last covered incident's resolution (a product failure: of its
creation), or an open action item of a postmortem not done within its kind's
days of its creation. Products that are retired are not chased.

Business days are not SQL, so the candidates are read in two queries (values,
no models) and the deadlines computed in Python; the number of queries does not
grow with the data. The API, the page, the portfolio's attention list, the
leadership digest and the reminder rules all read `violations`.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident, Severity
from tracker.postmortems.models import (
    ACTION_DAYS_FIELDS,
    ActionItem,
    ActionStatus,
    FollowUpPolicy,
    Postmortem,
    Status,
)
from tracker.postmortems.selectors.deadlines import add_business_days
from tracker.products.models import Stage
from tracker.products.selectors import readable

POSTMORTEM, ACTION_ITEM = "postmortem", "action_item"
# A postmortem of a product failure has no incident to take a severity from.
PRODUCT_FAILURE_SEVERITY = Severity.SEV2


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


def policy_index() -> dict[tuple[str, str], FollowUpPolicy]:
    """(severity, risk tier or "") → policy: one query, a handful of rows."""
    return {(p.severity, p.risk_tier): p for p in policy_list()}


def policy_for(
    index: dict[tuple[str, str], FollowUpPolicy], severity: str | None, tier: str
) -> FollowUpPolicy | None:
    """The most specific policy: this severity and tier, else this severity."""
    severity = severity or PRODUCT_FAILURE_SEVERITY
    return index.get((severity, tier)) or index.get((severity, ""))


def _late_postmortems(
    rows: QuerySet[Postmortem], index: dict, now: datetime, owners: bool
) -> list[Violation]:
    covered = Incident.objects.filter(postmortems=OuterRef("pk"))
    values = (
        rows.exclude(status=Status.PUBLISHED)
        .annotate(
            severity=Min("incidents__severity"),
            resolved=Max("incidents__resolved_at"),
            unresolved=Exists(covered.filter(resolved_at__isnull=True)),
        )
        .filter(unresolved=False)
        .values_list(
            "pk",
            "status",
            "title",
            "created_at",
            "severity",
            "resolved",
            "product_id",
            "product__slug",
            "product__name",
            "product__risk_tier",
            "review_owner_id",
            "product__pm_owner_id",
        )
        .order_by("pk")
    )
    authors = _authors(rows) if owners else {}
    found = []
    for pk, status, title, created, sev, resolved, pid, slug, name, *more in values:
        tier, *who = more
        policy = policy_for(index, sev, tier)
        if policy is None or policy.postmortem_business_days is None:
            continue
        deadline = add_business_days(
            resolved or created, policy.postmortem_business_days
        )
        if deadline >= now:
            continue
        found.append(
            Violation(
                POSTMORTEM,
                pk,
                status,
                title,
                pk,
                pid,
                slug,
                name,
                policy,
                sev or PRODUCT_FAILURE_SEVERITY,
                deadline,
                now - deadline,
                _chased(*who, authors.get(pk, ())) if owners else (),
            )
        )
    return found


def _chased(review_owner: int | None, pm_owner: int | None, authors) -> tuple:
    """Who a late postmortem's reminder goes to: its review owner and authors,
    else the product's PM owner."""
    people = [o for o in (review_owner, *authors) if o]
    return tuple(dict.fromkeys(people or [pm_owner] if pm_owner else people))


def _authors(rows: QuerySet[Postmortem]) -> dict[int, list[int]]:
    through = Postmortem.authors.through.objects.filter(
        postmortem__in=rows.exclude(status=Status.PUBLISHED).values("pk")
    ).order_by("postmortem_id", "user_id")
    authors: dict[int, list[int]] = {}
    for pm, user in through.values_list("postmortem_id", "user_id"):
        authors.setdefault(pm, []).append(user)
    return authors


def _late_items(
    rows: QuerySet[ActionItem], index: dict, now: datetime
) -> list[Violation]:
    # Only an item of a kind some policy gives days to can be late: the others
    # are not read (with no such policy, none are).
    kinds = [
        kind
        for kind in ACTION_DAYS_FIELDS
        if any(policy.action_days(kind) is not None for policy in index.values())
    ]
    if not kinds:
        return []
    values = (
        rows.filter(status=ActionStatus.OPEN, postmortem__isnull=False, kind__in=kinds)
        .annotate(severity=Min("postmortem__incidents__severity"))
        .values_list(
            "pk",
            "description",
            "kind",
            "created_at",
            "severity",
            "postmortem_id",
            "postmortem__product_id",
            "postmortem__product__slug",
            "postmortem__product__name",
            "postmortem__product__risk_tier",
            "owner_id",
            "postmortem__review_owner_id",
        )
        .order_by("pk")
    )
    found = []
    for pk, text, kind, created, sev, pm, pid, slug, name, tier, *who in values:
        policy = policy_for(index, sev, tier)
        days = policy.action_days(kind) if policy else None
        if days is None or created + timedelta(days=days) >= now:
            continue
        deadline = created + timedelta(days=days)
        owner, chaser = who
        found.append(
            Violation(
                ACTION_ITEM,
                pk,
                ActionStatus.OPEN,
                " ".join(text.split())[:120],
                pm,
                pid,
                slug,
                name,
                policy,
                sev or PRODUCT_FAILURE_SEVERITY,
                deadline,
                now - deadline,
                tuple(o for o in (owner or chaser,) if o),
            )
        )
    return found


def violations(
    *,
    user: Reader | None = None,
    product_ids: list[int] | None = None,
    now: datetime | None = None,
    owners: bool = False,
) -> list[Violation]:
    """Every current violation, the latest first: those of products `user`
    may read (None: all, for reminders), of `product_ids` when given. Three
    queries (policies, postmortems, action items); with `owners` (the
    reminders: who is chased), one more for the postmortems' authors, else a
    postmortem's `owners` is empty."""
    now = now or timezone.now()
    index = policy_index()
    if not index:
        return []
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
    found = _late_postmortems(postmortems, index, now, owners)
    found += _late_items(items, index, now)
    return sorted(found, key=lambda v: v.late_by, reverse=True)


def violation_counts(*, product_ids: list[int], now: datetime) -> dict[int, int]:
    """Violations per product (the portfolio's attention list)."""
    return Counter(v.product_id for v in violations(product_ids=product_ids, now=now))
