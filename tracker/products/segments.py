"""Writes and reads of a product's segments and of the worst case they show.

A product declares its segments (services below); measurements name one
(`measurement_record(segment="merchant_size=small")`); each metric's latest value
per segment and its worst segment are read here for the metric page and API,
readiness (every segment meets the floor) and the portfolio report.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from tracker.lib.aggregates import in_ids
from tracker.products.models import Direction, Measurement, Product, SuccessMetric
from tracker.products.models_segments import Segment, segment_parse


@dataclass(frozen=True)
class SegmentValue:
    """A segment's latest value of a metric, and whether it meets the floor."""

    name: str
    value: float
    measured_at: datetime
    meets_floor: bool | None


# --- Writes ------------------------------------------------------------------------


def segment_names_parse(*, names: Iterable[str], field: str = "segments") -> set:
    """The names, normalised; a ValidationError naming `field` for a bad one."""
    found = set()
    for name in names:
        try:
            found.add("=".join(segment_parse(name)))
        except ValueError as error:
            raise ValidationError({field: str(error)}) from error
    return found


@transaction.atomic
def segments_set(*, product: Product, names: Iterable[str]) -> list[Segment]:
    """Declare exactly these segments. One that measurements carry cannot go."""
    wanted = segment_names_parse(names=names)
    current = {s.name: s for s in product.segments.all()}
    dropped = [s for name, s in current.items() if name not in wanted]
    used = [s.name for s in dropped if s.measurements.exists()]
    if used:
        raise ValidationError(
            {"segments": f"Measurements carry {', '.join(used)}: keep it."}
        )
    for segment in dropped:
        segment.delete()
    for name in sorted(wanted - set(current)):
        segment = Segment(product=product, name=name)
        segment.full_clean()
        segment.save()
    return list(product.segments.all())


def segment_resolve(*, product: Product, name: str) -> Segment | None:
    """The declared segment a measurement names ("" → None), or a ValidationError
    naming the `segment` field."""
    if not name:
        return None
    (wanted,) = segment_names_parse(names=[name], field="segment")
    segment = product.segments.filter(name=wanted).first()
    if segment is not None:
        return segment
    declared = ", ".join(s.name for s in product.segments.all())
    raise ValidationError(
        {
            "segment": f"Unknown segment “{name}”; declared: {declared}."
            if declared
            else "This product declares no segments."
        }
    )


# --- Reads -------------------------------------------------------------------------


def segments_latest(*, metrics: list[SuccessMetric]) -> dict[int, list[SegmentValue]]:
    """Per metric id, each segment's latest value (one query for all metrics)."""
    by_id = {metric.pk: metric for metric in metrics}
    rows = (
        Measurement.objects.filter(metric_id__in=by_id, segment__isnull=False)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("metric_id"), F("segment_id")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .order_by("segment__name")
        .values_list("metric_id", "segment__name", "value", "measured_at")
    )
    found = defaultdict(list)
    for metric_id, name, value, at in rows:
        metric = by_id[metric_id]
        found[metric_id].append(SegmentValue(name, value, at, metric.meets(value)))
    return found


def worst_segment(
    *, metric: SuccessMetric, values: list[SegmentValue]
) -> SegmentValue | None:
    """The segment doing worst by the metric's direction (None without any)."""
    if not values:
        return None
    if metric.direction == Direction.HIGHER:
        return min(values, key=lambda v: v.value)
    return max(values, key=lambda v: v.value)


def metrics_with_segments(metrics: list[SuccessMetric]) -> list[SuccessMetric]:
    """Set `segment_values` and `worst_segment` on each metric (one query)."""
    latest = segments_latest(metrics=metrics)
    for metric in metrics:
        metric.segment_values = latest.get(metric.pk, [])
        metric.worst_segment = worst_segment(
            metric=metric, values=metric.segment_values
        )
    return metrics


@dataclass(frozen=True)
class WorstSegment:
    """A product's worst segment against its metric's worst-case floor."""

    metric: str
    segment: str
    value: float
    floor: float
    meets_floor: bool


def worst_segments_by_product(*, product_ids: list[int]) -> dict[int, WorstSegment]:
    """Per product, of the metrics with a floor, the segment whose latest value
    does worst against it (a failing one first): one query, however many."""
    rows = (
        Measurement.objects.filter(
            in_ids("metric__product_id", product_ids),
            metric__worst_case_floor__isnull=False,
            segment__isnull=False,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("metric_id"), F("segment_id")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .order_by("metric__name", "segment__name")
        .values_list(
            "metric__product_id",
            "metric__name",
            "metric__direction",
            "metric__worst_case_floor",
            "segment__name",
            "value",
        )
    )
    found: dict[int, tuple[float, WorstSegment]] = {}
    for product_id, metric, direction, floor, segment, value in rows:
        # How far past the floor (positive: failing), whichever the direction.
        shortfall = floor - value if direction == Direction.HIGHER else value - floor
        if product_id not in found or shortfall > found[product_id][0]:
            worst = WorstSegment(metric, segment, value, floor, shortfall <= 0)
            found[product_id] = (shortfall, worst)
    return {pid: worst for pid, (_, worst) in found.items()}
