"""The products a portfolio report covers, read as the report needs them: the
filters and the reader's visibility decide which, one values() query reads them
with their readiness facts."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from tracker.accounts.selectors import Reader
from tracker.products.models import Product, RiskTier, Stage
from tracker.products.selectors import product_readable_q
from tracker.readiness.selectors import (
    Readiness,
    experiment_facts,
    fix_urls,
    readiness_annotate,
)

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
    readiness facts (readiness_annotate), from one values() query: building a
    Product and a Team instance per row costs several times more, for fields
    the report never shows (benchmarks/report_render.py). It answers what the
    report's page, exports, API, digest and readiness checklist ask of a
    product, with Product's own properties; anything else is an AttributeError,
    which the tests of each of them would show."""

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


def portfolio_products(*, filters: dict, user: Reader) -> QuerySet[Product]:
    """The products the report covers, in its order: every figure of the report
    is computed for these (and the page, CSV, PDF and API read them here)."""
    # Only what `user` may read: every figure below is keyed by these products.
    return _filtered(Product.objects.filter(product_readable_q(user)), filters)


def hidden_product_count(*, filters: dict, user: Reader) -> int:
    """How many products the same filters match that `user` may not read (private
    teams'): the report says so rather than silently covering fewer. A count
    only, never which ones."""
    hidden = Product.objects.exclude(product_readable_q(user))
    return _filtered(hidden, filters).order_by().count()


def _filtered(products: QuerySet[Product], filters: dict) -> QuerySet[Product]:
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
        product = report_product(
            dict(zip(names, row[: len(names)], strict=True)),
            teams,
            dict(zip(facts, row[len(names) :], strict=True)),
        )
        found.append((product, Readiness(product, urls)))
    experiment_facts([product for product, _ in found], now=now)
    return found


def report_product(
    fields: dict, teams: dict[str, TeamRef], facts: dict[str, bool] | None = None
) -> ReportProduct:
    """The ReportProduct of a row read with (some of) PRODUCT_FIELDS' names,
    its team the same TeamRef as the other rows' (`teams`, by slug)."""
    name, slug = fields.pop("team_name"), fields.pop("team_slug")
    team = teams.get(slug) or teams.setdefault(slug, TeamRef(name, slug))
    return ReportProduct(team, facts or {}, **fields)
