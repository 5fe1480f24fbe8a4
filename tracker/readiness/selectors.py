"""Readiness, computed from what the tracker already holds (never typed in).

Both the checklist and the ML Test Score work on a queryset of products with a
fixed number of queries, so the product page and the portfolio report share them.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property

from django.db.models import (
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone

from tracker.cards.models import ModelCard
from tracker.ci.models import CIStatus
from tracker.ci.selectors import ci_context_results
from tracker.incidents.models import AlertIntegration, Incident, Source
from tracker.lib.aggregates import in_ids
from tracker.products import models as products_models
from tracker.products.experiments import Verdict, experiment_verdicts
from tracker.products.models import (
    QUALITY_DIMENSIONS,
    Availability,
    Direction,
    FeatureSource,
    Measurement,
    MetricKind,
    Product,
    QualityRating,
    RiskTier,
    Segment,
    ServiceLevel,
    SLACheck,
    Stage,
    SuccessMetric,
)
from tracker.products.selectors import survey_complete
from tracker.readiness.models import (
    LEVEL_POINTS,
    Level,
    MLTestResult,
    MLTestScoreSnapshot,
)
from tracker.readiness.rubric import (
    MAX_SCORE,
    SECTIONS,
    TESTS,
    TESTS_BY_CODE,
    interpretation,
)
from tracker.releases.models import Deployment, Environment

SIGNAL_WINDOW = timedelta(days=30)
# Incidents that arrived from a monitoring tool prove it is wired to this product
# even when the delivery came through another product's integration.
ALERT_SOURCES = [Source.ALERTMANAGER, Source.GRAFANA, Source.GENERIC]
GATED_STAGES = products_models.GATED_STAGES
HIGH_RISK = (RiskTier.HIGH, RiskTier.CRITICAL)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    passed: bool | None  # None: does not apply to this product
    detail: str
    fix_url: str


@dataclass
class Readiness:
    """A product's checklist. Whether each item passes comes from the annotated
    facts alone; the items, with their explanations and links, are built when
    first read (the portfolio report needs only the counts, for every product)."""

    product: Product
    urls: dict[str, str] = field(repr=False)

    @cached_property
    def passed(self) -> dict[str, bool | None]:
        """Item key → passed (None: does not apply to this product)."""
        return _passes(self.product)

    @cached_property
    def items(self) -> list[Item]:
        return _items(self.product, self.urls, self.passed)

    @property
    def applicable(self) -> list[Item]:
        return [item for item in self.items if item.passed is not None]

    @property
    def failing(self) -> list[Item]:
        return [item for item in self.items if item.passed is False]

    @cached_property
    def passed_count(self) -> int:
        return sum(1 for passed in self.passed.values() if passed)

    @cached_property
    def applicable_count(self) -> int:
        return sum(1 for passed in self.passed.values() if passed is not None)

    @property
    def ratio(self) -> float:
        applicable = self.applicable_count
        return self.passed_count / applicable if applicable else 0.0


def _unrated_feature() -> Q:
    """A survey row that keeps the survey from being complete."""
    missing = Q(available_in_production=Availability.UNKNOWN)
    for dimension in QUALITY_DIMENSIONS:
        missing |= Q(**{f"quality_{dimension}__in": ["", QualityRating.UNKNOWN]})
    return missing


def readiness_annotate(
    products: QuerySet[Product], *, now: datetime
) -> QuerySet[Product]:
    """Add the facts the checklist needs as EXISTS subqueries: one query in all."""
    mine = {"product": OuterRef("pk")}
    since = now - SIGNAL_WINDOW
    return products.annotate(
        **_timeless_facts(),
        rd_monitoring=Exists(
            SLACheck.objects.filter(sla__product=OuterRef("pk"), checked_at__gte=since)
        )
        | Exists(AlertIntegration.objects.filter(**mine, last_delivery_at__gte=since))
        | Exists(
            Incident.objects.filter(
                **mine, source__in=ALERT_SOURCES, detected_at__gte=since
            )
        ),
        rd_ci=Exists(CIStatus.objects.filter(**mine, updated_at__gte=since)),
    )


@cache
def _timeless_facts() -> dict[str, Exists | Subquery]:
    """The facts that do not depend on the time, built once rather than for
    every query: Django copies a subquery as it resolves it into a query, so
    the same ones serve every query."""
    mine = {"product": OuterRef("pk")}
    return {
        "rd_kpi": Exists(
            SuccessMetric.objects.filter(
                **mine,
                kind=MetricKind.BUSINESS_KPI,
                baseline__isnull=False,
                target__isnull=False,
            )
        ),
        "rd_sla": Exists(ServiceLevel.objects.filter(**mine)),
        "rd_survey_any": Exists(FeatureSource.objects.filter(**mine)),
        "rd_survey_unrated": Exists(
            FeatureSource.objects.filter(_unrated_feature(), **mine)
        ),
        "rd_survey_unavailable": Exists(
            FeatureSource.objects.filter(**mine).exclude(
                available_in_production=Availability.YES
            )
        ),
        "rd_card": Exists(
            ModelCard.objects.filter(**mine).exclude(
                Q(intended_use="") | Q(out_of_scope_uses="") | Q(caveats="")
            )
        ),
        "rd_floor": Exists(
            SuccessMetric.objects.filter(**mine, worst_case_floor__isnull=False)
        ),
        "rd_segment_unmeasured": Subquery(_segment_unmeasured().values("name")[:1]),
        "rd_segment_failing": Subquery(_segment_failing().values("label")[:1]),
        "rd_deployment": Exists(
            Deployment.objects.filter(**mine, environment=Environment.PRODUCTION)
        ),
    }


def _segment_unmeasured() -> QuerySet:
    """The product's segments without a value of some metric that has a floor."""
    floored = SuccessMetric.objects.filter(
        product=OuterRef("product"), worst_case_floor__isnull=False
    ).exclude(
        Exists(
            Measurement.objects.filter(
                metric=OuterRef("pk"), segment=OuterRef(OuterRef("pk"))
            )
        )
    )
    return (
        Segment.objects.filter(product=OuterRef("pk"))
        .filter(Exists(floored))
        .order_by("name")
    )


def _segment_failing() -> QuerySet:
    """ "segment on metric" for a segment whose latest value misses the floor."""
    newer = Measurement.objects.filter(
        metric=OuterRef("metric"), segment=OuterRef("segment")
    ).filter(
        Q(measured_at__gt=OuterRef("measured_at"))
        | Q(measured_at=OuterRef("measured_at"), id__gt=OuterRef("id"))
    )
    below = Q(
        metric__direction=Direction.HIGHER, value__lt=F("metric__worst_case_floor")
    )
    above = Q(
        metric__direction=Direction.LOWER, value__gt=F("metric__worst_case_floor")
    )
    return (
        Measurement.objects.filter(
            below | above,
            metric__product=OuterRef("pk"),
            segment__isnull=False,
        )
        .exclude(Exists(newer))
        .annotate(
            label=Concat(
                "segment__name", Value(" on "), "metric__name", output_field=CharField()
            )
        )
        .order_by("segment__name", "metric__name")
    )


_SLUG = "__slug__"


# The experiment is asked of high and critical risk on the way to production: a
# pilot is where it runs, so entering the pilot does not need it yet.
EXPERIMENT_STAGES = (Stage.PILOT, Stage.PRODUCTION)
NO_EXPERIMENT = (
    "No finished experiment: compare the model against what it replaces "
    "(an experiment on one of its metrics) and end it."
)


def experiment_facts(products: Iterable, *, now: datetime) -> None:
    """Set `rd_experiment` (a Verdict or None) on each product that needs it, from
    its finished experiments (a fixed number of queries for all of them)."""
    products = list(products)
    asked = [p.pk for p in products if _experiment_asked(p)]
    verdicts = experiment_verdicts(product_ids=asked, now=now) if asked else {}
    for product in products:
        product.rd_experiment = verdicts.get(product.pk)


def _experiment_asked(product: Product) -> bool:
    return product.risk_tier in HIGH_RISK and product.stage in EXPERIMENT_STAGES


def fix_urls() -> dict[str, str]:
    """The pages where items are fixed, reversed once per call rather than once
    per product and item (reverse() dominated the portfolio report's time)."""
    names = ("edit", "metric_create", "sla_create", "survey", "metrics", "delivery")
    urls = {name: reverse(f"products:{name}", args=[_SLUG]) for name in names}
    return urls | {"model_card": reverse("cards:card_edit", args=[_SLUG])}


def _passes(product: Product) -> dict[str, bool | None]:
    """Each item's verdict from a product annotated by readiness_annotate."""
    worst_case_asked = product.worst_case_matters or product.risk_tier in HIGH_RISK
    return {
        "owners": product.owners_aligned,
        "kpi": product.rd_kpi,
        "sla": product.rd_sla,
        "survey": survey_complete(
            surveyed=product.rd_survey_any,
            unrated=product.rd_survey_unrated,
            unavailable=product.rd_survey_unavailable,
        ),
        "monitoring": product.rd_monitoring,
        "ci": product.rd_ci,
        # Only a product in production must show what serves it.
        "deployment": product.rd_deployment
        if product.stage == Stage.PRODUCTION
        else None,
        "baseline": bool(product.simple_baseline.strip()),
        "worst_case": _worst_case_passes(product) if worst_case_asked else None,
        # High and critical risk: users must be told what it is (not) for.
        "model_card": product.rd_card if product.risk_tier in HIGH_RISK else None,
        "experiment": _experiment_passes(product),
    }


def _experiment_passes(product: Product) -> bool | None:
    if not _experiment_asked(product):
        return None
    verdict: Verdict | None = product.rd_experiment
    return bool(verdict and verdict.passed)


def _worst_case_passes(product: Product) -> bool:
    """Every segment's latest value meets each floor; text alone does not pass."""
    return bool(
        product.rd_floor
        and not product.rd_segment_unmeasured
        and not product.rd_segment_failing
    )


def _worst_case_why(product: Product, passed: bool | None) -> str:
    if passed is None:
        return "Not required at this risk tier."
    if not product.rd_floor:
        return "No metric has a worst-case floor: set one and measure each segment."
    if product.rd_segment_failing:
        return f"Fails the floor: {product.rd_segment_failing}."
    if product.rd_segment_unmeasured:
        return f"No value yet for {product.rd_segment_unmeasured}."
    return "Every segment's latest value meets the floor."


def _items(
    product: Product, urls: dict[str, str], passed: dict[str, bool | None]
) -> list[Item]:
    def url(name: str) -> str:
        return urls[name].replace(_SLUG, product.slug)

    if not product.rd_survey_any:
        survey_why = "No feature has been surveyed."
    elif product.rd_survey_unrated:
        survey_why = "Some features are not rated on every data-quality dimension."
    elif product.rd_survey_unavailable:
        survey_why = "Some features are not (fully) available in production."
    else:
        survey_why = "Every feature rated and available in production."
    missing = product.missing_owner_roles
    return [
        Item(
            "owners",
            "Three owners set",
            passed["owners"],
            "PM, ML and engineering owners are set."
            if passed["owners"]
            else (
                f"Missing: {', '.join(missing)}."
                if missing
                else "One person holds several roles without sharing accepted."
            ),
            url("edit"),
        ),
        Item(
            "kpi",
            "A business KPI with a baseline and a target",
            passed["kpi"],
            "Baseline and target recorded."
            if passed["kpi"]
            else "No business KPI has both a baseline and a target.",
            url("metric_create"),
        ),
        Item(
            "sla",
            "An SLA",
            passed["sla"],
            "At least one SLA defined." if passed["sla"] else "No SLA defined.",
            url("sla_create"),
        ),
        Item(
            "survey",
            "Data survey complete, all features in production",
            passed["survey"],
            survey_why,
            url("survey"),
        ),
        Item(
            "monitoring",
            "Monitoring connected",
            passed["monitoring"],
            "Signals received in the last 30 days."
            if passed["monitoring"]
            else "No alert delivery or SLA check in the last 30 days.",
            url("metrics") + "#slas-h",
        ),
        Item(
            "ci",
            "CI reporting",
            passed["ci"],
            "A CI status arrived in the last 30 days."
            if passed["ci"]
            else "No CI status in the last 30 days: post pipeline stages to the API.",
            url("delivery") + "#ci-h",
        ),
        Item(
            "deployment",
            "A production deployment is recorded",
            passed["deployment"],
            "Only asked of products in production."
            if passed["deployment"] is None
            else "The version serving production is known."
            if passed["deployment"]
            else "No production deployment recorded: record one, or let the "
            "deploy stage of CI report it.",
            url("delivery") + "#releases-h",
        ),
        Item(
            "baseline",
            "A simple baseline recorded",
            passed["baseline"],
            "Recorded."
            if passed["baseline"]
            else "What is the simplest thing that could work?",
            url("edit"),
        ),
        Item(
            "worst_case",
            "Worst case met by every segment",
            passed["worst_case"],
            _worst_case_why(product, passed["worst_case"]),
            url("metrics") + "#metrics-h",
        ),
        Item(
            "model_card",
            "A model card saying what it is and is not for",
            passed["model_card"],
            "Not required at this risk tier."
            if passed["model_card"] is None
            else "Intended use, out-of-scope uses and caveats written."
            if passed["model_card"]
            else "High-risk products need a model card with intended use, "
            "out-of-scope uses and caveats before pilot.",
            url("model_card"),
        ),
        Item(
            "experiment",
            "A finished experiment with a significant uplift",
            passed["experiment"],
            _experiment_why(product, passed["experiment"]),
            url("delivery") + "#experiments-h",
        ),
    ]


def _experiment_why(product: Product, passed: bool | None) -> str:
    if passed is None:
        return "Asked of high and critical risk products in pilot, before production."
    verdict: Verdict | None = product.rd_experiment
    return verdict.detail if verdict else NO_EXPERIMENT


def readiness_with_products(
    products: QuerySet[Product], *, now: datetime | None = None
) -> list[tuple[Product, Readiness]]:
    """Each product (in the queryset's order) with its readiness: one query."""
    now = now or timezone.now()
    urls = fix_urls()
    annotated = list(readiness_annotate(products, now=now))
    experiment_facts(annotated, now=now)
    return [(product, Readiness(product, urls)) for product in annotated]


def readiness_for_products(
    products: QuerySet[Product], *, now: datetime | None = None
) -> dict[int, Readiness]:
    return {p.pk: r for p, r in readiness_with_products(products, now=now)}


def readiness_for_product(
    product: Product, *, now: datetime | None = None
) -> Readiness:
    products = Product.objects.filter(pk=product.pk)
    return readiness_for_products(products, now=now)[product.pk]


# --- ML Test Score -----------------------------------------------------------------


@dataclass
class TestRow:
    test: object
    result: MLTestResult | None
    points: float
    automated_by_ci: bool = False
    ci_note: str = ""

    # A missing result row means "not done" (the API shows every test alike).
    @property
    def level(self) -> str:
        return self.result.level if self.result else Level.NOT_DONE

    @property
    def evidence(self) -> str:
        return self.result.evidence if self.result else ""

    @property
    def ci_context(self) -> str:
        return self.result.ci_context if self.result else ""


@dataclass
class Score:
    """A product's ML Test Score from its results (by test code; a test without
    one is not done) and the CI states of the contexts they map to. The 28 rows
    are built only when asked for: the portfolio report needs the sums alone."""

    results: dict[str, MLTestResult] = field(default_factory=dict)
    ci: dict[str, tuple[int, str]] = field(default_factory=dict)  # by context

    def _scored(self, result: MLTestResult | None) -> tuple[float, bool, str]:
        return _points(result, self.ci.get(result.ci_context) if result else None)

    @cached_property
    def rows(self) -> list[TestRow]:
        return [
            TestRow(test, result, *self._scored(result))
            for test in TESTS
            for result in [self.results.get(test.code)]
        ]

    @cached_property
    def sections(self) -> dict[str, float]:
        sums = dict.fromkeys(SECTIONS, 0.0)
        for code, result in self.results.items():
            sums[TESTS_BY_CODE[code].section] += self._scored(result)[0]
        return sums

    @property
    def score(self) -> float:
        return min(self.sections.values()) if self.sections else 0.0

    @property
    def out_of(self) -> int:
        """The scale: the score and each section run from 0 to this."""
        return MAX_SCORE

    @property
    def interpretation(self) -> str:
        return interpretation(self.score)

    def row(self, code: str) -> TestRow:
        return next(row for row in self.rows if row.test.code == code)

    def by_section(self) -> list[tuple[str, str, float, list[TestRow]]]:
        return [
            (
                key,
                label,
                self.sections[key],
                [r for r in self.rows if r.test.section == key],
            )
            for key, label in SECTIONS.items()
        ]


def _points(
    result: MLTestResult | None, ci: tuple[int, str] | None
) -> tuple[float, bool, str]:
    if result is None:
        return 0.0, False, ""
    manual = min(LEVEL_POINTS[Level(result.level)], 0.5)
    if not result.ci_context:
        return LEVEL_POINTS[Level(result.level)], False, ""
    successes, latest = ci or (0, "")
    if latest == "success" and successes >= 2:
        return 1.0, True, f"{successes} successful CI runs of {result.ci_context}"
    if latest in {"failure", "error"}:
        return manual, False, f"latest {result.ci_context} run failed"
    return manual, False, f"waiting for repeated successes of {result.ci_context}"


def ml_test_scores(product_ids: list[int]) -> dict[int, Score]:
    """The ML Test Score of each product, in two queries whatever their number."""
    results = defaultdict(dict)
    contexts = set()
    for result in MLTestResult.objects.filter(in_ids("product_id", product_ids)):
        results[result.product_id][result.code] = result
        if result.ci_context:
            contexts.add(result.ci_context)
    ci = defaultdict(dict)
    if contexts:
        for (pid, context), state in ci_context_results(product_ids, contexts).items():
            ci[pid][context] = state
    return {pid: Score(results.get(pid, {}), ci.get(pid, {})) for pid in product_ids}


def ml_test_score(product: Product) -> Score:
    return ml_test_scores([product.pk])[product.pk]


def ml_test_history(product: Product, limit: int = 100) -> list[MLTestScoreSnapshot]:
    return list(product.ml_test_snapshots.all()[:limit])[::-1]


# --- Suggestions from the production-data survey ---------------------------------


@dataclass(frozen=True)
class Suggestion:
    """What the survey says about a rubric test: a hint, never a score."""

    level: str  # the level the survey supports: not_done or manual
    text: str


def survey_suggestions(features: list[FeatureSource]) -> dict[str, Suggestion]:
    """Pre-fill hints for the tests the production-data survey speaks to:
    data-1 (expectations captured: every feature rated on every dimension),
    monitoring-3 (training/serving skew) and monitoring-2 (data invariants)."""
    if not features:
        return {}
    total = len(features)
    rated = [f for f in features if f.is_rated]
    skewed = [f.feature for f in features if f.skew_risk == "high"]
    shaky = [
        f.feature
        for f in features
        if QualityRating.POOR in (f.quality_validity, f.quality_consistency)
    ]
    suggestions = {
        "data-1": Suggestion(
            "manual" if len(rated) == total else "not_done",
            f"The survey rates {len(rated)} of {total} features on every "
            "data-quality dimension: a written record of what each input should be.",
        ),
        "monitoring-3": Suggestion(
            "not_done",
            f"High training/serving skew risk: {', '.join(skewed)}. Measure skew "
            "on these features first."
            if skewed
            else "No feature has a high training/serving skew risk in the survey.",
        ),
    }
    if shaky:
        suggestions["monitoring-2"] = Suggestion(
            "not_done",
            f"Rated poor on validity or consistency: {', '.join(shaky)}. These need "
            "live invariant checks.",
        )
    return suggestions


# --- For the API ---------------------------------------------------------------------


@dataclass
class ProductReadiness:
    """A product's checklist and ML Test Score together (the readiness page)."""

    product: Product
    readiness: Readiness
    score: Score

    def get_absolute_url(self) -> str:
        return reverse("readiness:detail", args=[self.product.slug])


@dataclass
class ProductMLTestScore:
    """A product's ML Test Score, test by test, with its history."""

    product: Product
    score: Score
    history: list[MLTestScoreSnapshot]

    def get_absolute_url(self) -> str:
        return reverse("readiness:detail", args=[self.product.slug]) + "#score-h"


def product_readiness(
    product: Product, *, now: datetime | None = None
) -> ProductReadiness:
    """Checklist and score: two or three queries."""
    return ProductReadiness(
        product, readiness_for_product(product, now=now), ml_test_score(product)
    )


def product_ml_test_score(product: Product) -> ProductMLTestScore:
    """Score and history: two or three queries."""
    return ProductMLTestScore(product, ml_test_score(product), ml_test_history(product))
