"""Reads for the products domain. Every object a user reaches by slug or id comes
through a `*_get_for_user` here: 404 when it does not exist or the user may not
read it (product_readable_q below decides who reads what, from the team's
visibility in tracker.accounts), 403 when `for_edit` is asked by someone who may
read but not change it."""

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from tracker.accounts.models import (
    ApiToken,
    CIPrincipal,
    Membership,
    Team,
    TokenKind,
    User,
    Visibility,
)
from tracker.accounts.selectors import (
    EVERYTHING,
    Reader,
    member_of,
    sees_everything,
)
from tracker.lib.aggregates import in_ids
from tracker.products.models import (
    Availability,
    FeatureSource,
    Measurement,
    MetricKind,
    PlanningSession,
    Product,
    ServiceLevel,
    SLACheck,
    Stage,
    SuccessMetric,
)

# --- Who may read which product (docs/access.md) -------------------------------------
# Everything under a product (metrics, incidents, postmortems, CI, reminders,
# report rows…) follows its product: these filters are SQL, used inside other
# querysets, so lists stay a fixed number of queries.


def product_readable_q(user: Reader, path: str = "") -> Q:
    """The products `user` may read, as a filter over Product, or over rows
    that have one product each when `path` leads to it ("product__"), for
    finding one row by its key. A CI token reads its own product and what the
    whole organisation may read."""
    if isinstance(user, CIPrincipal):
        return Q(**{f"{path}pk": user.product_id}) | Q(
            **{f"{path}team__visibility": Visibility.ORGANISATION}
        )
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_everything(user):
        return EVERYTHING
    return (
        Q(**{f"{path}team__visibility": Visibility.ORGANISATION})
        | Q(**{f"{path}team__in": member_of(user)})
        | Q(**{f"{path}pm_owner_id": user.pk})
        | Q(**{f"{path}ml_owner_id": user.pk})
        | Q(**{f"{path}eng_owner_id": user.pk})
    )


def products_readable_by(user: Reader) -> QuerySet[Product]:
    return Product.objects.filter(product_readable_q(user))


def products_hidden_from(user: Reader) -> QuerySet[Product]:
    """The products `user` may not read (the complement of product_readable_q
    for someone signed in): a private team's, unless they are a member of it or
    one of the product's owners (a CI token: unless it is its own). Found from
    the private teams, by the products' team index: as many rows as there are
    hidden products, which an organisation whose teams are all open has none
    of, not one per product."""
    # Every team the organisation may not read (fail closed should another
    # visibility ever be added).
    private = Team.objects.exclude(visibility=Visibility.ORGANISATION)
    if isinstance(user, CIPrincipal):
        return Product.objects.filter(team__in=private).exclude(pk=user.product_id)
    # One filter() (each exclude() would copy and resolve the query again).
    return Product.objects.filter(
        Q(team__in=private.exclude(pk__in=member_of(user)))
        & ~Q(pm_owner_id=user.pk)
        & ~Q(ml_owner_id=user.pk)
        & ~Q(eng_owner_id=user.pk)
    )


def readable(user: Reader, *paths: str, unassigned: bool = False) -> Q:
    """A filter for rows under a product: those whose product `user` may read.

    `paths` lead from the rows to their product ("product", "sla__product"); a row
    with several (an action item's "postmortem__product" or "session__product")
    passes when the product on one of them is readable. `unassigned` also passes
    rows with no product (an untriaged incident, a shared integration). A
    `NOT IN (SELECT …)` of the hidden products (products_hidden_from): no joins
    that multiply rows, no extra query, and no set of every readable product
    built for each statement.
    """
    if sees_everything(user):
        return EVERYTHING
    if not isinstance(user, CIPrincipal) and not (
        user.is_authenticated and user.is_active
    ):
        return Q(pk__in=[])
    hidden = products_hidden_from(user).values("pk")
    # A row without a product on a path does not pass by that path (NOT IN
    # alone would let NULL through Django's negation).
    conditions = [
        Q(**{f"{path}__isnull": False}) & ~Q(**{f"{path}__in": hidden})
        for path in paths
    ]
    if unassigned:
        conditions.append(Q(**{f"{path}__isnull": True for path in paths}))
    return reduce(operator.or_, conditions)


def private_product_readers(
    product_ids: Iterable[int], user_ids: Iterable[int]
) -> dict[int, set[int]]:
    """For many people and products at once (the reminder sweep): each of the
    private teams' products among `product_ids`, with who among `user_ids` reads
    it as a member of its team or one of its owners. Products left out are read
    by everyone; staff and superusers read every product, which callers check
    on the users they load anyway. One query, two with a private product."""
    rows = list(
        Product.objects.filter(
            in_ids("pk", product_ids), team__visibility=Visibility.PRIVATE
        ).values_list("pk", "team_id", "pm_owner_id", "ml_owner_id", "eng_owner_id")
    )
    readers = {pk: {o for o in owners if o} for pk, _, *owners in rows}
    if not readers:
        return {}
    teams = {team for _, team, *_ in rows}
    members: dict[int, set[int]] = {}
    for user, team in Membership.objects.filter(
        in_ids("user_id", user_ids), team_id__in=teams
    ).values_list("user_id", "team_id"):
        members.setdefault(team, set()).add(user)
    for pk, team, *_ in rows:
        readers[pk] |= members.get(team, set())
    return readers


def user_can_edit_product(user: User | CIPrincipal, product: Product) -> bool:
    """Team members, the product's three owners and superusers may edit; a CI
    token may report to its own product only."""
    if isinstance(user, CIPrincipal):
        return user.product_id == product.pk
    if not user.is_authenticated or not user.is_active or user.pk is None:
        return False
    if user.is_superuser or user.pk in product.owner_ids:
        return True
    return Membership.objects.filter(team_id=product.team_id, user=user).exists()


def user_team_ids(user: User) -> set[int]:
    return set(Membership.objects.filter(user=user).values_list("team_id", flat=True))


def product_get_for_user(
    *, user: User | CIPrincipal, slug: str, for_edit: bool = False
) -> Product:
    """The product with `slug`, if `user` may read it.

    Raises Http404 when it does not exist or `user` may not read it, and
    PermissionDenied (403) when `for_edit` is asked by someone who may read but
    not edit it. A CI token reaches its own product only (403 for any other).
    """
    if isinstance(user, CIPrincipal):
        return _product_for_ci(user, slug)
    product = (
        Product.objects.select_related("team", "pm_owner", "ml_owner", "eng_owner")
        .filter(product_readable_q(user), slug=slug)
        .first()
    )
    if product is None or not user.is_authenticated:
        raise Http404("No such product.")
    if for_edit and not user_can_edit_product(user, product):
        raise PermissionDenied("Only the product's team and owners can change it.")
    return product


def _product_for_ci(principal: CIPrincipal, slug: str) -> Product:
    # The token's product was loaded with the token: no query on the CI hot path.
    if principal.token.product.slug != slug:
        raise PermissionDenied("A CI token can only report to its own product.")
    return principal.token.product


def metric_get_for_user(
    *, user: User | CIPrincipal, pk: int, for_edit: bool = False
) -> SuccessMetric:
    """A metric by id, with its product; the same rules as product_get_for_user."""
    metric = (
        SuccessMetric.objects.select_related("product", "owner")
        .filter(readable(user, "product"), pk=pk)
        .first()
    )
    return _checked(user, metric, metric and metric.product, for_edit, "metric")


def sla_get_for_user(
    *, user: User | CIPrincipal, pk: int, for_edit: bool = False
) -> ServiceLevel:
    """An SLA by id, with its product; the same rules as product_get_for_user."""
    sla = (
        ServiceLevel.objects.select_related("product")
        .filter(readable(user, "product"), pk=pk)
        .first()
    )
    return _checked(user, sla, sla and sla.product, for_edit, "SLA")


def metric_of_product(*, product: Product, pk: int) -> SuccessMetric:
    """One of the product's success metrics (the product already read through
    product_get_for_user), with its owner; 404 when it is another product's."""
    metric = product.metrics.select_related("owner").filter(pk=pk).first()
    if metric is None:
        raise Http404("No such metric.")
    return metric


def sla_of_product(*, product: Product, pk: int) -> ServiceLevel:
    """One of the product's SLAs (the product already read through
    product_get_for_user); 404 when it is another product's."""
    sla = product.slas.filter(pk=pk).first()
    if sla is None:
        raise Http404("No such SLA.")
    return sla


def session_of_product(*, product: Product, pk: int) -> PlanningSession:
    """One of the product's planning sessions, with its attendees; 404 when it is
    another product's."""
    session = product.sessions.prefetch_related("attendees").filter(pk=pk).first()
    if session is None:
        raise Http404("No such planning session.")
    return session


def _checked(user, obj, product: Product | None, for_edit: bool, noun: str):
    if obj is None or not user.is_authenticated:
        raise Http404(f"No such {noun}.")
    ci_elsewhere = isinstance(user, CIPrincipal) and user.product_id != product.pk
    if ci_elsewhere or (for_edit and not user_can_edit_product(user, product)):
        raise PermissionDenied(
            f"Only the product's team and owners can change this {noun}."
        )
    return obj


def teams_editable_by(user: User, *, keep: Team | None = None) -> QuerySet[Team]:
    """Teams a user may put products in; `keep` (a product's current team) stays
    selectable so editing an owner's product does not force a team change."""
    if user.is_superuser:
        return Team.objects.all()
    allowed = Q(pk__in=Membership.objects.filter(user=user).values("team_id"))
    if keep is not None:
        allowed |= Q(pk=keep.pk)
    return Team.objects.filter(allowed)


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) subquery: counts without multiplying joined rows."""
    return Subquery(
        queryset.order_by().values("product").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


def product_list(*, user: Reader) -> QuerySet[Product]:
    """The products `user` may read, for the list page and API, with what the
    list shows precomputed in the same query (no per-row queries)."""
    in_product = {"product": OuterRef("pk")}
    return (
        Product.objects.select_related("team", "pm_owner", "ml_owner", "eng_owner")
        .filter(product_readable_q(user))
        .annotate(
            kpi_count=Coalesce(
                _count(SuccessMetric.objects.filter(**in_product, kind="business_kpi")),
                0,
            ),
            sla_count=Coalesce(_count(ServiceLevel.objects.filter(**in_product)), 0),
            feature_count=Coalesce(
                _count(FeatureSource.objects.filter(**in_product)), 0
            ),
            # A correlated count, read for the page's rows only (an EXISTS
            # becomes a hashed scan of every product's features).
            unavailable_feature_count=_count(
                FeatureSource.objects.filter(**in_product).exclude(
                    available_in_production=Availability.YES
                )
            ),
        )
        .order_by("name", "id")
    )


def metric_list_with_latest(*, product: Product) -> list[SuccessMetric]:
    """The product's metrics by kind, each with `latest` (a Measurement or None)
    and `history` (measurements oldest first) for the before/after chart."""
    metrics = list(
        product.metrics.select_related("owner").prefetch_related(
            Prefetch(
                "measurements",
                # A segment's or an experiment arm's values are not the metric's
                # (segments.py and experiments.py read them).
                queryset=Measurement.objects.filter(
                    segment__isnull=True, arm__isnull=True
                ).order_by("measured_at", "id"),
                to_attr="history",
            )
        )
    )
    for metric in metrics:
        metric.latest = metric.history[-1] if metric.history else None
    # Kept apart by kind, in the kinds' order (business KPIs first, adoption last).
    kinds = list(MetricKind.values)
    metrics.sort(key=lambda metric: (kinds.index(metric.kind), metric.name))
    return metrics


@dataclass(frozen=True)
class Compliance:
    """Share of checks in the window that met the threshold, and the error budget."""

    total: int
    passed: int
    objective: float

    @property
    def ratio(self) -> float | None:
        return self.passed / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.ratio is None else self.ratio * 100

    @property
    def meets_objective(self) -> bool | None:
        return None if self.percent is None else self.percent >= self.objective

    @property
    def budget_remaining(self) -> float | None:
        """Fraction of the allowed failures still unspent (negative: overspent)."""
        if not self.total:
            return None
        allowed = (1 - self.objective / 100) * self.total
        failures = self.total - self.passed
        if allowed == 0:
            return 1.0 if failures == 0 else -float(failures)
        return 1 - failures / allowed


class SlaRef(NamedTuple):
    """What compliance needs of an SLA, read as values (the portfolio report
    reads thousands); sla_compliance_many takes these or ServiceLevel rows."""

    pk: int
    product_id: int
    name: str
    window_days: int
    objective: float


def _in_window(slas: list[ServiceLevel] | list[SlaRef], now: datetime) -> Q:
    """The checks of `slas` inside their own SLA's rolling window, as one
    filter: the SLAs grouped by window size, each group's checks since its
    start (the SLAs' ids, not a join to every SLA of the organisation).

    Windows differ per SLA; an OR over the distinct window sizes keeps this one
    query (portable to SQLite, which cannot multiply a duration by a column).
    """
    by_window: dict[int, list[int]] = {}
    for sla in slas:
        by_window.setdefault(sla.window_days, []).append(sla.pk)
    condition = Q(pk__in=[])
    for days, ids in by_window.items():
        since = now - timedelta(days=days)
        condition |= Q(in_ids("sla_id", ids), checked_at__gt=since)
    return condition


def sla_compliance_many(
    slas: list[ServiceLevel] | list[SlaRef], *, now: datetime | None = None
) -> dict[int, Compliance]:
    """Compliance of each SLA over its window, in one aggregate query."""
    now = now or timezone.now()
    if not slas:
        return {}
    counts = (
        SLACheck.objects.filter(_in_window(slas, now))
        .values("sla")
        .annotate(total=Count("pk"), passed=Count("pk", filter=Q(passed=True)))
        .order_by()
    )
    found = {row["sla"]: row for row in counts}
    return {
        sla.pk: Compliance(
            found.get(sla.pk, {}).get("total", 0),
            found.get(sla.pk, {}).get("passed", 0),
            sla.objective,
        )
        for sla in slas
    }


def sla_compliance(*, sla: ServiceLevel, now: datetime | None = None) -> Compliance:
    return sla_compliance_many([sla], now=now)[sla.pk]


def slas_with_compliance(
    slas: list[ServiceLevel], *, now: datetime | None = None
) -> list[ServiceLevel]:
    """Sets `compliance` and `latest_check` on each SLA, in two queries."""
    compliance = sla_compliance_many(slas, now=now)
    latest = {}
    if slas:
        newest = SLACheck.objects.filter(sla=OuterRef("sla")).order_by(
            "-checked_at", "-id"
        )
        for check in SLACheck.objects.filter(
            sla__in=slas, pk=Subquery(newest.values("pk")[:1])
        ):
            latest[check.sla_id] = check
    for sla in slas:
        sla.compliance = compliance[sla.pk]
        sla.latest_check = latest.get(sla.pk)
    return slas


def sla_list_with_compliance(
    *, product: Product, now: datetime | None = None
) -> list[ServiceLevel]:
    """The product's SLAs with `compliance` and `latest_check`, in three queries."""
    return slas_with_compliance(list(product.slas.all()), now=now)


def survey_complete(*, surveyed: bool, unrated: bool, unavailable: bool) -> bool:
    """The one rule for "the production-data survey is complete": it lists
    features, each rated on every data-quality dimension with its availability
    known, and each available in production. The readiness item
    (tracker.readiness.selectors) and the survey's badges both ask this."""
    return surveyed and not unrated and not unavailable


@dataclass(frozen=True)
class SurveyStatus:
    total: int
    rated: int
    unavailable: int
    high_skew: int

    @property
    def complete(self) -> bool:
        return survey_complete(
            surveyed=self.total > 0,
            unrated=self.rated < self.total,
            unavailable=self.unavailable > 0,
        )

    @property
    def missing(self) -> str:
        """What keeps it from being complete, in a few words (its badge)."""
        if not self.total:
            return "no features yet"
        if self.rated < self.total:
            return f"{self.rated} of {self.total} rated"
        if self.unavailable:
            return f"{self.unavailable} not in production"
        return ""


def survey_status(features: list[FeatureSource]) -> SurveyStatus:
    return SurveyStatus(
        total=len(features),
        rated=sum(1 for f in features if f.is_rated),
        unavailable=sum(
            1 for f in features if f.available_in_production != Availability.YES
        ),
        high_skew=sum(1 for f in features if f.skew_risk == "high"),
    )


def session_list(*, product: Product) -> QuerySet[PlanningSession]:
    return product.sessions.prefetch_related("attendees")


def session_candidates(*, product: Product) -> QuerySet[User]:
    """Who can be recorded as attending: the team's active members and the owners."""
    owners = [i for i in product.owner_ids if i]
    return (
        User.objects.filter(is_active=True)
        .filter(Q(teams=product.team_id) | Q(pk__in=owners))
        .distinct()
        .order_by("username")
    )


def personas_present(session: PlanningSession, product: Product) -> dict[str, bool]:
    """Which of the three owner personas attended (uses prefetched attendees)."""
    present = {user.pk for user in session.attendees.all()}
    return {
        "pm": product.pm_owner_id in present,
        "ml": product.ml_owner_id in present,
        "eng": product.eng_owner_id in present,
    }


def stage_timeline(*, product: Product) -> list[dict]:
    """Every stage with the date it was (last) entered, or None if never."""
    entered = {
        change.to_stage: change
        for change in product.stage_changes.select_related("changed_by")
    }
    current = list(Stage).index(Stage(product.stage))
    return [
        {
            "stage": stage,
            "entered": entered.get(stage.value),
            "current": stage.value == product.stage,
            "passed": index < current and product.stage != Stage.RETIRED,
        }
        for index, stage in enumerate(Stage)
    ]


def token_list_for_product(*, product: Product) -> QuerySet[ApiToken]:
    """A product's active CI tokens."""
    return ApiToken.objects.filter(
        product=product, kind=TokenKind.CI, revoked_at__isnull=True
    ).select_related("user", "product")
