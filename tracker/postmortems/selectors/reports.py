"""Set-based reads for reminders and reports: drafts stuck past their
review deadline, and the share of SEV1–2 incidents with a published
postmortem."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from tracker.incidents.models import Incident, Severity
from tracker.lib.aggregates import in_ids
from tracker.postmortems.models import (
    Postmortem,
    Status,
)
from tracker.postmortems.selectors.deadlines import (
    _resolved_cutoff,
    review_business_days,
)

# Severities whose incidents need a postmortem (reports' completion rate and
# the stuck-in-draft sweep).
SEVERE = [Severity.SEV1, Severity.SEV2]


def postmortems_stuck_in_draft(*, now: datetime) -> QuerySet[Postmortem]:
    """Drafts past their review deadline, for SEV1–2 incidents: one query.

    The deadline is the postmortem's `review_deadline` when set, else
    POSTMORTEM_REVIEW_BUSINESS_DAYS (default 5) business days after the last
    covered incident was resolved; a draft whose incidents are not all resolved
    has no deadline yet. Rows carry `latest_resolved_at`.
    """
    covered = Incident.objects.filter(postmortems=OuterRef("pk"))
    latest = (
        covered.order_by()
        .values("postmortems")
        .annotate(latest=Max("resolved_at"))
        .values("latest")
    )
    cutoff = _resolved_cutoff(now, review_business_days())
    explicit = Q(review_deadline__isnull=False) & Q(
        review_deadline__lt=timezone.localdate(now)
    )
    default = (
        Q(review_deadline__isnull=True)
        & Q(latest_resolved_at__lt=cutoff)
        & ~Exists(covered.filter(resolved_at__isnull=True))
    )
    return (
        Postmortem.objects.filter(status=Status.DRAFT)
        .filter(Exists(covered.filter(severity__in=SEVERE)))
        .annotate(latest_resolved_at=Subquery(latest))
        .filter(explicit | default)
        .select_related("product", "review_owner")
        .order_by("latest_resolved_at", "id")
    )


@dataclass(frozen=True)
class Completion:
    """SEV1–2 incidents of a product in a period, and how many of them a
    published postmortem covers."""

    total: int
    covered: int

    @property
    def ratio(self) -> float | None:
        return self.covered / self.total if self.total else None


def completion_aggregates(product_ids: list[int] | None = None) -> dict[str, Count]:
    """The counts behind Completion, for a query over incidents already limited
    to some products and a period, grouped by product: `pm_total` SEV1–2
    incidents, `pm_covered` of them with a published postmortem. The portfolio
    report adds them to its own per-product incident figures (one pass over the
    incidents instead of two); postmortem_completion uses them alone.

    With `product_ids` (the query's products, as a list), the published
    postmortems' incidents are looked up among those products' only, not the
    whole organisation's. An IN (subquery) rather than a correlated EXISTS:
    PostgreSQL hashes it once either way, but prices the EXISTS per row, which
    tipped the report's query over the JIT threshold (60 ms of compiling for
    nothing)."""
    published = Postmortem.incidents.through.objects.filter(
        postmortem__status=Status.PUBLISHED
    )
    if product_ids is not None:
        published = published.filter(in_ids("incident__product_id", product_ids))
    severe = Q(severity__in=SEVERE)
    return {
        "pm_total": Count("pk", filter=severe),
        "pm_covered": Count(
            "pk", filter=severe & Q(pk__in=published.values("incident_id"))
        ),
    }


def postmortem_completion(
    product_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, Completion]:
    """Per product: the share of its SEV1–2 incidents that started in
    [start, end) with a published postmortem. Every requested product is in the
    result (total 0 when it had none). One query whatever the number of
    products."""
    ids = list(product_ids)
    rows = (
        Incident.objects.filter(
            in_ids("product_id", ids),
            severity__in=SEVERE,
            started_at__gte=start,
            started_at__lt=end,
        )
        .values("product_id")
        .annotate(**completion_aggregates(ids))
        .order_by()
    )
    result = {pk: Completion(0, 0) for pk in ids}
    for row in rows:
        result[row["product_id"]] = Completion(row["pm_total"], row["pm_covered"])
    return result
