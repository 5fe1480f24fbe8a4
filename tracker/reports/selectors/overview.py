"""The portfolio page and API at any size: the team summaries, totals and
attention list added up in SQL from the products' stored standings
(ProductStanding, tracker/reports/standings.py) and the period's incident
figures aggregated over the products the filters match, both kept as stored
figures (tracker/reports/stored.py); the products table's order in SQL, and
its page's rows as the standings keep them, with the period's figures of
those products counted per request.

Every query here is over the products the reader may read and the filters
match (a join or a subquery, never a list of their ids): the page's statements
are as many at 10 products as at 10,000.
"""

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Min,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident
from tracker.lib.aggregates import in_ids
from tracker.lib.periods import Period
from tracker.postmortems.selectors.reports import Completion
from tracker.products.models import Product, RiskTier, Stage
from tracker.reports.forms import PortfolioFilterForm
from tracker.reports.models import StoredFigures
from tracker.reports.selectors.attention import TIER_FACTOR
from tracker.reports.selectors.incidents import (
    PeriodTotals,
    action_item_closure,
    incident_totals,
    period_figures_by_product,
)
from tracker.reports.selectors.portfolio import one_snapshot
from tracker.reports.selectors.products import (
    PRODUCT_FIELDS,
    ReportProduct,
    TeamRef,
    hidden_product_count,
    portfolio_products,
    report_product,
)
from tracker.reports.selectors.rows import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    ReportTotals,
    StoredRow,
    row_from_standing,
)
from tracker.reports.selectors.summary import (
    DEFAULT_SORT,
    PROGRESS_FIELDS,
    TeamSummary,
)
from tracker.reports.stored import Kind, delta, period_of, register, seconds, stored

# The report page's and the API's: how many of the most urgent products the
# attention list names (the table sorted by attention has the rest), and how
# many teams a page of the team summaries or of the value by team holds.
ATTENTION_SHOWN = 20
TEAMS_PER_PAGE = 20
# What a team summary shows of the standings' sums.
_SUMMARY_FIELDS = (
    "kpis_on_track",
    "kpis_at_risk",
    "kpis_off_track",
    "sla_breaches",
    "budgets_exhausted",
    "open_sev12",
    "overdue_followups",
    "overdue_action_items",
    "policy_violations",
)
# The standing's figures the team rows add up (ProductStanding's fields).
SUMMED = (*_SUMMARY_FIELDS, "kpis_no_data", *PROGRESS_FIELDS)
_STATUS_FIELDS = {
    ON_TRACK: "kpis_on_track",
    AT_RISK: "kpis_at_risk",
    OFF_TRACK: "kpis_off_track",
    NO_DATA: "kpis_no_data",
}
_MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True, slots=True)
class StandingEntry:
    """A product on the page's attention list, as its standing ranks it."""

    rank: int
    product: ReportProduct
    reasons: list[str]
    urgency: int

    @property
    def url(self) -> str:
        return self.product.get_absolute_url()


@dataclass
class Overview(ReportTotals):
    """What the page and the API show above the products table: the same
    names as Portfolio's (the templates and serializers read either)."""

    period: Period
    generated_at: datetime
    product_count: int
    teams: Sequence[TeamSummary]  # the most urgent first (Converted)
    attention: list[StandingEntry]
    attention_count: int
    hidden_products: int
    postmortem_completion: Completion
    recurrences: int
    incidents_by_month: dict
    ttr_by_month: dict
    closure_by_month: dict
    # When the period's figures (the four above) were computed (stored.py).
    period_as_of: datetime
    # The oldest standing the figures add up (None: none computed yet), and
    # how many of the products have none yet.
    as_of: datetime | None = None
    not_computed: int = 0
    stages: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    progress: dict[str, int] = field(default_factory=dict)
    values: Sequence[dict] = field(default_factory=list)  # by team name (Converted)

    def stage_counts(self) -> dict[str, int]:
        return self.stages

    def kpi_statuses(self) -> dict[str, int]:
        return self.statuses

    def kpi_progress_distribution(self) -> dict[str, int]:
        return self.progress

    def value_by_team(self) -> Sequence[dict]:
        return self.values


@dataclass(frozen=True)
class PortfolioFigures:
    """What the page adds up over every product the filters match: the
    standings' sums per team (in the summaries' order), their totals, cost
    and value per team name (by name), the most urgent products, how many
    are hidden, and the period's figures. Stored (stored.py).

    The per-team lists hold a JSON text per team, computed or read back
    alike: a page converts only the teams it shows (Converted), so that
    reading the figures does not grow with the number of teams."""

    teams: list[str]
    totals: dict
    values: list[str]
    attention: list[tuple]
    hidden: int
    incidents: PeriodTotals
    closure_by_month: dict[str, float | None]


class Converted(Sequence):
    """A list of rows as JSON texts, each converted when it is read: a page of
    the team summaries converts that page's teams, not every team."""

    def __init__(self, rows: list, convert: Callable):
        self.rows, self.convert = rows, convert

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.convert(row) for row in self.rows[index]]
        return self.convert(self.rows[index])


def portfolio_params(filters: dict) -> dict:
    """The report's filters that decide its summaries, as strings (the table's
    sort and page do not)."""
    team = filters.get("team")
    return {
        "period": filters.get("period") or "",
        "team": team.slug if team else "",
        "stage": filters.get("stage") or "",
        "risk_tier": filters.get("risk_tier") or "",
    }


def _figures(user: Reader, params: dict) -> PortfolioFigures:
    form = PortfolioFilterForm(params, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    period = period_of(params)
    products = portfolio_products(filters=filters, user=user).order_by()
    with one_snapshot():  # every figure of one instant
        teams = list(_team_rows(products))
        paybacks = list(
            products.filter(standing__payback_date__isnull=False)
            .order_by("team__name", "name", "pk")
            .values_list("team__name", "name", "standing__payback_date")
        )
        return PortfolioFigures(
            teams=_team_json(teams),
            totals=_totals(teams),
            values=_values(teams, paybacks),
            attention=list(_attention_rows(products, ATTENTION_SHOWN)),
            hidden=hidden_product_count(filters=filters, user=user),
            incidents=incident_totals(products=products, period=period),
            closure_by_month=action_item_closure(product_ids=products, period=period),
        )


def _encode(figures: PortfolioFigures) -> dict:
    totals = figures.incidents
    return {
        "teams": figures.teams,
        "totals": figures.totals,
        "values": figures.values,
        "attention": figures.attention,
        "hidden": figures.hidden,
        "completion": [totals.completion.total, totals.completion.covered],
        "recurrences": totals.recurrences,
        "by_month": {m: dict(kinds) for m, kinds in totals.by_month.items()},
        "ttr_by_month": {m: seconds(v) for m, v in totals.ttr_by_month.items()},
        "closure_by_month": figures.closure_by_month,
    }


def _decode(data: dict) -> PortfolioFigures:
    return PortfolioFigures(
        teams=data["teams"],
        totals=data["totals"],
        values=data["values"],
        attention=[tuple(row) for row in data["attention"]],
        hidden=data["hidden"],
        incidents=PeriodTotals(
            Completion(*data["completion"]),
            data["recurrences"],
            {m: Counter(kinds) for m, kinds in data["by_month"].items()},
            {m: delta(v) for m, v in data["ttr_by_month"].items()},
        ),
        closure_by_month=data["closure_by_month"],
    )


# Version 3: a team's row and its cost and value as a JSON text each. Version
# 2: the teams in the summaries' order, with their totals and their cost and
# value per name computed once (version 1 kept the raw sums).
PORTFOLIO = register(
    Kind(StoredFigures.Report.PORTFOLIO, _figures, _encode, _decode, version=3)
)


def portfolio_overview(
    *,
    filters: dict,
    period: Period,
    user: Reader,
    attention_shown: int,
    now: datetime | None = None,
) -> Overview:
    """The page's figures for the filters and the reader, stored (stored.py:
    read in one statement, whatever the number of products, while younger
    than five minutes); the `attention_shown` most urgent products of the
    attention list (up to ATTENTION_SHOWN)."""
    kept = stored(PORTFOLIO, user=user, params=portfolio_params(filters))
    figures = kept.figures
    totals, incidents = figures.totals, figures.incidents
    return Overview(
        period=period,
        generated_at=now or timezone.now(),
        product_count=totals["products"],
        teams=Converted(figures.teams, _summary),
        attention=_attention(figures.attention[:attention_shown]),
        attention_count=totals["needing_attention"],
        hidden_products=figures.hidden,
        postmortem_completion=incidents.completion,
        recurrences=incidents.recurrences,
        incidents_by_month=incidents.by_month,
        ttr_by_month=incidents.ttr_by_month,
        closure_by_month=figures.closure_by_month,
        period_as_of=kept.as_of,
        as_of=totals["as_of"] and datetime.fromisoformat(totals["as_of"]),
        not_computed=totals["not_computed"],
        # In their own order: PostgreSQL keeps a JSON object's keys in its own.
        stages={stage: totals["stages"][stage] for stage in Stage.values},
        statuses={key: totals["statuses"][key] for key in _STATUS_FIELDS},
        progress={band: totals["progress"][band] for band in PROGRESS_FIELDS.values()},
        values=Converted(figures.values, _value),
    )


def _team_rows(products: QuerySet[Product]) -> QuerySet:
    """Per team: its products by stage, its standings' figures added up."""
    zero = Value(Decimal("0.00"), output_field=_MONEY)
    return (
        products.values("team__slug", "team__name")
        .annotate(
            products=Count("pk"),
            not_computed=Count("pk", filter=Q(standing__isnull=True)),
            as_of=Min("standing__computed_at"),
            needing_attention=Count("pk", filter=Q(standing__urgency__gt=0)),
            urgency=Coalesce(Sum("standing__urgency"), 0),
            **{f"stage_{s}": Count("pk", filter=Q(stage=s)) for s in Stage.values},
            **{name: Coalesce(Sum(f"standing__{name}"), 0) for name in SUMMED},
            cost=Coalesce(Sum("standing__cost"), zero, output_field=_MONEY),
            value=Coalesce(Sum("standing__value"), zero, output_field=_MONEY),
            paid_back=Count("pk", filter=Q(standing__payback_date__isnull=False)),
        )
        .order_by()
    )


def _team_json(teams: list[dict]) -> list[str]:
    """The team rows in the summaries' order (the teams whose products are
    most urgent first), each as a JSON text: what a summary reads of it, in
    the order of _TEAM_FIELDS (a list, not a dict: keys repeated for every
    team would be most of the stored figures)."""
    ordered = sorted(
        teams, key=lambda t: (-t["urgency"], t["team__name"].lower(), t["team__slug"])
    )
    return [
        _row_text(
            [
                *(t[key] for key in _TEAM_FIELDS),
                {s: t[f"stage_{s}"] for s in Stage.values if t[f"stage_{s}"]},
            ]
        )
        for t in ordered
    ]


def _row_text(row: list) -> str:
    """A team's row as JSON text within the stored figures: reading them back
    then makes a string per team, not lists and dicts for every team for the
    collector to track on every request, and a page decodes the rows it shows
    (Converted)."""
    return json.dumps(row, separators=(",", ":"))


_TEAM_FIELDS = (
    "team__name",
    "team__slug",
    "products",
    "needing_attention",
    "urgency",
    *_SUMMARY_FIELDS,
)


def _totals(teams: list[dict]) -> dict:
    """The totals over every team, as JSON."""
    computed = [t["as_of"] for t in teams if t["as_of"] is not None]
    oldest = min(computed, default=None)
    return {
        "products": sum(t["products"] for t in teams),
        "needing_attention": sum(t["needing_attention"] for t in teams),
        "not_computed": sum(t["not_computed"] for t in teams),
        "as_of": oldest and oldest.isoformat(),
        "stages": {s: sum(t[f"stage_{s}"] for t in teams) for s in Stage.values},
        "statuses": {
            key: sum(t[name] for t in teams) for key, name in _STATUS_FIELDS.items()
        },
        "progress": {
            band: sum(t[name] for t in teams) for name, band in PROGRESS_FIELDS.items()
        },
    }


def _summary(row: str) -> TeamSummary:
    *figures, stages = json.loads(row)
    t = dict(zip(_TEAM_FIELDS, figures, strict=True))
    by_stage = {stage: stages[stage] for stage in Stage.values if stage in stages}
    return TeamSummary(t.pop("team__name"), t.pop("team__slug"), by_stage=by_stage, **t)


def _values(teams: list[dict], paybacks: list[tuple]) -> list[str]:
    """Cost, value and paybacks per team name, as outcomes.value_by_team adds
    them up from the report's rows, by name, each as a JSON text (_row_text;
    _value reads one)."""
    by_name: dict[str, dict] = {}
    for t in teams:
        entry = by_name.setdefault(
            t["team__name"],
            {
                "team": t["team__name"],
                "cost": Decimal("0.00"),
                "value": Decimal("0.00"),
                "products": 0,
                "paid_back": 0,
                "paybacks": [],
            },
        )
        entry["cost"] += t["cost"]
        entry["value"] += t["value"]
        entry["products"] += t["products"]
        entry["paid_back"] += t["paid_back"]
    for team, product, day in paybacks:
        by_name[team]["paybacks"].append((product, day.isoformat()))
    for entry in by_name.values():
        entry["net"] = entry["value"] - entry["cost"]
    return [
        _row_text(
            [
                entry["team"],
                *(str(entry[key]) for key in _MONEY_KEYS),
                entry["products"],
                entry["paid_back"],
                entry["paybacks"],
            ]
        )
        for entry in sorted(by_name.values(), key=lambda entry: entry["team"])
    ]


_MONEY_KEYS = ("cost", "value", "net")


def _value(row: str) -> dict:
    team, cost, value, net, products, paid_back, paybacks = json.loads(row)
    return {
        "team": team,
        "cost": Decimal(cost),
        "value": Decimal(value),
        "net": Decimal(net),
        "products": products,
        "paid_back": paid_back,
        "paybacks": [(name, date.fromisoformat(day)) for name, day in paybacks],
    }


def _attention_rows(products: QuerySet[Product], limit: int) -> QuerySet:
    """The `limit` most urgent products (ties: the report's order)."""
    return (
        products.filter(standing__urgency__gt=0)
        .order_by("-standing__urgency", "team__name", "name", "pk")
        .values_list(
            "pk",
            "name",
            "slug",
            "stage",
            "risk_tier",
            "team__name",
            "team__slug",
            "standing__reasons",
            "standing__urgency",
        )[:limit]
    )


def _attention(rows: list[tuple]) -> list[StandingEntry]:
    entries = []
    for rank, row in enumerate(rows, start=1):
        pk, name, slug, stage, tier, team, team_slug, reasons, urgency = row
        product = ReportProduct(
            TeamRef(team, team_slug),
            {},
            pk=pk,
            name=name,
            slug=slug,
            stage=stage,
            risk_tier=tier,
        )
        entries.append(StandingEntry(rank, product, reasons, urgency))
    return entries


# --- The products table's order ------------------------------------------------------

_REPORT_ORDER = ("team__name", "name", "pk")  # ties keep it


def _case(field_name: str, order: dict[str, int], default: int) -> Case:
    return Case(
        *(When(**{field_name: value}, then=Value(i)) for value, i in order.items()),
        default=Value(default),
        output_field=IntegerField(),
    )


def _incidents_in(period: Period) -> Subquery:
    counted = (
        Incident.objects.filter(
            product=OuterRef("pk"),
            started_at__gte=period.start,
            started_at__lt=period.end,
        )
        .order_by()
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _keys(sort: str, period: Period) -> list:
    """The SQL sort keys of each order, the worst first (see summary.SORTS)."""
    standing = "standing__"
    orders = {
        "name": [Lower("name"), F("slug")],
        "team": [Lower("team__name")],
        "stage": [_case("stage", {s: i for i, s in enumerate(Stage.values)}, 99)],
        "risk": [_case("risk_tier", {t.value: -TIER_FACTOR[t] for t in RiskTier}, 0)],
        "attention": [Coalesce(F(f"{standing}urgency"), 0).desc()],
        "kpis": [F(f"{standing}kpi_order"), F(f"{standing}kpi_min_progress")],
        "slas": [F(f"{standing}sla_min_compliance")],
        "readiness": [F(f"{standing}readiness_share")],
        "incidents": [_incidents_in(period).desc()],
        "followups": [F(f"{standing}overdue_followups").desc(nulls_last=True)],
    }
    return orders[sort]


def _flip(key: OrderBy) -> OrderBy:
    """The key reversed: descending with NULLS first (None sorts last), or,
    for a descending one, ascending with NULLS first."""
    if key.descending:
        return key.expression.asc(nulls_first=True)
    return key.expression.desc(nulls_first=True)


def table_order(products: QuerySet[Product], sort: str | None, period: Period):
    """The products (a queryset) in the order `sort` names ("-" before a key
    reverses it): one page is then a LIMIT/OFFSET of it."""
    sort = sort or DEFAULT_SORT
    key = sort.removeprefix("-")
    if sort == DEFAULT_SORT:
        return products.order_by(*_REPORT_ORDER)
    keys = [
        k if isinstance(k, OrderBy) else k.asc(nulls_last=True)
        for k in _keys(key, period)
    ]
    if sort == "-attention":
        keys = _least_urgent_first()
    elif sort.startswith("-"):
        keys = [_flip(k) for k in keys]
    return products.order_by(*keys, *_REPORT_ORDER)


def _least_urgent_first() -> list[OrderBy]:
    """The attention ranks reversed: the products needing none first (in the
    report's order), then the least urgent, ties in the report's order
    reversed (as the ranks are)."""
    ranked = Q(standing__urgency__gt=0)
    return [
        Coalesce(F("standing__urgency"), 0).asc(),
        *(
            Case(When(ranked, then=F(name))).desc(nulls_last=True)
            for name in _REPORT_ORDER
        ),
    ]


# What the table shows of a product (its owners: whether they are complete).
_TABLE_PRODUCT = (
    "pk",
    "name",
    "slug",
    "team_name",
    "team_slug",
    "stage",
    "risk_tier",
    "pm_owner_id",
    "ml_owner_id",
    "eng_owner_id",
    "shared_ownership_accepted",
)


def page_rows(ids: list[int], *, period: Period) -> list[StoredRow]:
    """The rows of one page of the table, in the page's order: the products
    as they are now, each with its row as its standing keeps it
    (rows.stored_row) and the figures of `period` counted now, for these
    products only: two statements, whatever a row holds."""
    columns = [PRODUCT_FIELDS[name] for name in _TABLE_PRODUCT]
    found = Product.objects.filter(in_ids("pk", ids)).values_list(
        *columns, "standing__row", "standing__reasons", "standing__computed_at"
    )
    incidents = period_figures_by_product(product_ids=ids, period=period)
    teams: dict[str, TeamRef] = {}
    rows = {}
    for *values, kept, reasons, as_of in found:
        product = report_product(dict(zip(_TABLE_PRODUCT, values, strict=True)), teams)
        rows[product.pk] = row_from_standing(
            product,
            kept,
            reasons=reasons or [],
            as_of=as_of,
            period=incidents[product.pk],
        )
    return [rows[pk] for pk in ids if pk in rows]
