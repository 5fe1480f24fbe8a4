"""Writes for the products domain. Views, API views and tasks call these; nothing
else changes these models."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.services import model_create, model_update
from tracker.products.experiments import arm_resolve
from tracker.products.models import (
    GATED_STAGES,
    FeatureSource,
    Measurement,
    MeasurementSource,
    PlanningSession,
    Product,
    ServiceLevel,
    SLACheck,
    Stage,
    StageChange,
    SuccessMetric,
)
from tracker.products.segments import segment_resolve

PRODUCT_FIELDS = [
    "name",
    "slug",
    "team",
    "summary",
    "problem_statement",
    "success_definition",
    "business_context",
    "risk_tier",
    "worst_case_matters",
    "worst_case_evaluation",
    "constraints",
    "simple_baseline",
    "pm_owner",
    "ml_owner",
    "eng_owner",
    "shared_ownership_accepted",
    "badge_public",
    # When bad feedback opens an incident (tracker.outcomes, docs/value.md).
    "feedback_bad_percent",
    "feedback_min_ratings",
    "feedback_window_hours",
]
METRIC_FIELDS = [
    "name",
    "kind",
    "description",
    "unit",
    "direction",
    "baseline",
    "baseline_at",
    "target",
    "target_date",
    "owner",
    "worst_case_floor",
    "cadence_days",
    "value_per_unit",
]
SLA_FIELDS = [
    "name",
    "indicator",
    "description",
    "comparator",
    "threshold",
    "window_days",
    "objective",
    "auto_resolve",
]
SURVEY_FIELDS = [
    "feature",
    "description",
    "source_kind",
    "source_system",
    "available_in_production",
    "freshness_needed",
    "freshness_actual",
    "computation",
    "owner",
    "preprocessing",
    "skew_risk",
    "simpler_alternative",
    "quality_availability",
    "quality_timeliness",
    "quality_completeness",
    "quality_validity",
    "quality_consistency",
    "quality_correctness",
    "quality_trustworthiness",
    "quality_note",
]
SESSION_FIELDS = ["title", "held_at", "decisions", "notes", "open_questions"]


def _pick(data: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    return {field: data[field] for field in fields if field in data}


# --- Products and their lifecycle -------------------------------------------------


@transaction.atomic
def product_create(
    *, actor: User | None, data: dict[str, Any], at: datetime | None = None
) -> Product:
    """Create a product in its starting stage and record that as the first
    entry of its stage timeline (`at` backdates it, for imports and demos)."""
    now = at or timezone.now()
    stage = data.get("stage") or Stage.PROPOSED
    if stage in GATED_STAGES:
        raise ValidationError(
            {
                "stage": "A new product starts before pilot: create it, then move it "
                "to pilot or production, which checks its readiness."
            }
        )
    launched_at = now if stage == Stage.PRODUCTION else None
    product = model_create(
        Product,
        **_pick(data, PRODUCT_FIELDS),
        stage=stage,
        stage_entered_at=now,
        launched_at=data.get("launched_at") or launched_at,
    )
    StageChange.objects.create(
        product=product, from_stage="", to_stage=stage, changed_at=now, changed_by=actor
    )
    return product


@transaction.atomic
def product_update(
    *, product: Product, actor: User | None, data: dict[str, Any]
) -> list[str]:
    """Update a product's fields; a new `stage` goes through product_change_stage
    (with `stage_note`, if given, as the reason)."""
    changed = model_update(instance=product, fields=PRODUCT_FIELDS, data=data)
    if (
        "launched_at" in data
        and data["launched_at"]
        and data["launched_at"] != product.launched_at
    ):
        changed += model_update(instance=product, fields=["launched_at"], data=data)
        metrics_reschedule(product=product)
    stage = data.get("stage")
    if stage and stage != product.stage:
        note = data.get("stage_note", "")
        product_change_stage(product=product, stage=stage, actor=actor, note=note)
        changed.append("stage")
    return changed


@transaction.atomic
def product_change_stage(
    *,
    product: Product,
    stage: str,
    actor: User | None,
    note: str = "",
    at: datetime | None = None,
) -> StageChange:
    """Move a product to `stage`, recording the move. Entering production for the
    first time sets `launched_at`, which starts KPI follow-ups after launch."""
    at = at or timezone.now()
    change = StageChange.objects.create(
        product=product,
        from_stage=product.stage,
        to_stage=stage,
        changed_at=at,
        changed_by=actor,
        note=note,
    )
    product.stage = stage
    product.stage_entered_at = at
    fields = ["stage", "stage_entered_at", "updated_at"]
    if stage == Stage.PRODUCTION and product.launched_at is None:
        product.launched_at = at
        fields.append("launched_at")
    product.full_clean()
    product.save(update_fields=fields)
    if "launched_at" in fields or Stage.RETIRED in (stage, change.from_stage):
        metrics_reschedule(product=product)
    return change


# --- Success metrics and measurements ------------------------------------------------


def metric_next_due(
    metric: SuccessMetric, last_measured_at: datetime | None
) -> datetime | None:
    """Follow-ups are counted from the last measurement, or from launch when there
    is none yet; before launch and without measurements, or once the product is
    retired, nothing is due."""
    if metric.product.stage == Stage.RETIRED:
        return None
    start = last_measured_at or metric.product.launched_at
    if start is None:
        return None
    return start + timedelta(days=metric.cadence_days)


def metric_schedule_next_due(*, metric: SuccessMetric) -> None:
    # An experiment arm's value is not the metric's follow-up measurement.
    last = (
        metric.measurements.filter(arm__isnull=True)
        .order_by("-measured_at")
        .values_list("measured_at", flat=True)
        .first()
    )
    due = metric_next_due(metric, last)
    if due != metric.next_due_at:
        metric.next_due_at = due
        metric.save(update_fields=["next_due_at"])


def metrics_reschedule(*, product: Product) -> None:
    for metric in product.metrics.all():
        metric.product = product
        metric_schedule_next_due(metric=metric)


@transaction.atomic
def metric_create(*, product: Product, data: dict[str, Any]) -> SuccessMetric:
    metric = model_create(SuccessMetric, product=product, **_pick(data, METRIC_FIELDS))
    metric_schedule_next_due(metric=metric)
    return metric


@transaction.atomic
def metric_update(*, metric: SuccessMetric, data: dict[str, Any]) -> list[str]:
    changed = model_update(instance=metric, fields=METRIC_FIELDS, data=data)
    if "cadence_days" in changed:
        metric_schedule_next_due(metric=metric)
    return changed


@transaction.atomic
def measurement_record(
    *,
    metric: SuccessMetric,
    value: float,
    measured_at: datetime,
    actor: User | None,
    source: str = MeasurementSource.UI,
    note: str = "",
    segment: str = "",
    arm: str = "",
) -> Measurement:
    """Record a value, of the whole metric or of one declared `segment` (a name,
    e.g. "merchant_size=small"), or of one `arm` of the experiment running on the
    metric at `measured_at`; the metric's next follow-up moves to a cadence
    after the newest measurement."""
    measurement = model_create(
        Measurement,
        metric=metric,
        segment=segment_resolve(product=metric.product, name=segment),
        arm=arm_resolve(metric=metric, measured_at=measured_at, name=arm),
        value=value,
        measured_at=measured_at,
        source=source,
        note=note,
        recorded_by=actor,
    )
    metric_schedule_next_due(metric=metric)
    return measurement


@transaction.atomic
def measurement_delete(*, measurement: Measurement) -> None:
    metric = measurement.metric
    measurement.delete()
    metric_schedule_next_due(metric=metric)


# --- SLAs ---------------------------------------------------------------------------


def sla_create(*, product: Product, data: dict[str, Any]) -> ServiceLevel:
    return model_create(ServiceLevel, product=product, **_pick(data, SLA_FIELDS))


def sla_update(*, sla: ServiceLevel, data: dict[str, Any]) -> list[str]:
    return model_update(instance=sla, fields=SLA_FIELDS, data=data)


@transaction.atomic
def sla_check_record(
    *,
    sla: ServiceLevel,
    value: float,
    checked_at: datetime,
    actor: User | None,
    source: str = MeasurementSource.UI,
) -> SLACheck:
    """Record a check of the SLA's indicator, judged against today's threshold.
    Pages, the API and seeders record checks through the incidents app's
    sla_check_submit, which also opens or resolves the SLA's breach incident."""
    check = model_create(
        SLACheck,
        sla=sla,
        value=value,
        checked_at=checked_at,
        passed=sla.meets(value),
        source=source,
        recorded_by=actor,
    )
    return check


# --- Production-data survey -----------------------------------------------------------


def survey_feature_create(*, product: Product, data: dict[str, Any]) -> FeatureSource:
    return model_create(FeatureSource, product=product, **_pick(data, SURVEY_FIELDS))


def survey_feature_update(*, feature: FeatureSource, data: dict[str, Any]) -> list[str]:
    return model_update(instance=feature, fields=SURVEY_FIELDS, data=data)


def survey_feature_delete(*, feature: FeatureSource) -> None:
    feature.delete()


# --- Planning sessions ---------------------------------------------------------


@transaction.atomic
def session_create(
    *, product: Product, actor: User | None, data: dict[str, Any]
) -> PlanningSession:
    session = model_create(
        PlanningSession,
        product=product,
        created_by=actor,
        **_pick(data, SESSION_FIELDS),
    )
    if "attendees" in data:
        session.attendees.set(data["attendees"])
    return session


@transaction.atomic
def session_update(*, session: PlanningSession, data: dict[str, Any]) -> list[str]:
    changed = model_update(instance=session, fields=SESSION_FIELDS, data=data)
    if "attendees" in data:
        session.attendees.set(data["attendees"])
        changed.append("attendees")
    return changed
