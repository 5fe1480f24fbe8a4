"""Reads for CI status: the combined state of a commit, the history, the badge."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from tracker.accounts.models import User
from tracker.ci.models import (
    CIStatus,
    CIStatusEvent,
    CombinedState,
    State,
    ci_card_url,
)
from tracker.lib.aggregates import in_ids
from tracker.products.models import Product
from tracker.products.selectors import product_readable_q

_ERRORED = {State.ERROR, State.CANCELLED}
_UNFINISHED = {State.PENDING, State.RUNNING}


def ci_combined_state(states: Iterable[str]) -> str | None:
    """GitHub's rule: failure or error if any stage failed, pending while any is
    pending or running, success when all succeeded (or were skipped).

    A cancelled stage counts as an error: the commit was not verified. None when
    nothing was reported.
    """
    states = set(states)
    if not states:
        return None
    if State.FAILURE in states:
        return CombinedState.FAILURE
    if states & _ERRORED:
        return CombinedState.ERROR
    if states & _UNFINISHED:
        return CombinedState.PENDING
    return CombinedState.SUCCESS


@dataclass(frozen=True)
class CombinedStatus:
    product: Product
    sha: str | None
    statuses: list[CIStatus] = field(default_factory=list)

    def get_absolute_url(self) -> str:
        return ci_card_url(self.product)

    @property
    def state(self) -> str | None:
        return ci_combined_state(s.state for s in self.statuses)

    @property
    def total_count(self) -> int:
        return len(self.statuses)


def ci_status_combined(*, product: Product, sha: str | None = None) -> CombinedStatus:
    """The latest state of every stage for `sha`, or for the product's latest
    commit: the one whose first report arrived last (its pipeline started last).
    One query."""
    statuses = CIStatus.objects.filter(product=product).select_related("reported_by")
    if sha is None:
        # Late reports for an old commit must not make it "latest" again.
        latest = (
            CIStatus.objects.filter(product=product)
            .values("sha")
            .annotate(first_report=Min("created_at"))
            .order_by("-first_report")
            .values("sha")[:1]
        )
        statuses = statuses.filter(sha=Subquery(latest))
    else:
        statuses = statuses.filter(sha=sha)
    rows = list(statuses.order_by("context"))
    for row in rows:
        row.product = product  # html_url without a query per row
    return CombinedStatus(
        product=product, sha=rows[0].sha if rows else sha, statuses=rows
    )


def ci_status_history(*, product: Product) -> QuerySet[CIStatusEvent]:
    """Every accepted report for the product, newest first."""
    return (
        CIStatusEvent.objects.filter(status__product=product)
        .select_related("status", "status__product", "reported_by")
        .order_by("-recorded_at", "-id")
    )


def product_get_for_badge(*, user: User, slug: str) -> Product:
    """A badge its product's owners made public is shown to anyone (their
    explicit choice, even for a private team); any other only to people who may
    read the product (404 otherwise, so product names do not leak)."""
    visible = Q(badge_public=True) | product_readable_q(user)
    product = Product.objects.filter(visible, slug=slug).first()
    if product is None:
        raise Http404("No such badge.")
    return product


def ci_latest_states(products: list[Product]) -> dict[int, CombinedStatus]:
    """The combined status of each product's latest commit, in one query
    (the portfolio report's "latest CI state" column)."""
    by_id = {product.pk: product for product in products}
    latest = (
        CIStatus.objects.filter(product=OuterRef("product"))
        .values("sha")
        .annotate(first_report=Min("created_at"))
        .order_by("-first_report")
        .values("sha")[:1]
    )
    rows = CIStatus.objects.filter(
        in_ids("product_id", by_id), sha=Subquery(latest)
    ).order_by("product_id", "context")
    grouped: dict[int, list[CIStatus]] = {}
    for row in rows:
        grouped.setdefault(row.product_id, []).append(row)
    return {
        pid: CombinedStatus(product=by_id[pid], sha=statuses[0].sha, statuses=statuses)
        for pid, statuses in grouped.items()
    }


def ci_context_results(
    product_ids: list[int], contexts: set[str]
) -> dict[tuple[int, str], tuple[int, str]]:
    """(product, context) → (commits whose stage succeeded, the latest state):
    what the ML Test Score needs to call a test automated. One query."""
    rows = (
        CIStatus.objects.filter(in_ids("product_id", product_ids), context__in=contexts)
        .order_by("updated_at", "id")
        .values_list("product_id", "context", "state")
    )
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for product_id, context, state in rows:
        successes, _ = found.get((product_id, context), (0, ""))
        found[(product_id, context)] = (successes + (state == State.SUCCESS), state)
    return found
