"""The portfolio report: one row per product and portfolio totals, computed with a
fixed number of queries however many products there are (a test guards it)."""

from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import connections, transaction
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from tracker.accounts.selectors import Reader, product_readable_q
from tracker.ci.selectors import CombinedStatus, ci_latest_states
from tracker.incidents.models import Incident, Kind, Severity
from tracker.lib.aggregates import Median, Seconds, in_ids
from tracker.postmortems.models import ActionItem, ActionStatus
from tracker.postmortems.selectors.reports import (
    Completion,
    completion_aggregates,
    postmortems_stuck_in_draft,
)
from tracker.products.models import (
    Measurement,
    MetricKind,
    Product,
    RiskTier,
    ServiceLevel,
    Stage,
    SuccessMetric,
    change_against,
    progress_towards,
)
from tracker.products.selectors import Compliance, SlaRef, sla_compliance_many
from tracker.readiness.selectors import (
    Readiness,
    Score,
    fix_urls,
    ml_test_scores,
    readiness_annotate,
)
from tracker.reports.periods import Period

ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "on_track", "at_risk", "off_track", "no_data"
STATUS_LABELS = {
    ON_TRACK: "on track",
    AT_RISK: "at risk",
    OFF_TRACK: "off track",
    NO_DATA: "no data",
}
NO_COMPLETION = Completion(0, 0)
# Severity.values builds a new list at every read: once per row adds up.
SEVERITIES = tuple(Severity.values)
KINDS = tuple(Kind.values)
READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
PROGRESS_BUCKETS = ["< 0%", "0–25%", "25–50%", "50–75%", "75–100%", "≥ 100%"]
# What the report reads of products: the rest stays in the database (texts and
# timestamps cost most of the time of loading 1,000 rows). ReportProduct says
# why they are not model instances.
PRODUCT_FIELDS = {
    "pk": "pk",
    "name": "name",
    "slug": "slug",
    "team_name": "team__name",
    "team_slug": "team__slug",
    "stage": "stage",
    "risk_tier": "risk_tier",
    # readiness: owners, simple baseline and worst case
    "pm_owner_id": "pm_owner",
    "ml_owner_id": "ml_owner",
    "eng_owner_id": "eng_owner",
    "shared_ownership_accepted": "shared_ownership_accepted",
    "simple_baseline": "simple_baseline",
    "worst_case_matters": "worst_case_matters",
    "worst_case_evaluation": "worst_case_evaluation",
}
_STAGE_LABELS = dict(Stage.choices)
_RISK_TIER_LABELS = dict(RiskTier.choices)


@dataclass(frozen=True, slots=True)
class TeamRef:
    name: str
    slug: str


class ReportProduct:
    """A product as the report reads it: the fields above, its team and the
    readiness facts (readiness_annotate), from one values() query. Building
    1,000 Product and Team instances took 15–20 ms of the page's CPU time
    (benchmarks/report_render.py); these take 3. It answers what the report's
    page, exports, API, digest and readiness checklist ask of a product, with
    Product's own properties; anything else is an AttributeError, which the
    tests of each of them would show."""

    __slots__ = (*PRODUCT_FIELDS, "team", "__dict__")

    owner_ids = Product.owner_ids
    owners_aligned = Product.owners_aligned
    missing_owner_roles = Product.missing_owner_roles
    get_absolute_url = Product.get_absolute_url

    def __init__(self, team: TeamRef, facts: dict[str, bool], **fields) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        self.team = team
        self.__dict__.update(facts)  # rd_kpi, rd_sla, …

    @property
    def id(self) -> int:
        return self.pk

    def get_stage_display(self) -> str:
        return _STAGE_LABELS.get(self.stage, self.stage)

    def get_risk_tier_display(self) -> str:
        return _RISK_TIER_LABELS.get(self.risk_tier, self.risk_tier)

    def __str__(self) -> str:
        return self.name


KPI_FIELDS = [
    "product_id",
    "name",
    "unit",
    "direction",
    "baseline",
    "baseline_at",
    "target",
    "target_date",
]


@dataclass(slots=True)
class KpiRow:
    """A business KPI as the report shows it (read as values, not as models:
    a portfolio has thousands)."""

    name: str
    unit: str
    direction: str
    baseline: float | None
    target: float | None
    latest: float | None
    progress: float | None
    status: str
    after_launch_change: float | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class ProductRow:
    product: ReportProduct
    readiness: Readiness
    ml_score: Score
    kpis: list[KpiRow] = field(default_factory=list)
    slas: list[tuple[str, Compliance]] = field(default_factory=list)
    overdue_followups: int = 0
    incidents: dict[str, int] = field(default_factory=dict)  # by severity
    median_ttd: timedelta | None = None
    median_ttr: timedelta | None = None
    ci: CombinedStatus | None = None
    postmortems: Completion = NO_COMPLETION
    open_action_items: int = 0
    overdue_action_items: int = 0
    stuck_postmortems: int = 0

    def get_absolute_url(self) -> str:
        return self.product.get_absolute_url()

    @property
    def incident_count(self) -> int:
        return sum(self.incidents.values())

    @property
    def owners_complete(self) -> bool:
        return self.product.owners_aligned

    @property
    def worst_sla(self) -> Compliance | None:
        measured = [c for _, c in self.slas if c.total]
        return min(measured, key=lambda c: c.ratio) if measured else None

    @cached_property
    def attention(self) -> list[str]:
        """Why this product needs leadership's attention (empty: it does not)."""
        reasons = []
        if not self.kpis:
            reasons.append("no business KPI")
        if not self.slas:
            reasons.append("no SLA")
        if self.readiness.passed["survey"] is False:
            reasons.append("data survey incomplete")
        if self.overdue_followups:
            reasons.append(f"{self.overdue_followups} overdue KPI follow-up(s)")
        if self.stuck_postmortems:
            reasons.append(f"{self.stuck_postmortems} postmortem(s) stuck in draft")
        return reasons

    @cached_property
    def figures(self) -> dict[str, Any]:
        """The row's figures, typed (None where there is nothing to measure):
        the CSV export formats them, the API returns them as they are."""
        statuses = Counter(k.status for k in self.kpis)
        progress = [k.progress for k in self.kpis if k.progress is not None]
        changes = [
            k.after_launch_change
            for k in self.kpis
            if k.after_launch_change is not None
        ]
        measured = [c for _, c in self.slas if c.total]
        return {
            "owners_complete": self.owners_complete,
            "readiness_passed": self.readiness.passed_count,
            "readiness_applicable": self.readiness.applicable_count,
            "ml_test_score": self.ml_score.score,
            "business_kpis": len(self.kpis),
            "kpis_on_track": statuses[ON_TRACK],
            "kpis_at_risk": statuses[AT_RISK],
            "kpis_off_track": statuses[OFF_TRACK],
            "kpi_min_progress": min(progress) if progress else None,
            "kpi_after_launch_change": sum(changes) / len(changes) if changes else None,
            "sla_count": len(self.slas),
            "sla_min_compliance": min(c.ratio for c in measured) if measured else None,
            "sla_min_error_budget": min(c.budget_remaining for c in measured)
            if measured
            else None,
            "overdue_kpi_followups": self.overdue_followups,
            "incidents": self.incident_count,
            **{f"incidents_{sev}": self.incidents.get(sev, 0) for sev in SEVERITIES},
            "median_time_to_detect": self.median_ttd,
            "median_time_to_resolve": self.median_ttr,
            "sev12_incidents": self.postmortems.total,
            "sev12_with_published_postmortem": self.postmortems.covered,
            "postmortem_completion": self.postmortems.ratio,
            "open_action_items": self.open_action_items,
            "overdue_action_items": self.overdue_action_items,
            "postmortems_stuck_in_draft": self.stuck_postmortems,
            "latest_ci_state": self.ci.state if self.ci else None,
            "latest_ci_sha": self.ci.sha if self.ci else None,
        }


@dataclass
class Portfolio:
    period: Period
    generated_at: datetime
    rows: list[ProductRow]
    incidents_by_month: dict[str, Counter] = field(
        default_factory=dict
    )  # month → kinds
    ttr_by_month: dict[str, timedelta | None] = field(default_factory=dict)
    # month → share of action items due that month closed by their due date
    closure_by_month: dict[str, float | None] = field(default_factory=dict)

    @property
    def attention(self) -> list[ProductRow]:
        return [row for row in self.rows if row.attention]

    @property
    def product_count(self) -> int:
        return len(self.rows)

    @property
    def postmortem_completion(self) -> Completion:
        return Completion(
            sum(row.postmortems.total for row in self.rows),
            sum(row.postmortems.covered for row in self.rows),
        )

    def stage_counts(self) -> dict[str, int]:
        """Products per stage, by stored value, every stage included."""
        counts = Counter(row.product.stage for row in self.rows)
        return {stage.value: counts.get(stage.value, 0) for stage in Stage}

    def products_by_stage(self) -> dict[str, int]:
        counts = self.stage_counts()
        return {stage.label: counts[stage.value] for stage in Stage}

    def kpi_progress_distribution(self) -> dict[str, int]:
        counts = dict.fromkeys(PROGRESS_BUCKETS, 0)
        for row in self.rows:
            for kpi in row.kpis:
                if kpi.progress is not None:
                    counts[_bucket(kpi.progress)] += 1
        return counts

    def kpi_statuses(self) -> dict[str, int]:
        """Business KPIs per status, by key (on_track, …), every status included."""
        counts = Counter(kpi.status for row in self.rows for kpi in row.kpis)
        return {key: counts.get(key, 0) for key in STATUS_LABELS}

    def kpi_status_counts(self) -> dict[str, int]:
        return {STATUS_LABELS[key]: n for key, n in self.kpi_statuses().items()}

    def months(self) -> list["Month"]:
        """The period's months, oldest first, with their portfolio figures."""
        return [
            Month(
                month,
                {kind: kinds.get(kind, 0) for kind in Kind.values},
                self.ttr_by_month.get(month),
                self.closure_by_month.get(month),
            )
            for month, kinds in self.incidents_by_month.items()
        ]


@dataclass(frozen=True)
class Month:
    month: str  # "2026-06"
    incidents: dict[str, int]  # by kind, every kind included
    median_ttr: timedelta | None
    closure: float | None  # share of action items due that month closed on time


def _bucket(progress: float) -> str:
    if progress < 0:
        return PROGRESS_BUCKETS[0]
    if progress >= 1:
        return PROGRESS_BUCKETS[-1]
    return PROGRESS_BUCKETS[1 + int(progress * 4)]


def kpi_status(metric: SuccessMetric, progress: float | None, today) -> str:
    """On track when progress keeps pace with the time elapsed towards the target
    date (or the target is met); at risk when it has at least half that pace;
    off track otherwise. Without dates: met → on track, some progress → at risk."""
    return _status(metric.baseline_at, metric.target_date, progress, today)


def _status(baseline_at, target_date, progress: float | None, today) -> str:
    if progress is None:
        return NO_DATA
    if progress >= 1:
        return ON_TRACK
    expected = None
    if baseline_at and target_date and target_date > baseline_at:
        span = (target_date - baseline_at).days
        expected = min(max((today - baseline_at).days / span, 0.0), 1.0)
    if expected is None:
        return AT_RISK if progress > 0 else OFF_TRACK
    if progress >= expected:
        return ON_TRACK
    return AT_RISK if progress > 0 and progress >= expected / 2 else OFF_TRACK


def _kpis(product_ids: list[int], today) -> dict[int, list[KpiRow]]:
    newest = Measurement.objects.filter(metric=OuterRef("pk")).order_by(
        "-measured_at", "-id"
    )
    after_launch = (
        Measurement.objects.filter(
            metric=OuterRef("pk"), measured_at__gte=OuterRef("product__launched_at")
        )
        .order_by()
        .values("metric")
        .annotate(mean=Avg("value"))
        .values("mean")
    )
    rows = (
        SuccessMetric.objects.filter(
            in_ids("product_id", product_ids), kind=MetricKind.BUSINESS_KPI
        )
        .annotate(
            latest_value=Subquery(newest.values("value")[:1]),
            after_launch_mean=Subquery(after_launch),
        )
        .order_by("product_id", "name")
        .values_list(*KPI_FIELDS, "latest_value", "after_launch_mean")
    )
    found = defaultdict(list)
    for pid, name, unit, direction, base, base_at, target, due, latest, mean in rows:
        progress = progress_towards(base, target, latest)
        found[pid].append(
            KpiRow(
                name,
                unit,
                direction,
                base,
                target,
                latest,
                progress,
                _status(base_at, due, progress, today),
                change_against(base, mean),
            )
        )
    return found


def _slas(product_ids: list[int], now) -> dict[int, list[tuple[str, Compliance]]]:
    slas = [
        SlaRef(*row)
        for row in ServiceLevel.objects.filter(in_ids("product_id", product_ids))
        .order_by("name")
        .values_list("pk", "product_id", "name", "window_days", "objective")
    ]
    compliance = sla_compliance_many(slas, now=now)
    found = defaultdict(list)
    for sla in slas:
        found[sla.product_id].append((sla.name, compliance[sla.pk]))
    return found


def _overdue(product_ids: list[int], now) -> dict[int, int]:
    """Per product, its metrics whose follow-up measurement is overdue."""
    return dict(
        SuccessMetric.objects.filter(
            in_ids("product_id", product_ids), next_due_at__lt=now
        )
        .values("product_id")
        .annotate(n=Count("pk"))
        .values_list("product_id", "n")
        .order_by()
    )


@dataclass
class IncidentFigures:
    by_product: dict[int, dict[str, int]]
    ttd: dict[int, timedelta | None]
    ttr: dict[int, timedelta | None]
    by_month: dict[str, Counter]
    ttr_by_month: dict[str, timedelta | None]
    completion: dict[int, Completion]


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(value))


def _incidents(product_ids: list[int], period: Period) -> IncidentFigures:
    """Incidents that started in the period, aggregated in the database (two
    queries returning a row per product or per month, not per incident); the
    per-product one also counts the postmortem completion."""
    in_period = Incident.objects.filter(
        in_ids("product_id", product_ids),
        started_at__gte=period.start,
        started_at__lt=period.end,
    ).order_by()
    resolved = Q(resolved_at__isnull=False)
    per_product = in_period.values("product_id").annotate(
        ttd=Median(Seconds("detected_at", "started_at")),
        ttr=Median(Seconds("resolved_at", "started_at"), filter=resolved),
        **{sev: Count("pk", filter=Q(severity=sev)) for sev in SEVERITIES},
        **completion_aggregates(),
    )
    months = [m.strftime("%Y-%m") for m in period.months()]
    figures = IncidentFigures(
        {}, {}, {}, {m: Counter() for m in months}, dict.fromkeys(months), {}
    )
    columns = ["product_id", "ttd", "ttr", "pm_total", "pm_covered", *SEVERITIES]
    for pid, ttd, ttr, total, covered, *counts in per_product.values_list(*columns):
        figures.by_product[pid] = {
            sev: n for sev, n in zip(SEVERITIES, counts, strict=True) if n
        }
        figures.ttd[pid], figures.ttr[pid] = _seconds(ttd), _seconds(ttr)
        figures.completion[pid] = Completion(total, covered)
    by_month = (
        in_period.annotate(month=TruncMonth("started_at"))
        .values("month")
        .annotate(
            ttr=Median(Seconds("resolved_at", "started_at"), filter=resolved),
            **{kind: Count("pk", filter=Q(kind=kind)) for kind in KINDS},
        )
    )
    for row in by_month:
        month = row["month"].strftime("%Y-%m")
        figures.by_month[month] = Counter({k: row[k] for k in KINDS if row[k]})
        figures.ttr_by_month[month] = _seconds(row["ttr"])
    return figures


def _action_items(product_ids: list[int], today) -> dict[int, tuple[int, int]]:
    """product → (open, overdue) action items, from postmortems or sessions."""
    rows = (
        ActionItem.objects.filter(status=ActionStatus.OPEN)
        .annotate(pid=Coalesce("postmortem__product_id", "session__product_id"))
        .filter(in_ids("pid", product_ids))
        .values("pid")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
        .order_by()
    )
    return {row["pid"]: (row["open"], row["overdue"]) for row in rows}


def _closure(product_ids: list[int], period: Period) -> dict[str, float | None]:
    """Per month of the period: of the action items due that month (not
    dropped as won't do), the share done by their due date."""
    months = {m.strftime("%Y-%m"): None for m in period.months()}
    rows = (
        ActionItem.objects.annotate(
            pid=Coalesce("postmortem__product_id", "session__product_id")
        )
        .filter(
            in_ids("pid", product_ids),
            due_date__gte=period.start.date(),
            due_date__lt=period.end.date(),
        )
        .exclude(status=ActionStatus.WONT_DO)
        .annotate(month=TruncMonth("due_date"))
        .values("month")
        .annotate(
            due=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(status=ActionStatus.DONE, closed_at__date__lte=F("due_date")),
            ),
        )
        .order_by()
    )
    for row in rows:
        months[row["month"].strftime("%Y-%m")] = row["on_time"] / row["due"]
    return months


def _stuck(product_ids: list[int], now) -> Counter:
    return Counter(
        postmortems_stuck_in_draft(now=now)
        .filter(in_ids("product_id", product_ids))
        .values_list("product_id", flat=True)
    )


def portfolio_products(*, filters: dict, user: Reader) -> QuerySet[Product]:
    """The products the report covers, in its order: every figure of the report
    is computed for these (and the page, CSV, PDF and API read them here)."""
    # Only what `user` may read: every figure below is keyed by these products.
    products = Product.objects.filter(product_readable_q(user))
    if filters.get("product"):  # the one-product summary (views.product_pdf)
        products = products.filter(pk=filters["product"].pk)
    if filters.get("team"):
        products = products.filter(team=filters["team"])
    if filters.get("stage"):
        products = products.filter(stage=filters["stage"])
    if filters.get("risk_tier"):
        products = products.filter(risk_tier=filters["risk_tier"])
    return products.order_by("team__name", "name")


def report_products(
    products: QuerySet[Product], *, now: datetime
) -> list[tuple[ReportProduct, Readiness]]:
    """Each product (in the queryset's order) with its readiness, in one query."""
    annotated = readiness_annotate(products, now=now)
    facts = list(annotated.query.annotations)
    names = list(PRODUCT_FIELDS)
    teams: dict[str, TeamRef] = {}
    urls = fix_urls()
    found = []
    for row in annotated.values_list(*PRODUCT_FIELDS.values(), *facts):
        fields = dict(zip(names, row[: len(names)], strict=True))
        name, slug = fields.pop("team_name"), fields.pop("team_slug")
        team = teams.get(slug) or teams.setdefault(slug, TeamRef(name, slug))
        product = ReportProduct(
            team, dict(zip(facts, row[len(names) :], strict=True)), **fields
        )
        found.append((product, Readiness(product, urls)))
    return found


@contextmanager
def _one_snapshot(using: str = "default") -> Iterator[None]:
    """The block's queries read one instant of the database: on PostgreSQL, one
    REPEATABLE READ, READ ONLY transaction (its first statement sets that, so
    the snapshot is taken by the first query after it). Inside a caller's
    transaction (a test's, or an atomic block around the call) the queries just
    run in it: its isolation level is set already, and what it wrote is seen.
    SQLite runs them as they come."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(READ_ONLY_SNAPSHOT)
        yield


def portfolio_report(
    *, filters: dict, period: Period, user: Reader, now: datetime | None = None
) -> Portfolio:
    now = now or timezone.now()
    today = timezone.localdate(now)
    # The products first (every figure is keyed by them), then the figures, all
    # from the same snapshot: a row written meanwhile is in none or in all.
    with _one_snapshot():
        with_readiness = report_products(
            portfolio_products(filters=filters, user=user), now=now
        )
        rows_products = [product for product, _ in with_readiness]
        ids = [p.pk for p in rows_products]
        incidents = _incidents(ids, period)
        kpis, slas = _kpis(ids, today), _slas(ids, now)
        stuck, closure = _stuck(ids, now), _closure(ids, period)
        actions, overdue = _action_items(ids, today), _overdue(ids, now)
        scores, ci = ml_test_scores(ids), ci_latest_states(rows_products)
    rows = []
    for (product, readiness), pid in zip(with_readiness, ids, strict=True):
        open_items, overdue_items = actions.get(pid, (0, 0))
        rows.append(
            ProductRow(
                product=product,
                readiness=readiness,
                ml_score=scores[pid],
                kpis=kpis.get(pid, []),
                slas=slas.get(pid, []),
                overdue_followups=overdue.get(pid, 0),
                incidents=incidents.by_product.get(pid, {}),
                median_ttd=incidents.ttd.get(pid),
                median_ttr=incidents.ttr.get(pid),
                ci=ci.get(pid),
                postmortems=incidents.completion.get(pid, NO_COMPLETION),
                open_action_items=open_items,
                overdue_action_items=overdue_items,
                stuck_postmortems=stuck.get(pid, 0),
            )
        )
    return Portfolio(
        period=period,
        generated_at=now,
        rows=rows,
        incidents_by_month=incidents.by_month,
        ttr_by_month=incidents.ttr_by_month,
        closure_by_month=closure,
    )
