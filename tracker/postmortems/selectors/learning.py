"""What the weekly leadership digest teaches: postmortems published in the
last week with their one-line lesson, the quarter's most frequent
contributing factors, and the week's recurrences, of the products the reader
may read. Four queries, whatever the data."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from tracker.accounts.selectors import Reader
from tracker.incidents.models import Incident
from tracker.postmortems.models import (
    ContributingFactor,
    FactorCategory,
    MLKind,
    Postmortem,
    Status,
)
from tracker.products.selectors import readable

TOP_FACTORS = 5


@dataclass(frozen=True)
class Learning:
    published: list[Postmortem]  # each with `lesson`
    top_factors: list[tuple[str, int]]  # ("Data · upstream data change", 4)
    recurrences: list[Incident]  # with recurrence_of
    quarter_start: datetime

    @property
    def is_empty(self) -> bool:
        return not (self.published or self.top_factors or self.recurrences)


def quarter_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    month = 3 * ((local.month - 1) // 3) + 1
    return local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _factor_label(category: str, ml_kind: str) -> str:
    label = FactorCategory(category).label
    return f"{label} · {MLKind(ml_kind).label.lower()}" if ml_kind else label


def learning_for(*, user: Reader, now: datetime | None = None) -> Learning:
    now = now or timezone.now()
    week_ago, quarter = now - timedelta(days=7), quarter_start(now)
    published = list(
        Postmortem.objects.filter(
            readable(user, "product"),
            status=Status.PUBLISHED,
            published_at__gte=week_ago,
            published_at__lte=now,
        )
        .select_related("product")
        .only("pk", "title", "lessons", "published_at", "product__name")
        .order_by("-published_at")
    )
    factors = (
        ContributingFactor.objects.filter(
            readable(user, "postmortem__product"),
            postmortem__status=Status.PUBLISHED,
            postmortem__published_at__gte=quarter,
        )
        .values("category", "ml_kind")
        .annotate(n=Count("pk"))
        .order_by("-n", "category", "ml_kind")[:TOP_FACTORS]
    )
    recurrences = list(
        Incident.objects.filter(
            readable(user, "product"),
            recurrence_of__isnull=False,
            detected_at__gte=week_ago,
            detected_at__lte=now,
        )
        .select_related("product")
        .order_by("-detected_at")
    )
    return Learning(
        published,
        [(_factor_label(f["category"], f["ml_kind"]), f["n"]) for f in factors],
        recurrences,
        quarter,
    )
