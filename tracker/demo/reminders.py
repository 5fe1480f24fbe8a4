"""The demo's follow-ups as production would have them at `make run`: `leader`
gets the weekly leadership digest, Fraud score's post-launch KPI reviews are
scheduled (the 2- and 6-week ones held, the 13-week one due), and the reminder
sweep has run, so notifications and reminders are there on the first page.
Written through the services; called by tracker.demo.seed.seed_demo."""

from datetime import datetime, timedelta

from tracker.accounts.models import User
from tracker.lib.tasks import enqueue_on_commit
from tracker.products.models import Product
from tracker.reminders import tasks
from tracker.reminders.models import KPIReview
from tracker.reminders.services import notifications, reviews, sweep

# Fraud score's reviews held so far (weeks after launch → what they concluded).
KPI_REVIEWS_HELD = {
    2: "Too early for chargebacks (they settle over 30 days). Manual review rate "
    "steady at 2.1%, p99 latency within the SLA: keep the rollout at 100%.",
    6: "Chargeback losses 350 → 330 k€ a month against a 410 baseline: on course "
    "for the 287 target. Precision at 1% review up to 0.55. Review again at 13 weeks.",
}


def seed_preferences() -> None:
    leader = User.objects.get(username="leader")
    notifications.preferences_update(user=leader, data={"leadership_digest": True})


def seed_kpi_reviews(*, now: datetime) -> None:
    product = Product.objects.get(slug="fraud-score")
    reviews.kpi_reviews_schedule(now=now, product_ids=[product.pk])
    for review in KPIReview.objects.filter(product=product, weeks__in=KPI_REVIEWS_HELD):
        reviews.kpi_review_complete(
            review=review,
            actor=product.pm_owner,
            conclusion=KPI_REVIEWS_HELD[review.weeks],
            at=review.due_at + timedelta(days=2),
        )


def seed_sweep(*, now: datetime) -> dict[str, int]:
    """What beat's first sweep would record (in-app notifications at once), and
    the mail it sends, once the demo is committed."""
    recorded = sweep.reminders_record_due(now=now)
    enqueue_on_commit(tasks.reminders_dispatch)
    return recorded
