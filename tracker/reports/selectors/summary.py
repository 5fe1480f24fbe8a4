"""What the portfolio page leads with, and how its products table is ordered:
a summary per team (the rows' figures added up) and the sort orders of the
table. Pure Python over the report's rows: no query of its own, so the page's
query count stays that of the report."""

from collections.abc import Callable
from dataclasses import dataclass, field

from tracker.products.models import RiskTier, Stage
from tracker.reports.selectors.attention import TIER_FACTOR
from tracker.reports.selectors.rows import (
    AT_RISK,
    OFF_TRACK,
    ON_TRACK,
    Portfolio,
    ProductRow,
)

_STAGE_ORDER = {stage.value: i for i, stage in enumerate(Stage)}
_STATUS_ORDER = {OFF_TRACK: 0, AT_RISK: 1, ON_TRACK: 2}  # no data: last


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


def team_summaries(portfolio: Portfolio) -> list[TeamSummary]:
    """A summary per team of the report's products, the teams whose products
    are most urgent first (then by name)."""
    urgency = {entry.product.pk: entry.urgency for entry in portfolio.attention}
    teams: dict[str, TeamSummary] = {}
    for row in portfolio.rows:
        product = row.product
        team = teams.get(product.team.slug)
        if team is None:
            team = teams[product.team.slug] = TeamSummary(
                product.team.name, product.team.slug
            )
        team.products += 1
        team.by_stage[product.stage] = team.by_stage.get(product.stage, 0) + 1
        for kpi in row.kpis:
            if kpi.status == ON_TRACK:
                team.kpis_on_track += 1
            elif kpi.status == AT_RISK:
                team.kpis_at_risk += 1
            elif kpi.status == OFF_TRACK:
                team.kpis_off_track += 1
        for _, compliance in row.slas:
            if compliance.total and compliance.meets_objective is False:
                team.sla_breaches += 1
            if compliance.total and (compliance.budget_remaining or 0) <= 0:
                team.budgets_exhausted += 1
        team.open_sev12 += sum(row.open_incidents.values())
        team.overdue_followups += row.overdue_followups
        team.overdue_action_items += row.overdue_action_items
        team.policy_violations += row.follow_up_violations
        if product.pk in urgency:
            team.needing_attention += 1
            team.urgency += urgency[product.pk]
    return sorted(teams.values(), key=lambda t: (-t.urgency, t.name.lower(), t.slug))


# --- The products table's sort orders ------------------------------------------------

_LAST = float("inf")


def _kpi_status(row: ProductRow) -> tuple:
    """Worst KPI first: off track, at risk, on track, then no KPI data; among
    equals, the least progress first."""
    worst = min((_STATUS_ORDER.get(k.status, 3) for k in row.kpis), default=4)
    progress = row.figures["kpi_min_progress"]
    return (worst, _LAST if progress is None else progress)


def _sla(row: ProductRow) -> float:
    """The worst measured compliance first; products without one last."""
    value = row.figures["sla_min_compliance"]
    return _LAST if value is None else value


def _readiness(row: ProductRow) -> float:
    """The share of applicable readiness items passed, the least first."""
    done, of = row.readiness.passed_count, row.readiness.applicable_count
    return done / of if of else 1.0


_RISK_ORDER = {tier.value: -TIER_FACTOR[tier] for tier in RiskTier}

# key → (label, the row's sort key given the attention ranks). Each order is
# the one a leader reads first (the worst first); "-key" reverses it. Ties keep
# the report's order (team, then name): Python's sort is stable.
SORTS: dict[str, tuple[str, Callable[[ProductRow, dict[int, int]], object]]] = {
    "team": ("Team", lambda row, _: (row.product.team.name.lower(),)),
    "name": ("Product", lambda row, _: (row.product.name.lower(), row.product.slug)),
    "attention": (
        "Attention (most urgent first)",
        lambda row, ranks: ranks.get(row.product.pk, _LAST),
    ),
    "stage": ("Stage", lambda row, _: _STAGE_ORDER.get(row.product.stage, 99)),
    "risk": (
        "Risk tier (highest first)",
        lambda row, _: _RISK_ORDER.get(row.product.risk_tier, 0),
    ),
    "kpis": ("KPI status (worst first)", lambda row, _: _kpi_status(row)),
    "slas": ("SLA compliance (worst first)", lambda row, _: _sla(row)),
    "readiness": ("Readiness (least first)", lambda row, _: _readiness(row)),
    "incidents": ("Incidents (most first)", lambda row, _: -row.incident_count),
    "followups": (
        "Overdue follow-ups (most first)",
        lambda row, _: -row.overdue_followups,
    ),
}
DEFAULT_SORT = "team"
SORT_CHOICES = [
    *((key, label) for key, (label, _) in SORTS.items()),
    *((f"-{key}", f"{label}, reversed") for key, (label, _) in SORTS.items()),
]


def rows_sorted(portfolio: Portfolio, sort: str | None) -> list[ProductRow]:
    """The report's rows in the order `sort` names (a key of SORTS, "-" before
    it to reverse); the report's own order (team, then name) when none."""
    sort = sort or DEFAULT_SORT
    key = sort.removeprefix("-")
    if key == DEFAULT_SORT and sort == key:
        return portfolio.rows
    ranks = {entry.product.pk: entry.rank for entry in portfolio.attention}
    by = SORTS[key][1]
    return sorted(
        portfolio.rows, key=lambda row: by(row, ranks), reverse=sort.startswith("-")
    )
