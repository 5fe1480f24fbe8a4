"""Reads for reminders: a person's notifications and preferences, and KPI
reviews."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from tracker.accounts.models import User
from tracker.products.models import Product, SuccessMetric
from tracker.products.selectors import metric_list_with_latest, readable
from tracker.reminders.models import (
    DEFAULT_KPI_REVIEW_WEEKS,
    Channel,
    KPIReview,
    KPIReviewPlan,
    NotificationPreferences,
    Reminder,
)

# --- Notifications (the in-app reminders) --------------------------------------------


def _readable(user: User) -> Q:
    """Notifications about products the person may still read (a team may have
    gone private since they were recorded)."""
    return readable(user, "product", unassigned=True)


def notification_list(*, user: User) -> QuerySet[Reminder]:
    """The person's own notifications, newest first; nobody else's."""
    return Reminder.objects.filter(
        _readable(user), recipient=user, channel=Channel.IN_APP, sent_at__isnull=False
    ).order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, pk: int) -> Reminder:
    """One of the person's notifications; 404 for anyone else's."""
    notification = notification_list(user=user).filter(pk=pk).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def notification_unread_count(*, user: User) -> int:
    """For the bell in the top bar: one COUNT on the unread partial index."""
    return Reminder.objects.filter(
        _readable(user), recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).count()


# --- Preferences --------------------------------------------------------------------


def preferences_for_user(*, user: User) -> NotificationPreferences:
    """Saved preferences, or unsaved defaults for someone who never chose."""
    prefs = NotificationPreferences.objects.filter(user=user).first()
    return prefs or NotificationPreferences(user=user)


def preferences_by_user(user_ids: Iterable[int]) -> dict[int, NotificationPreferences]:
    """Preferences of many people in one query (defaults where none are saved)."""
    ids = set(user_ids)
    found = {
        prefs.user_id: prefs
        for prefs in NotificationPreferences.objects.filter(user_id__in=ids)
    }
    return {uid: found.get(uid) or NotificationPreferences(user_id=uid) for uid in ids}


# --- Post-launch KPI reviews --------------------------------------------------------


def kpi_review_plan_weeks(*, product: Product) -> list[int]:
    plan = KPIReviewPlan.objects.filter(product=product).first()
    return list(DEFAULT_KPI_REVIEW_WEEKS) if plan is None else list(plan.weeks)


def kpi_review_list(*, product: Product) -> QuerySet[KPIReview]:
    return product.kpi_reviews.select_related("product", "completed_by").order_by(
        "weeks"
    )


def kpi_review_get(*, product: Product, pk: int) -> KPIReview:
    """A review of a product the caller may read (checked by the product
    selector); 404 when it is not this product's."""
    review = kpi_review_list(product=product).filter(pk=pk).first()
    if review is None:
        raise Http404("No such KPI review.")
    review.product = product
    return review


@dataclass(frozen=True)
class MetricComparison:
    """A metric as a KPI review sees it: baseline vs. what happened since launch."""

    metric: SuccessMetric
    before: float | None
    after: float | None
    after_count: int

    @property
    def change(self) -> float | None:
        return self.metric.change_vs_baseline(self.after)

    @property
    def progress(self) -> float | None:
        return self.metric.progress(self.after)

    @property
    def improved(self) -> bool | None:
        """Better than the baseline (True), worse (False), level or unknown."""
        baseline = self.metric.baseline
        if self.after is None or baseline is None or self.after == baseline:
            return None
        return self.metric.is_improvement(self.after, baseline)

    @property
    def target_missed(self) -> bool:
        """A business KPI measured after launch that has not reached its
        target: the review page offers a postmortem of the product's failure."""
        progress = self.progress
        return (
            self.metric.kind == "business_kpi"
            and self.after_count > 0
            and progress is not None
            and progress < 1
        )


def kpi_review_comparison(*, review: KPIReview) -> list[MetricComparison]:
    """Every metric of the product with its latest value before launch and its
    latest value after launch (two queries, whatever the number of metrics)."""
    launched = review.product.launched_at
    rows = []
    for metric in metric_list_with_latest(product=review.product):
        before = [m for m in metric.history if launched and m.measured_at < launched]
        after = [m for m in metric.history if launched and m.measured_at >= launched]
        rows.append(
            MetricComparison(
                metric=metric,
                before=before[-1].value if before else None,
                after=after[-1].value if after else None,
                after_count=len(after),
            )
        )
    return rows
