"""The report's incident, postmortem and action-item figures, aggregated in the
database per product or per month (never a row per incident)."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.lookups import Lookup

from tracker.incidents.models import ACTIVE_STATUSES, Incident, Kind
from tracker.lib.aggregates import Median, Seconds, in_ids
from tracker.lib.periods import Period
from tracker.postmortems.models import ActionItem, ActionStatus
from tracker.postmortems.selectors.reports import (
    SEVERE,
    Completion,
    completion_aggregates,
    postmortems_stuck_in_draft,
)
from tracker.reports.selectors.rows import NO_COMPLETION, SEVERITIES, period_figures

KINDS = tuple(Kind.values)
# Products to aggregate over: their ids, or a queryset of them.
ProductSet = list[int] | QuerySet


@dataclass
class IncidentFigures:
    by_product: dict[int, dict[str, int]]
    ttd: dict[int, timedelta | None]
    ttr: dict[int, timedelta | None]
    by_month: dict[str, Counter]
    ttr_by_month: dict[str, timedelta | None]
    completion: dict[int, Completion]
    recurrences: dict[int, int]


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=round(value))


def among(field: str, products: ProductSet) -> Q | Lookup:
    """A filter: the column `field` names one of `products`, a list of ids (one
    array parameter) or a queryset of products (a subquery: the page's totals
    over every product the filters match, without reading their ids)."""
    if isinstance(products, QuerySet):
        return Q(**{f"{field}__in": products.order_by().values("pk")})
    return in_ids(field, products)


def _in_period(products: ProductSet, period: Period) -> QuerySet[Incident]:
    return Incident.objects.filter(
        among("product_id", products),
        started_at__gte=period.start,
        started_at__lt=period.end,
    ).order_by()


def _per_product(
    product_ids: list[int], period: Period
) -> Iterator[
    tuple[int, dict[str, int], timedelta | None, timedelta | None, Completion, int]
]:
    """Per product with incidents that started in the period: its incidents by
    severity, their median times to detect and resolve, the SEV1–2 ones with
    a published postmortem and the recurrences (one row per product, not per
    incident)."""
    resolved = Q(resolved_at__isnull=False)
    columns = ["product_id", "ttd", "ttr", "pm_total", "pm_covered", "recurrences"]
    rows = (
        _in_period(product_ids, period)
        .values("product_id")
        .annotate(
            ttd=Median(Seconds("detected_at", "started_at")),
            ttr=Median(Seconds("resolved_at", "started_at"), filter=resolved),
            **{sev: Count("pk", filter=Q(severity=sev)) for sev in SEVERITIES},
            **completion_aggregates(product_ids),
            recurrences=Count("pk", filter=Q(recurrence_of__isnull=False)),
        )
        .values_list(*columns, *SEVERITIES)
    )
    for pid, ttd, ttr, total, covered, recurring, *counts in rows:
        by_severity = dict(zip(SEVERITIES, counts, strict=True))
        yield (
            pid,
            by_severity,
            _seconds(ttd),
            _seconds(ttr),
            Completion(total, covered),
            recurring,
        )


def incident_figures(*, product_ids: list[int], period: Period) -> IncidentFigures:
    """Incidents that started in the period, aggregated in the database (two
    queries returning a row per product or per month, not per incident); the
    per-product one also counts the postmortem completion."""
    months = [m.strftime("%Y-%m") for m in period.months()]
    figures = IncidentFigures(
        {}, {}, {}, {m: Counter() for m in months}, dict.fromkeys(months), {}, {}
    )
    for pid, by_severity, ttd, ttr, completion, recurring in _per_product(
        product_ids, period
    ):
        figures.recurrences[pid] = recurring
        figures.by_product[pid] = {sev: n for sev, n in by_severity.items() if n}
        figures.ttd[pid], figures.ttr[pid] = ttd, ttr
        figures.completion[pid] = completion
    _months(_in_period(product_ids, period), figures)
    return figures


def period_figures_by_product(
    *, product_ids: list[int], period: Period
) -> dict[int, dict]:
    """Per product of `product_ids`, the row's figures of the period
    (rows.period_figures; none for a product with no incident in it): one
    query."""
    found = {pid: figures for pid, *figures in _per_product(product_ids, period)}
    none = ({}, None, None, NO_COMPLETION, 0)
    return {pid: period_figures(*found.get(pid, none)) for pid in product_ids}


def _months(in_period: QuerySet[Incident], figures, **more) -> list[dict]:
    """Fill the figures' incidents and median time to resolve per month; the
    month rows, with the `more` aggregates per month too."""
    by_month = list(
        in_period.annotate(month=TruncMonth("started_at"))
        .values("month")
        .annotate(
            ttr=Median(
                Seconds("resolved_at", "started_at"),
                filter=Q(resolved_at__isnull=False),
            ),
            **{kind: Count("pk", filter=Q(kind=kind)) for kind in KINDS},
            **more,
        )
    )
    for row in by_month:
        month = row["month"].strftime("%Y-%m")
        figures.by_month[month] = Counter({k: row[k] for k in KINDS if row[k]})
        figures.ttr_by_month[month] = _seconds(row["ttr"])
    return by_month


@dataclass
class PeriodTotals:
    """The period's incident figures over a whole portfolio, not per product."""

    completion: Completion
    recurrences: int
    by_month: dict[str, Counter]
    ttr_by_month: dict[str, timedelta | None]


def incident_totals(*, products: ProductSet, period: Period) -> PeriodTotals:
    """The portfolio page's incident figures of the period (SEV1–2 incidents
    with a published postmortem, recurrences, incidents and time to resolve
    per month), added up in the database: one query, whatever the number of
    products."""
    months = [m.strftime("%Y-%m") for m in period.months()]
    totals = PeriodTotals(
        NO_COMPLETION, 0, {m: Counter() for m in months}, dict.fromkeys(months)
    )
    # Every incident of the period is in one month: the period's counts are
    # the months' added up (one pass over the incidents).
    rows = _months(
        _in_period(products, period),
        totals,
        **completion_aggregates(),
        recurrences=Count("pk", filter=Q(recurrence_of__isnull=False)),
    )
    totals.completion = Completion(
        sum(row["pm_total"] for row in rows), sum(row["pm_covered"] for row in rows)
    )
    totals.recurrences = sum(row["recurrences"] for row in rows)
    return totals


def action_item_counts(
    *, product_ids: list[int], today: date
) -> dict[int, tuple[int, int]]:
    """product → (open, overdue) action items, from postmortems or sessions (an
    item has exactly one): a query per source, each through its products'
    index, not over every open item of the organisation."""
    found: dict[int, tuple[int, int]] = {}
    for path in ("postmortem__product_id", "session__product_id"):
        rows = (
            ActionItem.objects.filter(
                in_ids(path, product_ids), status=ActionStatus.OPEN
            )
            .values_list(path)
            .annotate(
                open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
            )
            .order_by()
        )
        for pid, open_, overdue in rows:
            before = found.get(pid, (0, 0))
            found[pid] = (before[0] + open_, before[1] + overdue)
    return found


def action_item_closure(
    *, product_ids: ProductSet, period: Period
) -> dict[str, float | None]:
    """Per month of the period: of the action items due that month (not
    dropped as won't do), the share done by their due date."""
    months = {m.strftime("%Y-%m"): None for m in period.months()}
    rows = (
        ActionItem.objects.annotate(
            pid=Coalesce("postmortem__product_id", "session__product_id")
        )
        .filter(
            among("pid", product_ids),
            due_date__gte=period.start.date(),
            due_date__lt=period.end.date(),
        )
        .exclude(status=ActionStatus.WONT_DO)
        .annotate(month=TruncMonth("due_date"))
        .values("month")
        .annotate(
            due=Count("pk"),
            on_time=Count(
                "pk",
                filter=Q(status=ActionStatus.DONE, closed_at__date__lte=F("due_date")),
            ),
        )
        .order_by()
    )
    for row in rows:
        months[row["month"].strftime("%Y-%m")] = row["on_time"] / row["due"]
    return months


def postmortems_stuck(*, product_ids: list[int], now: datetime) -> Counter:
    """Per product, its postmortems stuck in draft past their review date."""
    return Counter(
        postmortems_stuck_in_draft(now=now)
        .filter(in_ids("product_id", product_ids))
        .values_list("product_id", flat=True)
    )


def open_severe_incidents(*, product_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per product, its SEV1–2 incidents still open or acknowledged, by severity,
    whenever they started (the attention list's first question): one query."""
    rows = (
        Incident.objects.filter(
            in_ids("product_id", product_ids),
            status__in=ACTIVE_STATUSES,
            severity__in=SEVERE,
        )
        .values_list("product_id", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found: dict[int, dict[str, int]] = {}
    for pid, severity, n in rows:
        found.setdefault(pid, {})[severity] = n
    return found
