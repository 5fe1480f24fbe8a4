"""The reminder rules of model cards and decisions: a card not reviewed for the
review period (90 days by default, REMINDERS_REVIEW_PERIOD_DAYS), a card not
reviewed since a new model version of its product was registered, and a
decision's approver who has not answered yet.

A plug-in of the reminders app (discovered like admin.py), so it may import the
registry it plugs into. Each finder returns one page in one query; see
tracker/reminders/registry.py for the contract.
"""

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from tracker.cards.models import Approval, ApprovalState, ModelCard
from tracker.products.models import Stage
from tracker.releases.models import ModelVersion
from tracker.reminders.registry import OCCURRENCE, SUBJECT_ID, Due, not_reminded, rule
from tracker.reminders.services.reviews import review_period


def model_card_review_current() -> Q:
    """Due until the card is saved again (a save is a review) or retired."""
    card = ModelCard.objects.filter(pk=SUBJECT_ID).exclude(product__stage=Stage.RETIRED)
    reviewed_since = card.alias(until=F("reviewed_at") + review_period()).filter(
        until__gt=OCCURRENCE
    )
    return Exists(card) & ~Exists(reviewed_since)


@rule(
    name="model_card_review",
    subject_type="model_card",
    label="Model card to review",
    current=model_card_review_current,
)
def model_card_reviews_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Cards not saved for the review period: the ML owner (or PM owner)."""
    period = review_period()
    rows = (
        ModelCard.objects.filter(pk__gt=after, reviewed_at__lte=now - period)
        .exclude(product__stage=Stage.RETIRED)
        .annotate(reminded=Coalesce("product__ml_owner_id", "product__pm_owner_id"))
        .filter(reminded__isnull=False)
        .filter(
            not_reminded(
                "model_card",
                "reminded",
                after=after,
                occurrence__gt=OuterRef("reviewed_at"),
            )
        )
        .order_by("pk")
        .values_list(
            "pk",
            "reviewed_at",
            "product_id",
            "product__name",
            "product__slug",
            "reminded",
        )[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=reviewed + period,
            recipients=((reminded, False),),
            title=f"{product}: model card",
            url=reverse("cards:card", args=[slug]),
            product_id=product_id,
        )
        for pk, reviewed, product_id, product, slug, reminded in rows
    ]


def model_card_new_version_current() -> Exists:
    """Due until the card is saved after the version was registered."""
    return Exists(
        ModelVersion.objects.filter(
            pk=SUBJECT_ID, product__model_card__reviewed_at__lt=OCCURRENCE
        ).exclude(product__stage=Stage.RETIRED)
    )


@rule(
    name="model_card_new_version",
    subject_type="model_version",
    label="Model card to review: a new version",
    current=model_card_new_version_current,
)
def model_card_new_versions_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """A version registered after the card's last save (by a person, CI or the
    MLflow sync): the ML owner (or PM owner) reviews the card, once per
    version. Versions older than the card's last save are not chased."""
    rows = (
        ModelVersion.objects.filter(
            pk__gt=after,
            created_at__lte=now,
            product__model_card__reviewed_at__lt=F("created_at"),
        )
        .exclude(product__stage=Stage.RETIRED)
        .annotate(reminded=Coalesce("product__ml_owner_id", "product__pm_owner_id"))
        .filter(reminded__isnull=False)
        .filter(
            not_reminded(
                "model_version",
                "reminded",
                after=after,
                occurrence=OuterRef("created_at"),
            )
        )
        .order_by("pk")
        .values_list(
            "pk",
            "version",
            "created_at",
            "product_id",
            "product__name",
            "product__slug",
            "reminded",
        )[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=created,
            recipients=((reminded, False),),
            title=f"{product}: model card, for version {version}",
            url=reverse("cards:card", args=[slug]),
            product_id=product_id,
        )
        for pk, version, created, product_id, product, slug, reminded in rows
    ]


def approval_current() -> Exists:
    return Exists(
        Approval.objects.filter(pk=SUBJECT_ID, state=ApprovalState.PENDING).exclude(
            decision__product__stage=Stage.RETIRED
        )
    )


@rule(
    name="decision_approval",
    subject_type="approval",
    label="Decision awaiting your approval",
    current=approval_current,
)
def approvals_due(*, now: datetime, after: int, limit: int) -> list[Due]:
    """Each pending approval chases its approver once (the occurrence is when
    the approval was asked for)."""
    rows = (
        Approval.objects.filter(pk__gt=after, state=ApprovalState.PENDING)
        .exclude(decision__product__stage=Stage.RETIRED)
        .filter(
            not_reminded(
                "approval",
                "approver_id",
                after=after,
                occurrence=OuterRef("created_at"),
            )
        )
        .order_by("pk")
        .values_list(
            "pk",
            "created_at",
            "approver_id",
            "decision_id",
            "decision__title",
            "decision__product_id",
            "decision__product__name",
            "decision__product__slug",
        )[:limit]
    )
    return [
        Due(
            subject_id=pk,
            occurrence=asked,
            recipients=((approver, False),),
            title=f"{title} · {product}",
            url=reverse("cards:decisions", args=[slug]) + f"#d{decision}",
            product_id=product_id,
        )
        for pk, asked, approver, decision, title, product_id, product, slug in rows
    ]
