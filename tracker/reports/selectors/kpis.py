"""The report's business KPIs (latest value, progress, status, change since
launch), SLA compliance and overdue follow-ups, per product: a query or two
each, whatever the number of products."""

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Avg, Count, OuterRef, Subquery

from tracker.lib.aggregates import in_ids
from tracker.products.models import (
    Measurement,
    MetricKind,
    ServiceLevel,
    SuccessMetric,
    change_against,
    progress_towards,
)
from tracker.products.selectors import Compliance, SlaRef, sla_compliance_many
from tracker.reports.selectors.rows import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK, KpiRow

KPI_FIELDS = [
    "product_id",
    "name",
    "unit",
    "direction",
    "baseline",
    "baseline_at",
    "target",
    "target_date",
]


def kpi_status(metric: SuccessMetric, progress: float | None, today) -> str:
    """On track when progress keeps pace with the time elapsed towards the target
    date (or the target is met); at risk when it has at least half that pace;
    off track otherwise. Without dates: met → on track, some progress → at risk."""
    return _status(metric.baseline_at, metric.target_date, progress, today)


def _status(baseline_at, target_date, progress: float | None, today) -> str:
    if progress is None:
        return NO_DATA
    if progress >= 1:
        return ON_TRACK
    expected = None
    if baseline_at and target_date and target_date > baseline_at:
        span = (target_date - baseline_at).days
        expected = min(max((today - baseline_at).days / span, 0.0), 1.0)
    if expected is None:
        return AT_RISK if progress > 0 else OFF_TRACK
    if progress >= expected:
        return ON_TRACK
    return AT_RISK if progress > 0 and progress >= expected / 2 else OFF_TRACK


def kpi_rows(*, product_ids: list[int], today: date) -> dict[int, list[KpiRow]]:
    """Per product, its business KPIs by name."""
    # The whole metric's values: a segment's are read by segment_worst_rows, an
    # experiment arm's by the experiment.
    newest = Measurement.objects.filter(
        metric=OuterRef("pk"), segment__isnull=True, arm__isnull=True
    ).order_by("-measured_at", "-id")
    after_launch = (
        Measurement.objects.filter(
            metric=OuterRef("pk"),
            segment__isnull=True,
            arm__isnull=True,
            measured_at__gte=OuterRef("product__launched_at"),
        )
        .order_by()
        .values("metric")
        .annotate(mean=Avg("value"))
        .values("mean")
    )
    rows = (
        SuccessMetric.objects.filter(
            in_ids("product_id", product_ids), kind=MetricKind.BUSINESS_KPI
        )
        .annotate(
            latest_value=Subquery(newest.values("value")[:1]),
            after_launch_mean=Subquery(after_launch),
        )
        .order_by("product_id", "name")
        .values_list(*KPI_FIELDS, "latest_value", "after_launch_mean")
    )
    found = defaultdict(list)
    for pid, name, unit, direction, base, base_at, target, due, latest, mean in rows:
        progress = progress_towards(base, target, latest)
        found[pid].append(
            KpiRow(
                name,
                unit,
                direction,
                base,
                target,
                latest,
                progress,
                _status(base_at, due, progress, today),
                change_against(base, mean),
            )
        )
    return found


def sla_rows(
    *, product_ids: list[int], now: datetime
) -> dict[int, list[tuple[str, Compliance]]]:
    """Per product, its SLAs by name with their compliance."""
    slas = [
        SlaRef(*row)
        for row in ServiceLevel.objects.filter(in_ids("product_id", product_ids))
        .order_by("name")
        .values_list("pk", "product_id", "name", "window_days", "objective")
    ]
    compliance = sla_compliance_many(slas, now=now)
    found = defaultdict(list)
    for sla in slas:
        found[sla.product_id].append((sla.name, compliance[sla.pk]))
    return found


def followups_overdue(*, product_ids: list[int], now: datetime) -> dict[int, int]:
    """Per product, its metrics whose follow-up measurement is overdue."""
    return dict(
        SuccessMetric.objects.filter(
            in_ids("product_id", product_ids), next_due_at__lt=now
        )
        .values("product_id")
        .annotate(n=Count("pk"))
        .values_list("product_id", "n")
        .order_by()
    )
