"""The product-planning domain: products, their owners and lifecycle, success metrics,
SLAs, the production-data survey and planning sessions.

Field names follow the REST API contract (api.py) so the two read alike.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from tracker.lib.validators import not_in_future
from tracker.products.models_experiments import ExperimentArm  # registers the models
from tracker.products.models_segments import Segment  # registers the model

User = settings.AUTH_USER_MODEL


def _not_in_future(field: str, moment: datetime | None) -> None:
    try:
        not_in_future(moment)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


class Stage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    DISCOVERY = "discovery", "Discovery"
    BUILDING = "building", "Building"
    PILOT = "pilot", "Pilot"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"


STAGE_ORDER = [choice.value for choice in Stage]
# Stages users rely on: entering them passes the readiness gate
# (tracker.readiness.services.product_change_stage_gated), so a product is never
# created directly in one of them.
GATED_STAGES = {Stage.PILOT.value, Stage.PRODUCTION.value}


class RiskTier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Product(models.Model):
    """An ML product: a team, three owners, a lifecycle and no end date."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="products"
    )
    summary = models.CharField(max_length=300, blank=True)
    problem_statement = models.TextField(
        blank=True, help_text="The business question this product answers."
    )
    success_definition = models.TextField(
        blank=True, help_text="What success looks like, in business terms."
    )
    stage = models.CharField(max_length=20, choices=Stage, default=Stage.PROPOSED)
    stage_entered_at = models.DateTimeField()
    launched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the product first entered production."
    )
    business_context = models.TextField(blank=True)
    risk_tier = models.CharField(
        max_length=10, choices=RiskTier, default=RiskTier.MEDIUM
    )
    worst_case_matters = models.BooleanField(
        default=False,
        help_text="Worst-case (not average) performance is what matters here.",
    )
    worst_case_evaluation = models.TextField(
        blank=True, help_text="How worst-case behaviour is evaluated."
    )
    constraints = models.TextField(
        "operationalization constraints",
        blank=True,
        help_text="Latency, cost, privacy, explainability, deployment target…",
    )
    simple_baseline = models.TextField(
        blank=True, help_text="The simplest thing that could work (rules, heuristics)."
    )
    pm_owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="PM / business owner",
    )
    ml_owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="ML owner",
    )
    eng_owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="engineering owner",
    )
    shared_ownership_accepted = models.BooleanField(
        default=False,
        help_text="One person deliberately holds more than one owner role.",
    )
    badge_public = models.BooleanField(
        default=False, help_text="Show the CI status badge without signing in."
    )
    # When the feedback of the people using the model turns bad (tracker.outcomes):
    # at least `feedback_min_ratings` ratings in the last `feedback_window_hours`,
    # of which more than `feedback_bad_percent` % bad, open a bad_predictions incident.
    feedback_bad_percent = models.PositiveSmallIntegerField(
        "bad feedback threshold (%)",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A share of bad ratings above this opens an incident (1-100).",
    )
    feedback_min_ratings = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Ratings needed in the window before the share counts.",
    )
    feedback_window_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
        help_text="Hours of feedback the share is taken over (1-2160).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(feedback_bad_percent__gte=1)
                & Q(feedback_bad_percent__lte=100)
                & Q(feedback_min_ratings__gte=1)
                & Q(feedback_window_hours__gte=1),
                name="product_feedback_threshold_range",
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.PRODUCTION) | Q(launched_at__isnull=False),
                name="product_in_production_has_launch_date",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=STAGE_ORDER), name="product_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(risk_tier__in=RiskTier.values),
                name="product_risk_tier_valid",
            ),
        ]
        indexes = [
            # Product list filters by team and stage (selectors.product_list).
            models.Index(fields=["team", "stage"], name="product_team_stage_idx"),
            # The list's order (selectors.product_list, the list page and the
            # API): a page of it reads only its rows, not every product sorted.
            models.Index(fields=["name", "id"], name="product_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("products:detail", args=[self.slug])

    @property
    def picker_label(self) -> str:
        """How pickers and choice fields name a product: with its team (needs
        the team loaded)."""
        return f"{self.name} ({self.team.name})"

    def clean(self) -> None:
        # Forms and the API both reach this through services (full_clean).
        if self.risk_tier == RiskTier.CRITICAL and not self.worst_case_matters:
            raise ValidationError(
                {
                    "worst_case_matters": "Critical-risk products must be judged "
                    "on worst-case behaviour."
                }
            )

    @property
    def owner_ids(self) -> list[int | None]:
        return [self.pm_owner_id, self.ml_owner_id, self.eng_owner_id]

    @property
    def missing_owner_roles(self) -> list[str]:
        roles = [
            ("pm_owner", "PM / business"),
            ("ml_owner", "ML"),
            ("eng_owner", "Engineering"),
        ]
        return [label for field, label in roles if getattr(self, f"{field}_id") is None]

    @property
    def owners_aligned(self) -> bool:
        """All three roles set, by three people or by fewer with sharing accepted."""
        ids = self.owner_ids
        if None in ids:
            return False
        return len(set(ids)) == 3 or self.shared_ownership_accepted

    @property
    def owners_summary(self) -> str:
        """What `owners_aligned` found, in words (the owners badge): the page
        says what "aligned" means instead of the bare word."""
        ids = self.owner_ids
        if None in ids:
            return f"{3 - ids.count(None)} of 3 owners set"
        if len(set(ids)) == 3:
            return "three different owners"
        if self.shared_ownership_accepted:
            return "shared roles, accepted"
        return "one person in several roles"

    @property
    def is_launched(self) -> bool:
        return self.launched_at is not None


class StageChange(models.Model):
    """One move of a product between lifecycle stages: the stage timeline."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=20, choices=Stage, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.product}: {self.from_stage or '∅'} → {self.to_stage}"

    def get_absolute_url(self) -> str:
        return f"{self.product.get_absolute_url()}#stage-h"


class MetricKind(models.TextChoices):
    BUSINESS_KPI = "business_kpi", "Business KPI"
    MODEL_METRIC = "model_metric", "Model metric"
    GUARDRAIL = "guardrail", "Guardrail"
    # Whether people use the model: share of decisions that follow it, override rate.
    ADOPTION = "adoption", "Adoption"


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


def progress_towards(
    baseline: float | None, target: float | None, latest: float | None
) -> float | None:
    """(latest - baseline) / (target - baseline); None when undefined. A metric's
    progress (SuccessMetric.progress; the portfolio report calls it on values)."""
    if latest is None or baseline is None or target is None:
        return None
    span = target - baseline
    if span == 0:
        return None
    return (latest - baseline) / span


def change_against(baseline: float | None, value: float | None) -> float | None:
    """Relative change of `value` against the baseline (0.1 = +10 %)."""
    if value is None or not baseline:
        return None
    return (value - baseline) / abs(baseline)


class SuccessMetric(models.Model):
    """A number that says whether the product works: a business KPI, a model metric
    or a guardrail, with a baseline measured before launch and a target."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="metrics"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=MetricKind, default=MetricKind.BUSINESS_KPI
    )
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=40, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction, default=Direction.HIGHER
    )
    baseline = models.FloatField(null=True, blank=True)
    baseline_at = models.DateField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_metrics",
        help_text="Who reports this number.",
    )
    worst_case_floor = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "The worst value any segment may show: a floor when higher is better,"
            " a ceiling when lower is better."
        ),
    )
    cadence_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text="Days between follow-up measurements (1-366).",
    )
    value_per_unit = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Business KPIs: what one unit of improvement over the baseline "
        "is worth, in the instance's currency (docs/value.md).",
    )
    # Maintained by services.metric_schedule_next_due; reminders read it.
    next_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "name"], name="metric_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1) & Q(cadence_days__lte=366),
                name="metric_cadence_range",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MetricKind.values), name="metric_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="metric_direction_valid",
            ),
            models.CheckConstraint(
                condition=Q(value_per_unit__isnull=True)
                | Q(value_per_unit__gte=0, kind=MetricKind.BUSINESS_KPI),
                name="metric_value_per_unit_kpi",
            ),
            # A floor above the target (a ceiling below it) could never be met
            # before the target is: SuccessMetric.clean names the field.
            models.CheckConstraint(
                condition=Q(worst_case_floor__isnull=True)
                | Q(target__isnull=True)
                | Q(direction=Direction.HIGHER, worst_case_floor__lte=F("target"))
                | Q(direction=Direction.LOWER, worst_case_floor__gte=F("target")),
                name="metric_worst_case_floor_side",
            ),
        ]
        indexes = [
            # Reminder sweeps find metrics whose follow-up is due.
            models.Index(fields=["next_due_at"], name="metric_next_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("products:metric_detail", args=[self.product.slug, self.pk])

    def clean(self) -> None:
        errors = {}
        if self.baseline is not None and self.baseline_at is None:
            errors["baseline_at"] = "Say when the baseline was measured."
        # A guardrail may just hold its level; anything else must move.
        moves = self.kind != MetricKind.GUARDRAIL
        if moves and self.baseline is not None and self.baseline == self.target:
            errors["target"] = "The target must differ from the baseline."
        if self.value_per_unit is not None and self.kind != MetricKind.BUSINESS_KPI:
            errors["value_per_unit"] = "Only a business KPI carries a value per unit."
        if not self.floor_side_ok():
            errors["worst_case_floor"] = (
                "A floor must not be above the target (higher is better)."
                if self.direction == Direction.HIGHER
                else "A ceiling must not be below the target (lower is better)."
            )
        if errors:
            raise ValidationError(errors)

    def progress(self, latest: float | None) -> float | None:
        return progress_towards(self.baseline, self.target, latest)

    def change_vs_baseline(self, value: float | None) -> float | None:
        return change_against(self.baseline, value)

    def floor_side_ok(self) -> bool:
        if self.worst_case_floor is None or self.target is None:
            return True
        if self.direction == Direction.HIGHER:
            return self.worst_case_floor <= self.target
        return self.worst_case_floor >= self.target

    def meets(self, value: float, floor: float | None = None) -> bool | None:
        """Whether `value` is no worse than the worst-case floor (None: no floor)."""
        floor = self.worst_case_floor if floor is None else floor
        if floor is None:
            return None
        return value >= floor if self.direction == Direction.HIGHER else value <= floor

    def is_improvement(self, value: float, reference: float) -> bool:
        if self.direction == Direction.HIGHER:
            return value > reference
        return value < reference


class MeasurementSource(models.TextChoices):
    UI = "ui", "Browser"
    API = "api", "API"
    CI = "ci", "CI"
    PROMETHEUS = "prometheus", "Prometheus"


class Measurement(models.Model):
    """One observed value of a success metric at a point in time."""

    metric = models.ForeignKey(
        SuccessMetric, on_delete=models.CASCADE, related_name="measurements"
    )
    value = models.FloatField()
    measured_at = models.DateTimeField()
    source = models.CharField(
        max_length=10, choices=MeasurementSource, default=MeasurementSource.UI
    )
    note = models.CharField(max_length=500, blank=True)
    # Empty: the metric as a whole (charts, progress, reports); set: one slice,
    # read for the worst case (selectors.metric_segments_latest).
    segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    # Set: a value of one arm of the experiment running on the metric at
    # `measured_at` (experiments.arm_resolve); read for the experiment's result,
    # never for the metric as a whole.
    arm = models.ForeignKey(
        ExperimentArm,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="measurements",
    )
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [
            # Latest value per segment of a metric (selectors.segments_latest).
            models.Index(
                fields=["metric", "segment", "-measured_at", "-id"],
                condition=Q(segment__isnull=False),
                name="measurement_segment_idx",
            ),
            # Latest value per metric (selectors.metric_list_with_latest) and charts.
            # With the id and the value in it (a key column: SQLite has no
            # `include`), the portfolio report reads each KPI's latest value and
            # after-launch mean from the index alone (reports.selectors.kpis.kpi_rows).
            models.Index(
                fields=["metric", "-measured_at", "-id", "value"],
                name="measurement_latest_value_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric.name} = {self.value} @ {self.measured_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return self.metric.get_absolute_url()

    def clean(self) -> None:
        _not_in_future("measured_at", self.measured_at)
        if self.segment_id and self.segment.product_id != self.metric.product_id:
            raise ValidationError({"segment": "Not a segment of this product."})
        if self.arm_id and self.arm.experiment.metric_id != self.metric_id:
            raise ValidationError(
                {"arm": "Not an arm of an experiment on this metric."}
            )


class Indicator(models.TextChoices):
    LATENCY_P95_MS = "latency_p95_ms", "Latency p95 (ms)"
    LATENCY_P99_MS = "latency_p99_ms", "Latency p99 (ms)"
    AVAILABILITY_PCT = "availability_pct", "Availability (%)"
    ERROR_RATE_PCT = "error_rate_pct", "Error rate (%)"
    FRESHNESS_MINUTES = "freshness_minutes", "Data freshness (minutes)"
    THROUGHPUT_RPS = "throughput_rps", "Throughput (requests/s)"
    CUSTOM = "custom", "Custom"


class Comparator(models.TextChoices):
    LTE = "lte", "at most (≤)"
    GTE = "gte", "at least (≥)"


class ServiceLevel(models.Model):
    """An SLA/SLO: an indicator that must meet a threshold in `objective` % of checks
    over a rolling window of `window_days`."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="slas")
    name = models.CharField(max_length=200)
    indicator = models.CharField(max_length=30, choices=Indicator)
    description = models.TextField(blank=True)
    comparator = models.CharField(
        max_length=3, choices=Comparator, default=Comparator.LTE
    )
    threshold = models.FloatField()
    window_days = models.PositiveIntegerField(
        default=28, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    objective = models.FloatField(
        default=99.0,
        validators=[MinValueValidator(0.001), MaxValueValidator(100)],
        help_text="Percent of checks that must meet the threshold (0-100].",
    )
    auto_resolve = models.BooleanField(
        "resolve incidents automatically",
        default=True,
        help_text="A passing check resolves the incident a breach opened.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA"
        verbose_name_plural = "SLAs"
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="sla_name_unique"),
            models.CheckConstraint(
                condition=Q(window_days__gte=1) & Q(window_days__lte=366),
                name="sla_window_range",
            ),
            models.CheckConstraint(
                condition=Q(objective__gt=0) & Q(objective__lte=100),
                name="sla_objective_percent",
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values),
                name="sla_comparator_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("products:sla_detail", args=[self.product.slug, self.pk])

    def meets(self, value: float) -> bool:
        if self.comparator == Comparator.LTE:
            return value <= self.threshold
        return value >= self.threshold

    @property
    def threshold_label(self) -> str:
        symbol = "≤" if self.comparator == Comparator.LTE else "≥"
        return f"{symbol} {self.threshold:g}"


class SLACheck(models.Model):
    """One measured value of an SLA's indicator.

    `passed` is decided when the check is recorded, against the threshold in force
    then, so a later threshold change does not rewrite history.
    """

    sla = models.ForeignKey(
        ServiceLevel, on_delete=models.CASCADE, related_name="checks"
    )
    value = models.FloatField()
    checked_at = models.DateTimeField()
    passed = models.BooleanField()
    source = models.CharField(
        max_length=10, choices=MeasurementSource, default=MeasurementSource.UI
    )
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = "SLA check"
        indexes = [
            # Compliance over the window (selectors.sla_list_with_compliance).
            models.Index(fields=["sla", "-checked_at"], name="slacheck_window_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sla.name} = {self.value} @ {self.checked_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return self.sla.get_absolute_url()

    def clean(self) -> None:
        _not_in_future("checked_at", self.checked_at)


class SourceKind(models.TextChoices):
    OLTP_DATABASE = "oltp_database", "OLTP database"
    WAREHOUSE = "warehouse", "Data warehouse"
    STREAM = "stream", "Event stream"
    EXTERNAL_API = "external_api", "External API"
    FILE = "file", "File / batch drop"
    MANUAL = "manual", "Manual entry"


class Availability(models.TextChoices):
    YES = "yes", "Yes"
    PARTIAL = "partial", "Partial"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


class Computation(models.TextChoices):
    LOOKUP = "lookup", "Lookup"
    BATCH_AGGREGATE = "batch_aggregate", "Batch aggregate"
    STREAMING_AGGREGATE = "streaming_aggregate", "Streaming aggregate"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class QualityRating(models.TextChoices):
    GOOD = "good", "Good"
    FAIR = "fair", "Fair"
    POOR = "poor", "Poor"
    UNKNOWN = "unknown", "Unknown"


QUALITY_DIMENSIONS = [
    "availability",
    "timeliness",
    "completeness",
    "validity",
    "consistency",
    "correctness",
    "trustworthiness",
]


def _quality_field(dimension: str) -> models.CharField:
    return models.CharField(
        f"{dimension} rating", max_length=10, choices=QualityRating, blank=True
    )


class FeatureSource(models.Model):
    """One row of a product's production-data survey: a feature or input the model
    needs, and whether production can really supply it."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="survey"
    )
    feature = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source_kind = models.CharField(max_length=20, choices=SourceKind)
    source_system = models.CharField(max_length=200, blank=True)
    available_in_production = models.CharField(
        max_length=10, choices=Availability, default=Availability.UNKNOWN
    )
    freshness_needed = models.DurationField(null=True, blank=True)
    freshness_actual = models.DurationField(null=True, blank=True)
    computation = models.CharField(
        max_length=20, choices=Computation, default=Computation.LOOKUP
    )
    owner = models.CharField(
        max_length=200, blank=True, help_text="Team or person who owns the data."
    )
    preprocessing = models.TextField(blank=True)
    skew_risk = models.CharField(
        "training/serving skew risk", max_length=10, choices=Risk, default=Risk.MEDIUM
    )
    simpler_alternative = models.TextField(blank=True)
    quality_availability = _quality_field("availability")
    quality_timeliness = _quality_field("timeliness")
    quality_completeness = _quality_field("completeness")
    quality_validity = _quality_field("validity")
    quality_consistency = _quality_field("consistency")
    quality_correctness = _quality_field("correctness")
    quality_trustworthiness = _quality_field("trustworthiness")
    quality_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["feature"]
        verbose_name = "survey feature"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "feature"], name="survey_feature_unique"
            ),
            models.CheckConstraint(
                condition=Q(available_in_production__in=Availability.values),
                name="survey_availability_valid",
            ),
            models.CheckConstraint(
                condition=Q(skew_risk__in=Risk.values), name="survey_skew_risk_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.feature}"

    def get_absolute_url(self) -> str:
        return reverse("products:survey_edit", args=[self.product.slug, self.pk])

    @property
    def quality_ratings(self) -> list[tuple[str, str]]:
        return [(d, getattr(self, f"quality_{d}")) for d in QUALITY_DIMENSIONS]

    @property
    def is_rated(self) -> bool:
        """Every dimension rated, nothing unknown, availability known."""
        ratings = [rating for _, rating in self.quality_ratings]
        return (
            self.available_in_production != Availability.UNKNOWN
            and all(ratings)
            and QualityRating.UNKNOWN not in ratings
        )

    @property
    def freshness_gap(self) -> bool:
        """Production data is staler than the model needs."""
        if self.freshness_needed is None or self.freshness_actual is None:
            return False
        return self.freshness_actual > self.freshness_needed

    @property
    def is_risky(self) -> bool:
        return (
            self.available_in_production in (Availability.NO, Availability.PARTIAL)
            or self.skew_risk == Risk.HIGH
            or self.freshness_gap
        )


class PlanningSession(models.Model):
    """A planning session: who was there, what was decided, what is still open."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(max_length=200)
    held_at = models.DateTimeField()
    attendees = models.ManyToManyField(
        User, blank=True, related_name="planning_sessions"
    )
    decisions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    open_questions = models.TextField(blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("products:session_detail", args=[self.product.slug, self.pk])
