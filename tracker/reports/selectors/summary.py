"""What the portfolio page leads with, and how its products table is ordered:
a summary per team, the sort orders of the table, and what a product's stored
standing keeps of its report row for them (tracker/reports/standings.py).
Pure Python: selectors/overview.py adds the standings up and sorts by them in
SQL."""

from collections import Counter
from dataclasses import dataclass, field

from tracker.products.models import Stage
from tracker.reports.selectors.rows import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    PROGRESS_BUCKETS,
    ProductRow,
    progress_bucket,
    stored_row,
)

_STATUS_ORDER = {OFF_TRACK: 0, AT_RISK: 1, ON_TRACK: 2}  # no data: last
# ProductStanding's count of KPIs per band of progress (rows.PROGRESS_BUCKETS).
PROGRESS_FIELDS = dict(
    zip(
        [
            "progress_below_0",
            "progress_0_25",
            "progress_25_50",
            "progress_50_75",
            "progress_75_100",
            "progress_met",
        ],
        PROGRESS_BUCKETS,
        strict=True,
    )
)


@dataclass
class TeamSummary:
    """One team's products in the report, counted."""

    name: str
    slug: str
    products: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)  # stage value → count
    kpis_on_track: int = 0
    kpis_at_risk: int = 0
    kpis_off_track: int = 0
    sla_breaches: int = 0  # measured SLAs below their objective
    budgets_exhausted: int = 0
    open_sev12: int = 0  # open SEV1–2 incidents, whenever they started
    overdue_followups: int = 0  # KPI follow-ups
    overdue_action_items: int = 0
    policy_violations: int = 0  # follow-ups late against policy
    needing_attention: int = 0  # products on the attention list
    urgency: int = 0  # the sum of their urgencies: the most urgent team first

    @property
    def stages(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of the stages it has products in."""
        return [
            (stage.value, stage.label, self.by_stage[stage.value])
            for stage in Stage
            if self.by_stage.get(stage.value)
        ]


# --- A product's standing: what the page adds up and sorts by -----------------------


def standing_fields(row: ProductRow) -> dict:
    """What a product's stored standing holds of its row (ProductStanding): the
    figures the team summary adds up, the KPI totals, the table's sort keys,
    its cost and value and its row of the table (the urgency and the reasons
    come with the attention ranking, selectors.attention)."""
    statuses = Counter(kpi.status for kpi in row.kpis)
    bands = Counter(
        progress_bucket(k.progress) for k in row.kpis if k.progress is not None
    )
    measured = [compliance for _, compliance in row.slas if compliance.total]
    done, of = row.readiness.passed_count, row.readiness.applicable_count
    return {
        "reasons": list(row.attention),
        "kpis_on_track": statuses[ON_TRACK],
        "kpis_at_risk": statuses[AT_RISK],
        "kpis_off_track": statuses[OFF_TRACK],
        "kpis_no_data": statuses[NO_DATA],
        **{field: bands[band] for field, band in PROGRESS_FIELDS.items()},
        "sla_breaches": sum(1 for c in measured if c.meets_objective is False),
        "budgets_exhausted": sum(1 for c in measured if (c.budget_remaining or 0) <= 0),
        "open_sev12": sum(row.open_incidents.values()),
        "overdue_followups": row.overdue_followups,
        "overdue_action_items": row.overdue_action_items,
        "policy_violations": row.follow_up_violations,
        # Worst KPI first: off track, at risk, on track, no data, no KPI.
        "kpi_order": min((_STATUS_ORDER.get(k.status, 3) for k in row.kpis), default=4),
        "kpi_min_progress": row.figures["kpi_min_progress"],
        "sla_min_compliance": row.figures["sla_min_compliance"],
        "readiness_share": done / of if of else 1.0,
        "cost": row.value.cost if row.value else 0,
        "value": row.value.value if row.value else 0,
        "payback_date": row.value.payback_date if row.value else None,
        "row": stored_row(row),
    }


# The table's sort orders: key → label. Each order is the one a leader reads
# first (the worst first); "-key" reverses it; ties keep the report's order
# (team, then name). selectors/overview.py orders by them in SQL.
SORTS: dict[str, str] = {
    "team": "Team",
    "name": "Product",
    "attention": "Attention (most urgent first)",
    "stage": "Stage",
    "risk": "Risk tier (highest first)",
    "kpis": "KPI status (worst first)",
    "slas": "SLA compliance (worst first)",
    "readiness": "Readiness (least first)",
    "incidents": "Incidents (most first)",
    "followups": "Overdue follow-ups (most first)",
}
DEFAULT_SORT = "team"
SORT_CHOICES = [
    *SORTS.items(),
    *((f"-{key}", f"{label}, reversed") for key, label in SORTS.items()),
]
