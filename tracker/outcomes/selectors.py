"""Reads for feedback, cost and value, and data contracts.

Value to date (docs/value.md): for every business KPI carrying a value per unit
and a baseline, each measurement of the whole product (no segment) taken after
launch is worth (measurement − baseline) in the KPI's good direction × the value
per unit; a measurement worse than the baseline counts against. The payback date
is the first day on which the cumulative value reaches the cumulative cost (with
some value earned), or None.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.utils import timezone

from tracker.lib.aggregates import in_ids
from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    Cost,
    Feedback,
    Rating,
    SourceContract,
)
from tracker.products.models import Direction, Measurement, MetricKind, Product

CENT = Decimal("0.01")
WEEKS_SHOWN = 12


def currency() -> str:
    return settings.TRACKER_CURRENCY


# --- Feedback ---------------------------------------------------------------------


def feedback_list(*, product: Product) -> QuerySet[Feedback]:
    return Feedback.objects.filter(product=product).select_related(
        "segment", "submitted_by", "incident"
    )


def feedback_weekly(
    *, product: Product, weeks: int = WEEKS_SHOWN, now: datetime | None = None
) -> list[dict]:
    """Good and bad ratings per week (Monday), the last `weeks` weeks, oldest first,
    weeks without feedback included: one query."""
    now = now or timezone.now()
    start = (now - timedelta(weeks=weeks - 1)).date()
    start -= timedelta(days=start.weekday())
    rows = (
        Feedback.objects.filter(product=product, created_at__date__gte=start)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            good=Count("pk", filter=Q(rating=Rating.GOOD)),
            bad=Count("pk", filter=Q(rating=Rating.BAD)),
        )
    )
    by_week = {row["week"].date(): row for row in rows}
    shown = []
    for index in range(weeks):
        week = start + timedelta(weeks=index)
        row = by_week.get(week, {})
        good, bad = row.get("good", 0), row.get("bad", 0)
        shown.append({"week": week, "good": good, "bad": bad, "total": good + bad})
    return shown


# --- Cost and value ----------------------------------------------------------------


@dataclass
class Value:
    """A product's cost and value to date, in `currency`."""

    cost: Decimal = Decimal("0.00")
    value: Decimal = Decimal("0.00")
    payback_date: date | None = None
    currency: str = ""
    valued_metrics: int = 0
    costs_by_kind: dict[str, Decimal] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.value - self.cost


def cost_list(*, product: Product) -> QuerySet[Cost]:
    return Cost.objects.filter(product=product).select_related("recorded_by")


def value_for_products(
    product_ids: list[int], *, today: date | None = None
) -> dict[int, Value]:
    """Cost, value and payback date of each product: two queries whatever their
    number."""
    today = today or timezone.localdate()
    values = {pid: Value(currency=currency()) for pid in product_ids}
    if not product_ids:
        return values
    events: dict[int, dict[date, list[Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])
    )
    costs = (
        Cost.objects.filter(in_ids("product_id", product_ids), incurred_at__lte=today)
        .values("product_id", "incurred_at", "kind")
        .annotate(total=Sum("amount"))
    )
    for row in costs:
        result = values[row["product_id"]]
        result.cost += row["total"]
        kinds = result.costs_by_kind
        kinds[row["kind"]] = kinds.get(row["kind"], Decimal(0)) + row["total"]
        events[row["product_id"]][row["incurred_at"]][0] += row["total"]
    measurements = (
        Measurement.objects.filter(
            in_ids("metric__product_id", product_ids),
            metric__kind=MetricKind.BUSINESS_KPI,
            metric__value_per_unit__isnull=False,
            metric__baseline__isnull=False,
            metric__product__launched_at__isnull=False,
            measured_at__gte=F("metric__product__launched_at"),
            measured_at__date__lte=today,
            segment__isnull=True,
        )
        .values(
            "metric_id",
            "value",
            "measured_at",
            product_id=F("metric__product_id"),
            baseline=F("metric__baseline"),
            direction=F("metric__direction"),
            per_unit=F("metric__value_per_unit"),
        )
        .order_by()
    )
    valued: dict[int, set[int]] = defaultdict(set)
    for row in measurements:
        change = row["value"] - row["baseline"]
        if row["direction"] == Direction.LOWER:
            change = -change
        worth = (Decimal(repr(change)) * row["per_unit"]).quantize(CENT)
        day = timezone.localdate(row["measured_at"])
        values[row["product_id"]].value += worth
        events[row["product_id"]][day][1] += worth
        valued[row["product_id"]].add(row["metric_id"])
    for pid, by_day in events.items():
        values[pid].valued_metrics = len(valued[pid])
        values[pid].payback_date = _payback(by_day)
    for result in values.values():
        result.cost = result.cost.quantize(CENT)
        result.value = result.value.quantize(CENT)
    return values


def _payback(by_day: dict[date, list[Decimal]]) -> date | None:
    spent = earned = Decimal(0)
    for day in sorted(by_day):
        cost, value = by_day[day]
        spent, earned = spent + cost, earned + value
        if earned > 0 and earned >= spent:
            return day
    return None


def value_for_product(product: Product, *, today: date | None = None) -> Value:
    return value_for_products([product.pk], today=today)[product.pk]


def value_by_team(rows: list[tuple[str, str, Value]]) -> list[dict]:
    """(team name, product name, value) triples → per team, by name: cost, value,
    net, products, and the products paid back with their payback dates."""
    teams: dict[str, dict] = {}
    for team, product, value in rows:
        entry = teams.setdefault(
            team,
            {
                "team": team,
                "cost": Decimal("0.00"),
                "value": Decimal("0.00"),
                "products": 0,
                "paid_back": 0,
                "paybacks": [],
            },
        )
        entry["cost"] += value.cost
        entry["value"] += value.value
        entry["products"] += 1
        if value.payback_date is not None:
            entry["paid_back"] += 1
            entry["paybacks"].append((product, value.payback_date))
    for entry in teams.values():
        entry["net"] = entry["value"] - entry["cost"]
    return sorted(teams.values(), key=lambda entry: entry["team"])


# --- Data contracts ----------------------------------------------------------------


def contracts_of(*, product: Product) -> list:
    """The product's survey sources, each with its contract (or None)."""
    return list(
        product.survey.select_related(
            "contract", "contract__owner_team", "contract__provider"
        ).order_by("feature")
    )


def consumer_list(*, product: Product) -> QuerySet[Consumer]:
    return Consumer.objects.filter(product=product).select_related(
        "owner", "consumer_product"
    )


def consumer_of_product(*, product: Product, pk: int) -> Consumer:
    consumer = Consumer.objects.filter(product=product, pk=pk).first()
    if consumer is None:
        raise Http404("No such consumer.")
    return consumer


def contract_change_list(*, product: Product) -> QuerySet[ContractChange]:
    """Notices the product posted and those shared with it (it is the consumer's
    product or the source's provider), newest first."""
    return (
        ContractChange.objects.filter(Q(product=product) | Q(shared__product=product))
        .distinct()
        .select_related("product", "source", "consumer", "posted_by")
    )


def contract_of_source(*, product: Product, pk: int) -> SourceContract | None:
    return SourceContract.objects.filter(product=product, source_id=pk).first()
