"""The follow-ups people complete: post-launch KPI reviews (scheduled from each
product's plan, completed with a conclusion) and confirmations that a data
survey or an SLA is still right."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.products.models import Product, ServiceLevel, Stage
from tracker.reminders.models import (
    DEFAULT_KPI_REVIEW_WEEKS,
    MAX_REVIEW_WEEKS,
    KPIReview,
    KPIReviewPlan,
    ReviewConfirmation,
)
from tracker.reminders.services.outbox import batch_size


def review_period() -> timedelta:
    """How long a data survey or an SLA stays reviewed (the survey and SLA
    review rules, tracker/products/reminder_rules.py)."""
    return timedelta(days=settings.REMINDERS_REVIEW_PERIOD_DAYS)


def kpi_reviews_schedule(
    *, now: datetime | None = None, product_ids: list[int] | None = None
) -> None:
    """Make every launched product's open reviews match its plan: one review per
    planned week, due that many weeks after launch. Runs before each sweep (so a
    product that entered production gets its reviews at the next sweep) and
    when a plan changes. Completed reviews are never touched."""
    now = now or timezone.now()
    products = Product.objects.filter(launched_at__isnull=False).exclude(
        stage=Stage.RETIRED
    )
    if product_ids is not None:
        products = products.filter(pk__in=product_ids)
    size, after = batch_size(), 0
    while page := list(
        products.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "launched_at", "kpi_review_plan__weeks")[:size]
    ):
        _schedule_page(page, now)
        after = page[-1][0]


def _schedule_page(page: list[tuple], now: datetime) -> None:
    existing: dict[int, dict[int, KPIReview]] = {}
    for review in KPIReview.objects.filter(product_id__in=[p[0] for p in page]):
        existing.setdefault(review.product_id, {})[review.weeks] = review
    create, move, drop = [], [], []
    for product_id, launched_at, planned in page:
        weeks = DEFAULT_KPI_REVIEW_WEEKS if planned is None else planned
        wanted = {w: launched_at + timedelta(weeks=w) for w in weeks}
        have = existing.get(product_id, {})
        for week, due_at in wanted.items():
            review = have.get(week)
            if review is None:
                create.append(
                    KPIReview(
                        product_id=product_id, weeks=week, due_at=due_at, created_at=now
                    )
                )
            elif not review.is_done and review.due_at != due_at:
                review.due_at = due_at
                move.append(review)
        drop += [r.pk for w, r in have.items() if w not in wanted and not r.is_done]
    KPIReview.objects.bulk_create(create, ignore_conflicts=True)
    KPIReview.objects.bulk_update(move, ["due_at"])
    if drop:
        KPIReview.objects.filter(pk__in=drop, completed_at__isnull=True).delete()


def parse_review_weeks(text: str) -> list[int]:
    """ "2, 6, 13" → [2, 6, 13]; raises ValidationError naming the bad part."""
    weeks = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REVIEW_WEEKS:
            raise ValidationError(
                f"“{part}” is not a number of weeks between 1 and {MAX_REVIEW_WEEKS}."
            )
        weeks.add(int(part))
    return sorted(weeks)


@transaction.atomic
def kpi_review_plan_update(
    *, product: Product, weeks: list[int], actor: User | None
) -> KPIReviewPlan:
    """Set when the product's KPIs are reviewed after launch; open reviews follow
    at once, completed ones stay as they are."""
    if any(not 1 <= w <= MAX_REVIEW_WEEKS for w in weeks):
        raise ValidationError(f"Weeks must be between 1 and {MAX_REVIEW_WEEKS}.")
    plan, _ = KPIReviewPlan.objects.update_or_create(
        product=product, defaults={"weeks": sorted(set(weeks)), "updated_by": actor}
    )
    kpi_reviews_schedule(product_ids=[product.pk])
    return plan


def kpi_review_complete(
    *,
    review: KPIReview,
    actor: User | None,
    conclusion: str,
    at: datetime | None = None,
) -> KPIReview:
    """Record the review's conclusion (held now, or `at`: the demo's history);
    reminders for it stop at the next sweep (and unsent mail for it is not sent)."""
    if review.is_done:
        raise ValidationError("This review is already completed.")
    review.conclusion = conclusion.strip()
    if not review.conclusion:
        raise ValidationError({"conclusion": "Write down what the review concluded."})
    review.completed_at = at or timezone.now()
    review.completed_by = actor
    review.full_clean()
    review.save(update_fields=["conclusion", "completed_at", "completed_by"])
    return review


# --- Survey and SLA reviews ---------------------------------------------------------


def review_confirm(
    *, product: Product, actor: User | None, sla: ServiceLevel | None = None
) -> ReviewConfirmation:
    """Someone checked the product's data survey (or one SLA) and it is still
    right: its review clock restarts now."""
    if sla is not None and sla.product_id != product.pk:
        raise ValidationError("That SLA belongs to another product.")
    return ReviewConfirmation.objects.create(
        product=product, sla=sla, reviewed_at=timezone.now(), reviewed_by=actor
    )
