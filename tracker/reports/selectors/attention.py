"""What needs a leader's attention: per product, the reasons its stage and risk
tier make urgent, and the portfolio's products ranked most urgent first.

A reason is only raised where it can be acted on at the product's stage:
- proposed, discovery, building: its plan (three owners, a business KPI with
  baseline and target); from discovery on the data survey, and while building
  an SLA (the gate into pilot asks for both);
- pilot and production: open SEV1–2 incidents, an exhausted error budget,
  off-track KPIs, overdue KPI follow-ups, and a missing KPI or SLA;
- every stage, retired included: overdue action items and postmortems past
  their review deadline (unfinished follow-ups are all a retired product owes).

Each reason weighs by how urgent it is, and the weight is multiplied by the risk
tier: an open SEV1 on a critical production product outranks everything else.
Pure Python over the report's rows: no query of its own.
"""

from dataclasses import dataclass

from tracker.products.models import RiskTier, Stage
from tracker.reports.selectors.rows import OFF_TRACK, ProductRow

PLANNING = {Stage.PROPOSED, Stage.DISCOVERY, Stage.BUILDING}
LIVE = {Stage.PILOT, Stage.PRODUCTION}
TIER_FACTOR = {
    RiskTier.LOW: 1,
    RiskTier.MEDIUM: 2,
    RiskTier.HIGH: 3,
    RiskTier.CRITICAL: 4,
}
# How much one occurrence of a reason weighs (before the tier factor).
WEIGHTS = {
    "sev1": 100,
    "sev2": 60,
    "budget": 50,
    "stuck_postmortem": 30,
    "off_track": 25,
    "no_sla": 20,
    "no_kpi": 20,
    "overdue_action": 15,
    "policy_violation": 12,
    "overdue_followup": 10,
    "survey": 8,
    "sla_plan": 8,
    "plan_kpi": 6,
    "owners": 5,
}


@dataclass(frozen=True, slots=True)
class Reason:
    text: str
    weight: int


@dataclass(frozen=True, slots=True)
class AttentionEntry:
    """One product on the attention list: `rank` 1 is the most urgent."""

    rank: int
    row: ProductRow
    reasons: list[str]
    urgency: int

    @property
    def product(self):
        return self.row.product

    @property
    def url(self) -> str:
        return self.row.get_absolute_url()


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _planning(row: ProductRow) -> list[Reason]:
    stage, passed = row.product.stage, row.readiness.passed
    found = []
    if not row.owners_complete:
        missing = row.product.missing_owner_roles
        text = f"owners missing: {', '.join(missing)}" if missing else "owners unclear"
        found.append(Reason(text, WEIGHTS["owners"]))
    if not passed["kpi"]:
        found.append(
            Reason("no business KPI with baseline and target", WEIGHTS["plan_kpi"])
        )
    if stage != Stage.PROPOSED and passed["survey"] is False:
        found.append(Reason("data survey incomplete", WEIGHTS["survey"]))
    if stage == Stage.BUILDING and not row.slas:
        found.append(Reason("no SLA before pilot", WEIGHTS["sla_plan"]))
    return found


def _live(row: ProductRow) -> list[Reason]:
    found = []
    for sev in ("sev1", "sev2"):
        if n := row.open_incidents.get(sev, 0):
            text = _plural(
                n, f"open {sev.upper()} incident", f"open {sev.upper()} incidents"
            )
            found.append(Reason(text, WEIGHTS[sev] * n))
    exhausted = [
        name
        for name, c in row.slas
        if c.total and c.budget_remaining is not None and c.budget_remaining <= 0
    ]
    if exhausted:
        found.append(
            Reason(f"error budget exhausted: {', '.join(exhausted)}", WEIGHTS["budget"])
        )
    if off := sum(1 for kpi in row.kpis if kpi.status == OFF_TRACK):
        found.append(
            Reason(
                _plural(off, "KPI off track", "KPIs off track"),
                WEIGHTS["off_track"] * off,
            )
        )
    if not row.kpis:
        found.append(Reason("no business KPI", WEIGHTS["no_kpi"]))
    if not row.slas:
        found.append(Reason("no SLA", WEIGHTS["no_sla"]))
    if n := row.overdue_followups:
        text = _plural(n, "overdue KPI follow-up", "overdue KPI follow-ups")
        found.append(Reason(text, WEIGHTS["overdue_followup"]))
    return found


def _followups(row: ProductRow) -> list[Reason]:
    found = []
    if n := row.stuck_postmortems:
        text = _plural(
            n,
            "postmortem past its review deadline",
            "postmortems past their review deadline",
        )
        found.append(Reason(text, WEIGHTS["stuck_postmortem"] * n))
    if n := row.overdue_action_items:
        text = _plural(n, "overdue action item", "overdue action items")
        found.append(Reason(text, WEIGHTS["overdue_action"] * min(n, 5)))
    if n := row.follow_up_violations:  # tracker.postmortems' follow-up policies
        text = _plural(
            n, "follow-up late against policy", "follow-ups late against policy"
        )
        found.append(Reason(text, WEIGHTS["policy_violation"] * min(n, 5)))
    return found


def attention_reasons(row: ProductRow) -> list[Reason]:
    """The row's reasons for attention, most urgent first (empty: none)."""
    stage = row.product.stage
    found = _followups(row)
    if stage in PLANNING:
        found += _planning(row)
    elif stage in LIVE:
        found += _live(row)
    return sorted(found, key=lambda reason: -reason.weight)


def attention_rank(rows: list[ProductRow]) -> list[AttentionEntry]:
    """The rows that need attention, most urgent first (ties: as the report
    orders them, by team and name); sets each row's `attention`."""
    scored = []
    for position, row in enumerate(rows):
        reasons = attention_reasons(row)
        row.attention = [reason.text for reason in reasons]
        if reasons:
            factor = TIER_FACTOR.get(row.product.risk_tier, 1)
            urgency = sum(reason.weight for reason in reasons) * factor
            scored.append((-urgency, position, row, urgency))
    scored.sort(key=lambda item: item[:2])
    return [
        AttentionEntry(rank, row, row.attention, urgency)
        for rank, (_, _, row, urgency) in enumerate(scored, start=1)
    ]
