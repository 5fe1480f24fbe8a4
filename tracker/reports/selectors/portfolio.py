"""The portfolio report: one row per product and portfolio totals, computed with a
fixed number of queries however many products there are (a test guards it),
all read from one snapshot of the database."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.ci.selectors import ci_latest_states
from tracker.lib.periods import Period
from tracker.outcomes.selectors import value_for_products
from tracker.postmortems.selectors.policies import violation_counts
from tracker.products.models import Product
from tracker.products.segments import worst_segments_by_product
from tracker.readiness.selectors import ml_test_scores
from tracker.releases.selectors import production_current
from tracker.reports.selectors.attention import AttentionEntry, attention_rank
from tracker.reports.selectors.incidents import (
    IncidentFigures,
    action_item_closure,
    action_item_counts,
    incident_figures,
    open_severe_incidents,
    postmortems_stuck,
)
from tracker.reports.selectors.kpis import followups_overdue, kpi_rows, sla_rows
from tracker.reports.selectors.products import (
    hidden_product_count,
    portfolio_products,
    report_products,
)
from tracker.reports.selectors.rows import NO_COMPLETION, Portfolio, ProductRow

READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


@contextmanager
def one_snapshot(using: str = "default") -> Iterator[None]:
    """The block's queries read one instant of the database: on PostgreSQL, one
    REPEATABLE READ, READ ONLY transaction (its first statement sets that, so
    the snapshot is taken by the first query after it). Inside a caller's
    transaction (a test's, or an atomic block around the call) the queries just
    run in it: its isolation level is set already, and what it wrote is seen.
    SQLite runs them as they come."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(READ_ONLY_SNAPSHOT)
        yield


def portfolio_report(
    *, filters: dict, period: Period, user: Reader, now: datetime | None = None
) -> Portfolio:
    now = now or timezone.now()
    # The products first (every figure is keyed by them), then the figures, all
    # from the same snapshot: a row written meanwhile is in none or in all.
    with one_snapshot():
        rows, incidents = _rows(
            portfolio_products(filters=filters, user=user), period=period, now=now
        )
        ids = [row.product.pk for row in rows]
        closure = action_item_closure(product_ids=ids, period=period)
        hidden = hidden_product_count(filters=filters, user=user)
    return Portfolio(
        period=period,
        generated_at=now,
        rows=rows,
        incidents_by_month=incidents.by_month,
        ttr_by_month=incidents.ttr_by_month,
        closure_by_month=closure,
        attention=attention_rank(rows),
        hidden_products=hidden,
    )


def product_rows(
    products: QuerySet[Product], *, period: Period, now: datetime | None = None
) -> tuple[list[ProductRow], list[AttentionEntry]]:
    """The report's rows of `products` (in the queryset's order) with their
    attention ranking among themselves, as portfolio_report computes them: the
    page's rows of one page of its table, and the standings' refresh."""
    with one_snapshot():
        rows, _ = _rows(products, period=period, now=now or timezone.now())
    return rows, attention_rank(rows)


def _rows(
    products: QuerySet[Product], *, period: Period, now: datetime
) -> tuple[list[ProductRow], IncidentFigures]:
    today = timezone.localdate(now)
    with_readiness = report_products(products, now=now)
    rows_products = [product for product, _ in with_readiness]
    ids = [p.pk for p in rows_products]
    incidents = incident_figures(product_ids=ids, period=period)
    kpis = kpi_rows(product_ids=ids, today=today)
    slas = sla_rows(product_ids=ids, now=now)
    overdue = followups_overdue(product_ids=ids, now=now)
    stuck = postmortems_stuck(product_ids=ids, now=now)
    actions = action_item_counts(product_ids=ids, today=today)
    late = violation_counts(product_ids=ids, now=now)
    scores, ci = ml_test_scores(ids), ci_latest_states(rows_products)
    open_severe = open_severe_incidents(product_ids=ids)
    worst_segments = worst_segments_by_product(product_ids=ids)
    production = production_current(ids)
    values = value_for_products(ids, today=today)
    rows = []
    for (product, readiness), pid in zip(with_readiness, ids, strict=True):
        open_items, overdue_items = actions.get(pid, (0, 0))
        rows.append(
            ProductRow(
                product=product,
                readiness=readiness,
                ml_score=scores[pid],
                kpis=kpis.get(pid, []),
                slas=slas.get(pid, []),
                overdue_followups=overdue.get(pid, 0),
                incidents=incidents.by_product.get(pid, {}),
                median_ttd=incidents.ttd.get(pid),
                median_ttr=incidents.ttr.get(pid),
                ci=ci.get(pid),
                production=production.get(pid),
                postmortems=incidents.completion.get(pid, NO_COMPLETION),
                open_action_items=open_items,
                overdue_action_items=overdue_items,
                stuck_postmortems=stuck.get(pid, 0),
                open_incidents=open_severe.get(pid, {}),
                worst_segment=worst_segments.get(pid),
                recurrences=incidents.recurrences.get(pid, 0),
                follow_up_violations=late.get(pid, 0),
                value=values[pid],
            )
        )
    return rows, incidents
