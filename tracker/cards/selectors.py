"""Reads of model cards, scope and decisions. Every one starts from a product
the user may read (tracker.products.selectors), so outsiders get 404."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from tracker.accounts.models import User
from tracker.cards.models import (
    CARD_SECTIONS,
    Approval,
    ApprovalState,
    Decision,
    ModelCard,
    VersionModelCard,
)
from tracker.products.models import Product, SuccessMetric
from tracker.products.segments import SegmentValue, metrics_with_segments


@dataclass(frozen=True)
class Analysis:
    """The card's quantitative analysis of one metric: its segments' latest
    values and the worst one, read from measurements (never typed)."""

    metric: SuccessMetric
    values: list[SegmentValue]
    worst: SegmentValue | None


def model_card_for_product(*, product: Product) -> ModelCard:
    """The product's card, or an empty unsaved one (nothing written yet)."""
    card = ModelCard.objects.filter(product=product).select_related("updated_by")
    return card.first() or ModelCard(product=product)


def version_card_of(*, version) -> VersionModelCard | None:
    """A model version's own card (the version read through its selector)."""
    return (
        VersionModelCard.objects.filter(version=version)
        .select_related("updated_by")
        .first()
    )


def model_card_analyses(*, product: Product) -> list[Analysis]:
    """Per metric with segment values or a floor: two queries in all."""
    metrics = metrics_with_segments(list(product.metrics.all()))
    return [
        Analysis(m, m.segment_values, m.worst_segment)
        for m in metrics
        if m.segment_values or m.worst_case_floor is not None
    ]


def decision_list(*, product: Product) -> QuerySet[Decision]:
    """The product's decisions with their approvals (two queries), newest first."""
    return (
        product.decisions.select_related("created_by", "session")
        .prefetch_related(
            Prefetch("approvals", queryset=Approval.objects.select_related("approver"))
        )
        .annotate(
            pending_count=Count(
                "approvals", filter=Q(approvals__state=ApprovalState.PENDING)
            ),
            objected_count=Count(
                "approvals", filter=Q(approvals__state=ApprovalState.OBJECTED)
            ),
        )
        .order_by("-decided_at", "-id")
    )


def decision_get(*, product: Product, pk: int) -> Decision:
    """A decision of a product already fetched for the user (404 otherwise)."""
    return get_object_or_404(decision_list(product=product), pk=pk)


def approval_get_for_answer(*, decision: Decision, pk: int, user: User) -> Approval:
    """An approval of the decision that `user` is asked for: 404 when the decision
    has none with this id, 403 when it asks someone else."""
    approval = get_object_or_404(decision.approvals.select_related("approver"), pk=pk)
    if approval.approver_id != user.pk:
        raise PermissionDenied("Only the person asked can answer this approval.")
    return approval


def approvals_awaiting(*, user: User, decisions: list[Decision]) -> dict[int, Approval]:
    """Decision id → `user`'s own pending approval on it (from the prefetch)."""
    return {
        d.pk: a
        for d in decisions
        for a in d.approvals.all()
        if a.approver_id == user.pk and a.state == ApprovalState.PENDING
    }


def model_card_page(*, product: Product, card: ModelCard) -> dict:
    """What the card page and its PDF show: the typed sections, the product's
    owners, scope and segments, and the analyses read from the data."""
    use_cases = list(product.use_cases.all())
    return {
        "product": product,
        "card": card,
        "sections": [
            (name, label, getattr(card, name)) for name, label in CARD_SECTIONS
        ],
        "served": [u for u in use_cases if u.served],
        "not_served": [u for u in use_cases if not u.served],
        "segments": list(product.segments.all()),
        "analyses": model_card_analyses(product=product),
    }
