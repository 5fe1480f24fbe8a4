"""Writes for feedback, costs, value per unit and data contracts.

Feedback: each rating is written with the product's row locked, so the ratings
of one product are counted one at a time and two ratings crossing the threshold
together open one bad_predictions incident (through the incidents app's
`incident_open`, which tells the owners as it does for every incident).

Change notices: the other side's owners are told by the reminders machinery
(reminder_rules.py: a unique row per person and notice, a claim before each
mail), and the notice evidences the ML Test Score test "Dependency changes
result in notification".
"""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import ACTIVE_STATUSES, Incident, Kind, Severity, Source
from tracker.incidents.services.incidents import incident_open
from tracker.lib.services import model_create, model_update
from tracker.lib.tasks import enqueue_on_commit
from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    ContractChangeShared,
    Cost,
    Feedback,
    Rating,
    Side,
    SourceContract,
)
from tracker.outcomes.reminder_rules import CHANGE_RULE
from tracker.products.models import FeatureSource, Product
from tracker.products.segments import segment_resolve
from tracker.products.services import product_update
from tracker.readiness.models import Level, MLTestResult
from tracker.readiness.services import ml_test_result_set
from tracker.reminders.tasks import reminders_sweep

FEEDBACK_FIELDS = ["rating", "prediction_id", "segment", "comment"]
COST_FIELDS = ["kind", "amount", "incurred_at", "note"]
CONTRACT_FIELDS = [
    "owner_team",
    "fields_relied_on",
    "freshness_promised",
    "semantics",
    "provider",
]
CONSUMER_FIELDS = ["name", "owner", "relies_on", "consumer_product"]
CHANGE_FIELDS = ["side", "source", "consumer", "summary", "effective_at"]
# The ML Test Score test a change notice is evidence for.
DEPENDENCY_TEST = "monitoring-1"


# --- Feedback ---------------------------------------------------------------------


def feedback_fingerprint(product: Product) -> str:
    return f"feedback-{product.pk}"


@transaction.atomic
def feedback_submit(
    *,
    product: Product,
    data: dict[str, Any],
    actor: User | None,
    now: datetime | None = None,
) -> Feedback:
    """Record one rating; open the product's bad_predictions incident when the
    share of bad ratings in the window passes the product's threshold and none
    is open. A segment must be one of the product's."""
    data = {
        **data,
        "segment": segment_resolve(product=product, name=data.get("segment") or ""),
    }
    # One rating of a product at a time: the count below sees every rating
    # committed before this one, and the open incident another rating opened.
    Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").get()
    # Taken under the lock, so ratings are dated in the order they are counted.
    now = now or timezone.now()
    feedback = Feedback(
        product=product,
        submitted_by=actor,
        created_at=now,
        **{field: data[field] for field in FEEDBACK_FIELDS if field in data},
    )
    feedback.full_clean(exclude=["product", "segment", "submitted_by", "incident"])
    feedback.save()
    _feedback_alarm(product, feedback, now)
    return feedback


def feedback_window_start(product: Product, now: datetime) -> datetime:
    """The window's start: `feedback_window_hours` back, but never before the
    last feedback incident was resolved (the ratings it was about were dealt
    with; resolving it must not reopen it with the same ratings)."""
    since = now - timedelta(hours=product.feedback_window_hours)
    resolved = (
        Incident.objects.filter(
            product=product,
            fingerprint=feedback_fingerprint(product),
            resolved_at__isnull=False,
        )
        .order_by("-resolved_at")
        .values_list("resolved_at", flat=True)
        .first()
    )
    return max(since, resolved) if resolved else since


def feedback_window(product: Product, now: datetime) -> dict[str, int]:
    """Ratings and bad ratings of `product` in its window up to `now`."""
    return Feedback.objects.filter(
        product=product,
        created_at__gt=feedback_window_start(product, now),
        created_at__lte=now,
    ).aggregate(total=Count("pk"), bad=Count("pk", filter=Q(rating=Rating.BAD)))


def feedback_over_threshold(product: Product, counts: dict[str, int]) -> bool:
    total, bad = counts["total"], counts["bad"]
    return (
        total >= product.feedback_min_ratings
        and bad * 100 > product.feedback_bad_percent * total
    )


def _feedback_alarm(product: Product, feedback: Feedback, now: datetime) -> None:
    active = Incident.objects.filter(
        product=product,
        fingerprint=feedback_fingerprint(product),
        status__in=ACTIVE_STATUSES,
    ).first()
    if active is not None:
        if feedback.rating == Rating.BAD:  # part of what the incident is about
            Feedback.objects.filter(pk=feedback.pk).update(incident=active)
            feedback.incident = active
        return
    counts = feedback_window(product, now)
    if not feedback_over_threshold(product, counts):
        return
    hours = product.feedback_window_hours
    incident = incident_open(
        actor=None,
        source=Source.FEEDBACK,
        now=now,
        data={
            "product": product,
            "kind": Kind.BAD_PREDICTIONS,
            "severity": Severity.SEV2,
            "fingerprint": feedback_fingerprint(product),
            "title": f"Bad feedback: {counts['bad']} of {counts['total']} ratings "
            f"in {hours} h",
            "description": f"More than {product.feedback_bad_percent}% of the "
            f"ratings of the last {hours} hours are bad (at least "
            f"{product.feedback_min_ratings} ratings). The bad ones are linked to "
            "this incident; resolve it by hand once the cause is fixed.",
            "labels": {"source": "feedback"},
            "started_at": now - timedelta(hours=hours),
        },
    )
    since = feedback_window_start(product, now)
    Feedback.objects.filter(
        product=product, rating=Rating.BAD, created_at__gt=since, created_at__lte=now
    ).update(incident=incident)
    feedback.incident = incident if feedback.rating == Rating.BAD else None


def feedback_threshold_set(
    *, product: Product, data: dict[str, Any], actor: User | None
) -> list[str]:
    """Set the product's threshold (the products' own update: the same fields
    `PATCH /api/v1/products/{slug}/` takes)."""
    fields = ["feedback_bad_percent", "feedback_min_ratings", "feedback_window_hours"]
    return product_update(
        product=product, actor=actor, data={f: data[f] for f in fields if f in data}
    )


# --- Costs -----------------------------------------------------------------------


def cost_record(*, product: Product, data: dict[str, Any], actor: User | None) -> Cost:
    values = {field: data[field] for field in COST_FIELDS if field in data}
    return model_create(Cost, product=product, recorded_by=actor, **values)


def cost_delete(*, cost: Cost) -> None:
    cost.delete()


# --- Data contracts ------------------------------------------------------------------


def contract_set(
    *, source: FeatureSource, data: dict[str, Any], actor: User | None
) -> SourceContract:
    """Create or change the contract of one survey source."""
    contract = SourceContract.objects.filter(source=source).first()
    if contract is None:
        values = {field: data[field] for field in CONTRACT_FIELDS if field in data}
        return model_create(
            SourceContract, source=source, product_id=source.product_id, **values
        )
    model_update(instance=contract, fields=CONTRACT_FIELDS, data=data)
    return contract


def consumer_add(
    *, product: Product, data: dict[str, Any], actor: User | None
) -> Consumer:
    values = {field: data[field] for field in CONSUMER_FIELDS if field in data}
    if Consumer.objects.filter(product=product, name=values.get("name")).exists():
        raise ValidationError({"name": "This product has a consumer of that name."})
    return model_create(Consumer, product=product, **values)


def consumer_delete(*, consumer: Consumer) -> None:
    consumer.delete()


@transaction.atomic
def contract_change_post(
    *,
    product: Product,
    data: dict[str, Any],
    actor: User | None,
    now: datetime | None = None,
) -> ContractChange:
    """Record a change notice, share it with the product on the other side
    (if tracked), queue the notification and evidence the ML Test Score test."""
    now = now or timezone.now()
    values = {field: data[field] for field in CHANGE_FIELDS if field in data}
    side = values.get("side")
    source, consumer = values.get("source"), values.get("consumer")
    if side == Side.UPSTREAM and source is None:
        raise ValidationError({"source": "Name the survey source that changes."})
    if side == Side.DOWNSTREAM and consumer is None:
        raise ValidationError({"consumer": "Name the consumer the change reaches."})
    if side == Side.UPSTREAM and consumer is not None:
        raise ValidationError({"consumer": "An upstream change names a source."})
    if side == Side.DOWNSTREAM and source is not None:
        raise ValidationError({"source": "A downstream change names a consumer."})
    for name, obj in (("source", source), ("consumer", consumer)):
        if obj is not None and obj.product_id != product.pk:
            raise ValidationError({name: f"Not a {name} of this product."})
    change = model_create(
        ContractChange, product=product, posted_by=actor, created_at=now, **values
    )
    other = _other_product_id(change)
    if other is not None and other != product.pk:
        model_create(
            ContractChangeShared,
            product_id=other,
            change=change,
            summary=f"{product.name}: {change.summary}"[:200],
        )
    enqueue_on_commit(reminders_sweep, rules=[CHANGE_RULE])
    _evidence_dependency_test(product, change, actor)
    return change


def _other_product_id(change: ContractChange) -> int | None:
    if change.side == Side.DOWNSTREAM:
        return change.consumer.consumer_product_id
    contract = SourceContract.objects.filter(source=change.source_id).first()
    return contract.provider_id if contract else None


def _evidence_dependency_test(
    product: Product, change: ContractChange, actor: User | None
) -> None:
    """A notice sent through the tracker is evidence that dependency changes
    notify: the test moves from not done to manual (never down, and a level
    someone set is kept)."""
    current = MLTestResult.objects.filter(product=product, code=DEPENDENCY_TEST).first()
    if current is not None and current.level != Level.NOT_DONE:
        return
    ml_test_result_set(
        product=product,
        code=DEPENDENCY_TEST,
        actor=actor,
        data={
            "level": Level.MANUAL,
            "evidence": f"Change notice of {change.created_at:%Y-%m-%d} "
            f"({change.get_side_display().split(' (')[0].lower()}): "
            f"{change.summary[:200]} — the other side's owners were notified "
            "by the tracker.",
        },
    )
