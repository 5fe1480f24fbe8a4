"""The portfolio page and API at any size: the team summaries, totals and
attention list added up in SQL from the products' stored standings
(ProductStanding, tracker/reports/standings.py) and the period's incident
figures aggregated over the products the filters match, both kept as stored
figures (tracker/reports/stored.py); and the products table's order in SQL,
so that only one page of full report rows is computed per request.

Every query here is over the products the reader may read and the filters
match (a join or a subquery, never a list of their ids): the page's statements
are as many at 10 products as at 10,000.
"""

from collections import Counter
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
)
from tracker.reports.selectors.portfolio import one_snapshot, product_rows
from tracker.reports.selectors.products import (
    ReportProduct,
    TeamRef,
    hidden_product_count,
    portfolio_products,
)
from tracker.reports.selectors.rows import (
    AT_RISK,
    NO_DATA,
    OFF_TRACK,
    ON_TRACK,
    ProductRow,
    ReportTotals,
)
from tracker.reports.selectors.summary import (
    DEFAULT_SORT,
    PROGRESS_FIELDS,
    TeamSummary,
)
from tracker.reports.stored import Kind, delta, period_of, register, seconds, stored

# The standing's figures a team summary adds up (ProductStanding's fields).
# The report page's and the API's: how many of the most urgent products the
# attention list names (the table sorted by attention has the rest), and how
# many teams a page of the team summaries or of the value by team holds.
ATTENTION_SHOWN = 20
TEAMS_PER_PAGE = 20
SUMMED = (
    "kpis_on_track",
    "kpis_at_risk",
    "kpis_off_track",
    "kpis_no_data",
    *PROGRESS_FIELDS,
    "sla_breaches",
    "budgets_exhausted",
    "open_sev12",
    "overdue_followups",
    "overdue_action_items",
    "policy_violations",
)
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
    teams: list[TeamSummary]
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
    values: list[dict] = field(default_factory=list)

    def stage_counts(self) -> dict[str, int]:
        return self.stages

    def kpi_statuses(self) -> dict[str, int]:
        return self.statuses

    def kpi_progress_distribution(self) -> dict[str, int]:
        return self.progress

    def value_by_team(self) -> list[dict]:
        return self.values


@dataclass(frozen=True)
class PortfolioFigures:
    """What the page adds up over every product the filters match: the
    standings' sums per team, the most urgent products, the paybacks, how
    many are hidden, and the period's figures. Stored (stored.py)."""

    teams: list[dict]
    attention: list[tuple]
    paybacks: list[tuple]
    hidden: int
    incidents: PeriodTotals
    closure_by_month: dict[str, float | None]


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
        return PortfolioFigures(
            teams=list(_team_rows(products)),
            attention=list(_attention_rows(products, ATTENTION_SHOWN)),
            paybacks=list(
                products.filter(standing__payback_date__isnull=False)
                .order_by("team__name", "name", "pk")
                .values_list("team__name", "name", "standing__payback_date")
            ),
            hidden=hidden_product_count(filters=filters, user=user),
            incidents=incident_totals(products=products, period=period),
            closure_by_month=action_item_closure(product_ids=products, period=period),
        )


_MONEY_KEYS = ("cost", "value")


def _encode(figures: PortfolioFigures) -> dict:
    totals = figures.incidents
    return {
        "teams": [
            {
                **team,
                **{k: str(team[k]) for k in _MONEY_KEYS},
                "as_of": team["as_of"] and team["as_of"].isoformat(),
            }
            for team in figures.teams
        ],
        "attention": figures.attention,
        "paybacks": [[t, p, day.isoformat()] for t, p, day in figures.paybacks],
        "hidden": figures.hidden,
        "completion": [totals.completion.total, totals.completion.covered],
        "recurrences": totals.recurrences,
        "by_month": {m: dict(kinds) for m, kinds in totals.by_month.items()},
        "ttr_by_month": {m: seconds(v) for m, v in totals.ttr_by_month.items()},
        "closure_by_month": figures.closure_by_month,
    }


def _decode(data: dict) -> PortfolioFigures:
    return PortfolioFigures(
        teams=[
            {
                **team,
                **{k: Decimal(team[k]) for k in _MONEY_KEYS},
                "as_of": team["as_of"] and datetime.fromisoformat(team["as_of"]),
            }
            for team in data["teams"]
        ],
        attention=[tuple(row) for row in data["attention"]],
        paybacks=[(t, p, date.fromisoformat(day)) for t, p, day in data["paybacks"]],
        hidden=data["hidden"],
        incidents=PeriodTotals(
            Completion(*data["completion"]),
            data["recurrences"],
            {m: Counter(kinds) for m, kinds in data["by_month"].items()},
            {m: delta(v) for m, v in data["ttr_by_month"].items()},
        ),
        closure_by_month=data["closure_by_month"],
    )


PORTFOLIO = register(Kind(StoredFigures.Report.PORTFOLIO, _figures, _encode, _decode))


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
    teams, incidents = figures.teams, figures.incidents
    computed = [t["as_of"] for t in teams if t["as_of"] is not None]
    return Overview(
        period=period,
        generated_at=now or timezone.now(),
        product_count=sum(t["products"] for t in teams),
        teams=_summaries(teams),
        attention=_attention(figures.attention[:attention_shown]),
        attention_count=sum(t["needing_attention"] for t in teams),
        hidden_products=figures.hidden,
        postmortem_completion=incidents.completion,
        recurrences=incidents.recurrences,
        incidents_by_month=incidents.by_month,
        ttr_by_month=incidents.ttr_by_month,
        closure_by_month=figures.closure_by_month,
        period_as_of=kept.as_of,
        as_of=min(computed, default=None),
        not_computed=sum(t["not_computed"] for t in teams),
        stages={s: sum(t[f"stage_{s}"] for t in teams) for s in Stage.values},
        statuses={
            key: sum(t[name] for t in teams) for key, name in _STATUS_FIELDS.items()
        },
        progress={
            band: sum(t[name] for t in teams) for name, band in PROGRESS_FIELDS.items()
        },
        values=_values(teams, figures.paybacks),
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


def _summaries(teams: list[dict]) -> list[TeamSummary]:
    """The team summaries, the teams whose products are most urgent first."""
    summaries = [
        TeamSummary(
            t["team__name"],
            t["team__slug"],
            products=t["products"],
            by_stage={s: t[f"stage_{s}"] for s in Stage.values if t[f"stage_{s}"]},
            kpis_on_track=t["kpis_on_track"],
            kpis_at_risk=t["kpis_at_risk"],
            kpis_off_track=t["kpis_off_track"],
            sla_breaches=t["sla_breaches"],
            budgets_exhausted=t["budgets_exhausted"],
            open_sev12=t["open_sev12"],
            overdue_followups=t["overdue_followups"],
            overdue_action_items=t["overdue_action_items"],
            policy_violations=t["policy_violations"],
            needing_attention=t["needing_attention"],
            urgency=t["urgency"],
        )
        for t in teams
    ]
    return sorted(summaries, key=lambda t: (-t.urgency, t.name.lower(), t.slug))


def _values(teams: list[dict], paybacks: list[tuple]) -> list[dict]:
    """Cost, value and paybacks per team name, as outcomes.value_by_team adds
    them up from the report's rows."""
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
        by_name[team]["paybacks"].append((product, day))
    for entry in by_name.values():
        entry["net"] = entry["value"] - entry["cost"]
    return sorted(by_name.values(), key=lambda entry: entry["team"])


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


def page_rows(
    ids: list[int], *, period: Period, now: datetime | None = None
) -> list[ProductRow]:
    """The full report rows of one page of the table, in the page's order:
    computed now, by the report's own selectors, for these products only."""
    rows, _ = product_rows(Product.objects.filter(pk__in=ids), period=period, now=now)
    position = {pk: i for i, pk in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row.product.pk])
