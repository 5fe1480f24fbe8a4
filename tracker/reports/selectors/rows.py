"""What a portfolio report is made of: one row per product with its figures,
the portfolio's totals and months, and the KPI statuses they count."""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from tracker.ci.selectors import CombinedStatus
from tracker.incidents.models import Kind, Severity
from tracker.lib.periods import Period
from tracker.outcomes.selectors import Value, currency, value_by_team
from tracker.postmortems.selectors.reports import Completion
from tracker.products.models import Stage
from tracker.products.segments import WorstSegment
from tracker.products.selectors import Compliance
from tracker.readiness.selectors import Readiness, Score
from tracker.releases.models import Deployment
from tracker.reports.selectors.products import ReportProduct

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
PROGRESS_BUCKETS = ["< 0%", "0–25%", "25–50%", "50–75%", "75–100%", "≥ 100%"]


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
    # The latest production deployment (tracker.releases), if any.
    production: Deployment | None = None
    postmortems: Completion = NO_COMPLETION
    open_action_items: int = 0
    overdue_action_items: int = 0
    stuck_postmortems: int = 0
    # open SEV1–2 incidents by severity, whenever they started
    open_incidents: dict[str, int] = field(default_factory=dict)
    # why it needs leadership's attention, most urgent first (empty: it does
    # not); set by selectors.attention.attention_rank
    attention: list[str] = field(default_factory=list)
    # Of the metrics with a worst-case floor (tracker.products.segments).
    worst_segment: WorstSegment | None = None
    recurrences: int = 0  # incidents in the period repeating a published one
    follow_up_violations: int = 0
    # Cost, value and payback to date (tracker.outcomes).
    value: Value | None = None

    def get_absolute_url(self) -> str:
        return self.product.get_absolute_url()

    @property
    def incident_count(self) -> int:
        return sum(self.incidents.values())

    @property
    def owners_complete(self) -> bool:
        return self.product.owners_aligned

    # A row computed by the report's selectors has every figure (a StoredRow
    # may not have its standing yet).
    computed = True

    @cached_property
    def figures(self) -> dict[str, Any]:
        """The row's figures, typed (None where there is nothing to measure):
        the CSV export formats them, the API returns them as they are and the
        products table writes them (tracker/reports/table.py)."""
        return {
            "owners_complete": self.owners_complete,
            **self.standing_figures(),
            **period_figures(
                self.incidents,
                self.median_ttd,
                self.median_ttr,
                self.postmortems,
                self.recurrences,
            ),
        }

    def standing_figures(self) -> dict[str, Any]:
        """The figures that do not depend on the report's period, in the order
        of STANDING_FIGURES: a product's standing keeps them (stored_row)."""
        statuses = Counter(k.status for k in self.kpis)
        progress = [k.progress for k in self.kpis if k.progress is not None]
        changes = [
            k.after_launch_change
            for k in self.kpis
            if k.after_launch_change is not None
        ]
        measured = [c for _, c in self.slas if c.total]
        return {
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
            "open_action_items": self.open_action_items,
            "overdue_action_items": self.overdue_action_items,
            "postmortems_stuck_in_draft": self.stuck_postmortems,
            "follow_up_violations": self.follow_up_violations,
            "latest_ci_state": self.ci.state if self.ci else None,
            "latest_ci_sha": self.ci.sha if self.ci else None,
            **_worst_segment_figures(self.worst_segment),
            "production_version": self.production.version.version
            if self.production
            else None,
            "production_shipped_at": self.production.deployed_at
            if self.production
            else None,
            "cost_to_date": self.value.cost if self.value else None,
            "value_to_date": self.value.value if self.value else None,
            "payback_date": self.value.payback_date if self.value else None,
        }


def period_figures(
    incidents: dict[str, int],
    ttd: timedelta | None,
    ttr: timedelta | None,
    postmortems: Completion,
    recurrences: int,
) -> dict[str, Any]:
    """A row's figures of the report's period: its incidents by severity, their
    median times to detect and resolve, the SEV1–2 ones with a published
    postmortem and the recurrences (selectors/incidents.py counts them)."""
    return {
        "incidents": sum(incidents.values()),
        **{f"incidents_{sev}": incidents.get(sev, 0) for sev in SEVERITIES},
        "median_time_to_detect": ttd,
        "median_time_to_resolve": ttr,
        "sev12_incidents": postmortems.total,
        "sev12_with_published_postmortem": postmortems.covered,
        "postmortem_completion": postmortems.ratio,
        "recurrences": recurrences,
    }


# --- A row as a product's standing keeps it ------------------------------------------

STANDING_FIGURES = (
    "readiness_passed",
    "readiness_applicable",
    "ml_test_score",
    "business_kpis",
    "kpis_on_track",
    "kpis_at_risk",
    "kpis_off_track",
    "kpi_min_progress",
    "kpi_after_launch_change",
    "sla_count",
    "sla_min_compliance",
    "sla_min_error_budget",
    "overdue_kpi_followups",
    "open_action_items",
    "overdue_action_items",
    "postmortems_stuck_in_draft",
    "follow_up_violations",
    "latest_ci_state",
    "latest_ci_sha",
    "worst_segment",
    "worst_segment_metric",
    "worst_segment_value",
    "worst_case_floor",
    "worst_segment_meets_floor",
    "production_version",
    "production_shipped_at",
    "cost_to_date",
    "value_to_date",
    "payback_date",
)
# The figures JSON keeps as text: (to JSON, back).
_AS_TEXT = {
    "production_shipped_at": (datetime.isoformat, datetime.fromisoformat),
    "cost_to_date": (str, Decimal),
    "value_to_date": (str, Decimal),
    "payback_date": (date.isoformat, date.fromisoformat),
}
_KPI_FIELDS = KpiRow.__slots__
# The shape of a stored row: one of another shape (STANDING_FIGURES or KpiRow
# changed) is read as not computed until the next refresh writes this one.
ROW_VERSION = 1


def _finite(value: Any) -> Any:
    """A figure as JSON can hold it: an infinite or undefined number (a KPI's
    progress from extreme values) as None, which the table shows as the page
    shows those, "—"; PostgreSQL's JSON refuses them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def stored_row(row: ProductRow) -> dict[str, Any]:
    """What a product's standing keeps of its row (ProductStanding.row), as
    JSON: the figures that do not depend on the period, its KPIs and SLAs."""
    figures = row.standing_figures()
    for name, (dump, _) in _AS_TEXT.items():
        if figures[name] is not None:
            figures[name] = dump(figures[name])
    return {
        "version": ROW_VERSION,
        "figures": [_finite(figures[name]) for name in STANDING_FIGURES],
        "kpis": [
            [_finite(getattr(kpi, name)) for name in _KPI_FIELDS] for kpi in row.kpis
        ],
        "slas": [[name, c.total, c.passed, c.objective] for name, c in row.slas],
    }


@dataclass
class StoredRow:
    """A product's row of the portfolio table as its standing keeps it
    (stored_row, computed by the report's own selectors when beat refreshes
    the standings), with the figures of the report's period counted now: what
    the page and the API show of a page of the table. Its figures, KPIs and
    SLAs are those of a ProductRow (the table and the API read either)."""

    product: ReportProduct
    figures: dict[str, Any]
    kpis: list[KpiRow]
    slas: list[tuple[str, Compliance]]
    attention: list[str]
    # When its standing was computed; None: not yet (no figure but the period's).
    as_of: datetime | None

    @property
    def computed(self) -> bool:
        return self.as_of is not None

    def get_absolute_url(self) -> str:
        return self.product.get_absolute_url()


def row_from_standing(
    product: ReportProduct,
    kept: dict[str, Any] | None,
    *,
    reasons: list[str],
    as_of: datetime | None,
    period: dict[str, Any],
) -> StoredRow:
    """The StoredRow of `product` from what its standing keeps (None, empty or
    of another ROW_VERSION: not computed yet, every figure None but the
    period's) and its `period` figures."""
    computed = bool(kept) and kept.get("version") == ROW_VERSION
    figures = dict.fromkeys(STANDING_FIGURES)
    kpis, slas = [], []
    if computed:
        figures = dict(zip(STANDING_FIGURES, kept["figures"], strict=True))
        for name, (_, load) in _AS_TEXT.items():
            if figures[name] is not None:
                figures[name] = load(figures[name])
        kpis = [KpiRow(*values) for values in kept["kpis"]]
        slas = [
            (name, Compliance(total, passed, objective))
            for name, total, passed, objective in kept["slas"]
        ]
    return StoredRow(
        product,
        {"owners_complete": product.owners_aligned, **figures, **period},
        kpis,
        slas,
        list(reasons),
        as_of if computed else None,
    )


class ReportTotals:
    """What the report's page and PDF show of the totals, labelled: read from
    `stage_counts()`, `kpi_statuses()` and the months' figures, which the full
    report (Portfolio) adds up from its rows and the page's overview
    (selectors/overview.py) in the database."""

    @property
    def currency(self) -> str:
        return currency()

    def products_by_stage(self) -> dict[str, int]:
        counts = self.stage_counts()
        return {stage.label: counts[stage.value] for stage in Stage}

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


@dataclass
class Portfolio(ReportTotals):
    period: Period
    generated_at: datetime
    rows: list[ProductRow]
    incidents_by_month: dict[str, Counter] = field(
        default_factory=dict
    )  # month → kinds
    ttr_by_month: dict[str, timedelta | None] = field(default_factory=dict)
    # month → share of action items due that month closed by their due date
    closure_by_month: dict[str, float | None] = field(default_factory=dict)
    # the products needing attention, most urgent first: AttentionEntry rows
    # (selectors.attention, which reads these rows, so not imported here)
    attention: list = field(default_factory=list)
    # products the filters match that the reader may not see (private teams)
    hidden_products: int = 0

    @property
    def recurrences(self) -> int:
        return sum(row.recurrences for row in self.rows)

    @property
    def period_as_of(self) -> datetime:
        """The period's figures are computed with the rest (the page's Overview
        reads stored ones, with their own time)."""
        return self.generated_at

    def value_by_team(self) -> list[dict]:
        """Cost, value and paybacks summed per team (tracker.outcomes)."""
        return value_by_team(
            [
                (row.product.team.name, row.product.name, row.value)
                for row in self.rows
                if row.value is not None
            ]
        )

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

    def kpi_progress_distribution(self) -> dict[str, int]:
        counts = dict.fromkeys(PROGRESS_BUCKETS, 0)
        for row in self.rows:
            for kpi in row.kpis:
                if kpi.progress is not None:
                    counts[progress_bucket(kpi.progress)] += 1
        return counts

    def kpi_statuses(self) -> dict[str, int]:
        """Business KPIs per status, by key (on_track, …), every status included."""
        counts = Counter(kpi.status for row in self.rows for kpi in row.kpis)
        return {key: counts.get(key, 0) for key in STATUS_LABELS}


@dataclass(frozen=True)
class Month:
    month: str  # "2026-06"
    incidents: dict[str, int]  # by kind, every kind included
    median_ttr: timedelta | None
    closure: float | None  # share of action items due that month closed on time


def progress_bucket(progress: float) -> str:
    if progress < 0:
        return PROGRESS_BUCKETS[0]
    if progress >= 1:
        return PROGRESS_BUCKETS[-1]
    return PROGRESS_BUCKETS[1 + int(progress * 4)]


def _worst_segment_figures(worst: WorstSegment | None) -> dict[str, Any]:
    return {
        "worst_segment": worst.segment if worst else None,
        "worst_segment_metric": worst.metric if worst else None,
        "worst_segment_value": worst.value if worst else None,
        "worst_case_floor": worst.floor if worst else None,
        "worst_segment_meets_floor": worst.meets_floor if worst else None,
    }
