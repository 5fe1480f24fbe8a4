"""Insights across failures: read-only figures over contributing factors,
incidents and action items, for the products a person may read, filtered by
team, product and the portfolio's periods.

- contributing factors of postmortems published in the period, by category
  and ML kind, per quarter of publication;
- median time to detect and to resolve of the incidents that started in the
  period, by the category of a factor of their postmortems (an incident counts
  once per category) and by severity;
- the recurrence rate: incidents that started in the period marked a
  recurrence (tracker.postmortems.services.recurrence), over all of them;
- postmortem action items created in the period, by kind, and how many of them
  were done on time (done on or before the due date; with no due date, done);
- postmortems published in the period within their follow-up policy's
  deadline (selectors.policies), of those a policy gives a deadline.

Every figure carries the URL of the incidents or postmortems behind it. The
number of queries is fixed (six), whatever the data, and each aggregates in the
database: no row of the period is read into Python.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate, TruncQuarter
from django.urls import reverse

from tracker.accounts.models import Team
from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident, Severity
from tracker.lib.aggregates import Median, Seconds
from tracker.lib.periods import Period
from tracker.postmortems.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    MLKind,
    Postmortem,
    Status,
)
from tracker.products.models import Product
from tracker.products.selectors import readable

CATEGORIES = tuple(FactorCategory.values)
SEVERITIES = tuple(Severity.values)


@dataclass(frozen=True)
class Filters:
    period: Period
    team: Team | None = None
    product: Product | None = None

    def query(self, **more: str) -> str:
        """The incident and postmortem lists' query string for these filters."""
        params = {
            "team": self.team.slug if self.team else "",
            "product": self.product.slug if self.product else "",
            **more,
        }
        return urlencode({k: v for k, v in params.items() if v})


@dataclass(frozen=True)
class Figure:
    quarter: str  # "2026-Q2"
    label: str  # "Data · Upstream data change"
    category: str
    count: int
    url: str


@dataclass(frozen=True)
class Timing:
    label: str
    incidents: int
    median_ttd: timedelta | None
    median_ttr: timedelta | None
    url: str


@dataclass(frozen=True)
class Ratio:
    label: str
    total: int
    part: int
    total_url: str
    part_url: str

    @property
    def rate(self) -> float | None:
        return self.part / self.total if self.total else None


@dataclass
class Insights:
    filters: Filters
    factors: list[Figure] = field(default_factory=list)
    by_category: list[Timing] = field(default_factory=list)
    by_severity: list[Timing] = field(default_factory=list)
    recurrence: Ratio | None = None
    action_items: list[Ratio] = field(default_factory=list)  # by kind
    published_on_time: Ratio | None = None
    # When they were computed (tracker.reports.stored keeps them).
    as_of: datetime | None = None

    def factor_quarters(self) -> dict[str, dict[str, int]]:
        """Quarter → category label → factors (the chart's stacks)."""
        table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for figure in self.factors:
            table[figure.quarter][FactorCategory(figure.category).label] += figure.count
        return {q: dict(c) for q, c in sorted(table.items())}


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(value))


def _scope(user: Reader, filters: Filters, path: str) -> Q:
    q = readable(user, path)
    if filters.team is not None:
        q &= Q(**{f"{path}__team": filters.team})
    if filters.product is not None:
        q &= Q(**{path: filters.product})
    return q


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _incidents_url(filters: Filters, **more: str) -> str:
    span = {
        "started_after": _iso(filters.period.start),
        "started_before": _iso(filters.period.end),
    }
    return f"{reverse('incidents:list')}?{filters.query(**span, **more)}"


def _postmortems_url(filters: Filters, **more: str) -> str:
    span = {
        "status": Status.PUBLISHED,
        "published_after": _iso(filters.period.start),
        "published_before": _iso(filters.period.end),
    }
    return f"{reverse('postmortems:list')}?{filters.query(**span, **more)}"


def _factor_label(category: str, ml_kind: str) -> str:
    label = FactorCategory(category).label
    return f"{label} · {MLKind(ml_kind).label}" if ml_kind else label


def _factors(user: Reader, filters: Filters) -> list[Figure]:
    period = filters.period
    rows = (
        ContributingFactor.objects.filter(
            _scope(user, filters, "postmortem__product"),
            postmortem__status=Status.PUBLISHED,
            postmortem__published_at__gte=period.start,
            postmortem__published_at__lt=period.end,
        )
        .annotate(quarter=TruncQuarter("postmortem__published_at"))
        .values("quarter", "category", "ml_kind")
        .annotate(n=Count("pk"))
        .order_by("quarter", "-n", "category", "ml_kind")
    )
    return [
        Figure(
            f"{row['quarter']:%Y}-Q{(row['quarter'].month - 1) // 3 + 1}",
            _factor_label(row["category"], row["ml_kind"]),
            row["category"],
            row["n"],
            _postmortems_url(filters, category=row["category"]),
        )
        for row in rows
    ]


def _in_period(user: Reader, filters: Filters):
    return Incident.objects.filter(
        _scope(user, filters, "product"),
        product__isnull=False,  # untriaged: no product to learn about yet
        started_at__gte=filters.period.start,
        started_at__lt=filters.period.end,
    ).order_by()


TTD = Seconds("detected_at", "started_at")
TTR = Seconds("resolved_at", "started_at")
RESOLVED = Q(resolved_at__isnull=False)


def _per(key: str, values: tuple[str, ...], ttd, ttr, resolved: Q) -> dict:
    """Count, median TTD and median TTR for each of `values` of `key`, as
    filtered aggregates of one pass (no GROUP BY: no sort of every row)."""
    return {
        f"{value}_{what}": aggregate
        for value in values
        for what, aggregate in (
            ("n", Count("pk", filter=Q(**{key: value}))),
            ("ttd", Median(ttd, filter=Q(**{key: value}))),
            ("ttr", Median(ttr, filter=Q(**{key: value}) & resolved)),
        )
    }


def _timings(figures: dict, labels, filters: Filters, param: str) -> list[Timing]:
    return [
        Timing(
            choice.label,
            figures[f"{choice.value}_n"],
            _seconds(figures[f"{choice.value}_ttd"]),
            _seconds(figures[f"{choice.value}_ttr"]),
            _incidents_url(filters, **{param: choice.value}),
        )
        for choice in labels
    ]


def _by_category(user: Reader, filters: Filters) -> list[Timing]:
    # One pass over the period's incidents joined to their postmortems'
    # factors: each (incident, category) pair once (DISTINCT, so that two
    # postmortems or two factors of one category count the incident once),
    # aggregated per category around it.
    pairs = (
        _in_period(user, filters)
        .filter(postmortems__factors__isnull=False)
        .values("pk", category=F("postmortems__factors__category"), ttd=TTD, ttr=TTR)
        .distinct()
    )
    figures = pairs.aggregate(
        **_per("category", CATEGORIES, "ttd", "ttr", Q(ttr__isnull=False))
    )
    return _timings(figures, FactorCategory, filters, "factor")


def _by_severity(user: Reader, filters: Filters) -> tuple[list[Timing], Ratio]:
    """The timings by severity and the recurrence rate: one pass over the
    period's incidents."""
    figures = _in_period(user, filters).aggregate(
        **_per("severity", SEVERITIES, TTD, TTR, RESOLVED),
        total=Count("pk"),
        recurring=Count("pk", filter=Q(recurrence_of__isnull=False)),
    )
    recurrence = Ratio(
        "Recurrences",
        figures["total"],
        figures["recurring"],
        _incidents_url(filters),
        _incidents_url(filters, recurrence="true"),
    )
    return _timings(figures, Severity, filters, "severity"), recurrence


ON_TIME = Q(status=ActionStatus.DONE) & (
    Q(due_date__isnull=True) | Q(closed_on__lte=F("due_date"))
)


def _action_items(user: Reader, filters: Filters) -> list[Ratio]:
    rows = {
        row["kind"]: row
        for row in ActionItem.objects.filter(
            _scope(user, filters, "postmortem__product"),
            created_at__gte=filters.period.start,
            created_at__lt=filters.period.end,
        )
        .alias(closed_on=TruncDate("closed_at"))
        .values("kind")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=ON_TIME))
        .order_by()
    }
    url = reverse("postmortems:list") + "?" + filters.query()
    return [
        Ratio(
            kind.label,
            rows.get(kind.value, {}).get("n", 0),
            rows.get(kind.value, {}).get("on_time", 0),
            url,
            url,
        )
        for kind in ActionKind
    ]


def _published_on_time(user: Reader, filters: Filters) -> Ratio:
    """Of the postmortems published in the period that a policy gives a
    deadline, how many were published by it: the deadline each keeps
    (tracker.postmortems.services.followup)."""
    figures = (
        Postmortem.objects.filter(
            _scope(user, filters, "product"),
            status=Status.PUBLISHED,
            published_at__gte=filters.period.start,
            published_at__lt=filters.period.end,
        )
        .order_by()
        .aggregate(
            total=Count("pk", filter=Q(followup_deadline__isnull=False)),
            within=Count("pk", filter=Q(published_at__lte=F("followup_deadline"))),
        )
    )
    url = _postmortems_url(filters)
    return Ratio(
        "Published within the policy's deadline",
        figures["total"],
        figures["within"],
        url,
        url,
    )


def insights_report(*, user: Reader, filters: Filters) -> Insights:
    by_severity, recurrence = _by_severity(user, filters)
    return Insights(
        filters=filters,
        factors=_factors(user, filters),
        by_category=_by_category(user, filters),
        by_severity=by_severity,
        recurrence=recurrence,
        action_items=_action_items(user, filters),
        published_on_time=_published_on_time(user, filters),
    )
