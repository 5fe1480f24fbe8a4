"""Each product's standing in the portfolio (ProductStanding): computed by the
report's own selectors (selectors.portfolio.product_rows, the attention
ranking and summary.standing_fields), a batch of products at a time, and
stored for the portfolio page and API to add up and sort in SQL.

Beat runs `tasks.standings_refresh` every few minutes (one task per batch of
BATCH products, so no task holds a worker for long); seed_demo and the scale
seed refresh at once, so a fresh install shows its figures right away. The
page says how old the figures are, and counts the products that have no
standing yet rather than showing them as zeros.
"""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from tracker.lib.periods import period_get
from tracker.products.models import Product
from tracker.reports.models import ProductStanding
from tracker.reports.selectors.portfolio import product_rows
from tracker.reports.selectors.summary import standing_fields

BATCH = 1000
_UPDATED = [
    f.name
    for f in ProductStanding._meta.concrete_fields
    if f.name != "product" and not f.primary_key
]


def standing_batches(*, size: int | None = None) -> list[list[int]]:
    """Every product's id, in batches of `size` (BATCH by default), by id."""
    size = size or BATCH
    ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def standings_refresh(
    product_ids: Iterable[int], *, now: datetime | None = None
) -> int:
    """Compute the standing of these products (as the report computes their
    rows, at `now`) and store it; how many were stored. Products deleted
    meanwhile are skipped (their standing went with them)."""
    now = now or timezone.now()
    products = Product.objects.filter(pk__in=list(product_ids)).order_by(
        "team__name", "name", "pk"
    )
    period = period_get(None, timezone.localdate(now))
    rows, ranked = product_rows(products, period=period, now=now)
    urgency = {entry.product.pk: entry.urgency for entry in ranked}
    standings = [
        ProductStanding(
            product_id=row.product.pk,
            computed_at=now,
            urgency=urgency.get(row.product.pk, 0),
            **standing_fields(row),
        )
        for row in rows
    ]
    ProductStanding.objects.bulk_create(
        standings,
        update_conflicts=True,
        unique_fields=["product"],
        update_fields=_UPDATED,
    )
    return len(standings)


def standings_refresh_all(*, now: datetime | None = None) -> int:
    """Every product's standing, a batch at a time, in this process (seed_demo,
    the scale seed, the benchmarks); beat queues a task per batch instead."""
    return sum(standings_refresh(batch, now=now) for batch in standing_batches())
