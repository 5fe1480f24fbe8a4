"""Writes of model cards, scope and decisions. Views, API views and the demo
call these; nothing else changes these models."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.cards.models import (
    CARD_FIELDS,
    VERSION_CARD_FIELDS,
    Approval,
    ApprovalState,
    Decision,
    ModelCard,
    UseCase,
    VersionModelCard,
)
from tracker.lib.services import model_create, model_update
from tracker.products.models import Product
from tracker.products.segments import segments_set
from tracker.releases.models import ModelVersion

DECISION_FIELDS = ["title", "decision", "alternatives", "reason", "session"]


@transaction.atomic
def model_card_save(
    *, product: Product, data: dict[str, Any], actor: User | None
) -> ModelCard:
    """Create or update the product's card; any save counts as a review (the
    90-day reminder counts from it)."""
    now = timezone.now()
    card = ModelCard.objects.select_for_update().filter(product=product).first()
    fields = [f for f in CARD_FIELDS if f in data]
    if card is None:
        values = {f: data[f] for f in fields}
        return model_create(
            ModelCard, product=product, reviewed_at=now, updated_by=actor, **values
        )
    model_update(instance=card, fields=fields, data=data)
    card.reviewed_at, card.updated_by = now, actor
    card.save(update_fields=["reviewed_at", "updated_by"])
    return card


@transaction.atomic
def version_card_save(
    *, version: ModelVersion, data: dict[str, Any], actor: User | None
) -> VersionModelCard:
    """The version's own card: created as a copy of the product's card (its
    sections and date, when the product has one) with `data` on top, or
    changed by `data` when it exists."""
    # One creation at a time per version (two would meet the unique key).
    ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
    card = VersionModelCard.objects.filter(version=version).first()
    fields = [f for f in VERSION_CARD_FIELDS if f in data]
    if card is None:
        source = ModelCard.objects.filter(product_id=version.product_id).first()
        values = {f: getattr(source, f) for f in VERSION_CARD_FIELDS} if source else {}
        values |= {f: data[f] for f in fields}
        return model_create(
            VersionModelCard, version=version, updated_by=actor, **values
        )
    if model_update(instance=card, fields=fields, data=data):
        card.updated_by = actor
        card.save(update_fields=["updated_by"])
    return card


@transaction.atomic
def model_card_with_scope_save(
    *, product: Product, data: dict[str, Any], actor: User | None
) -> ModelCard:
    """The card and, when given, the scope's two lists and the product's
    segments (its factors), in one transaction."""
    if "segments" in data:
        segments_set(product=product, names=data["segments"])
    if "use_cases_served" in data or "use_cases_not_served" in data:
        current = list(product.use_cases.all())
        use_cases_set(
            product=product,
            served=data.get(
                "use_cases_served", [u.description for u in current if u.served]
            ),
            not_served=data.get(
                "use_cases_not_served",
                [u.description for u in current if not u.served],
            ),
        )
    return model_card_save(product=product, data=data, actor=actor)


@transaction.atomic
def use_cases_set(
    *, product: Product, served: Iterable[str], not_served: Iterable[str]
) -> list[UseCase]:
    """The product's scope, replaced as a whole: what it serves, what it does not."""
    wanted = {}
    for flag, texts in ((True, served), (False, not_served)):
        for text in texts:
            text = text.strip()
            if text in wanted and wanted[text] != flag:
                raise ValidationError(
                    {"use_cases_not_served": f"“{text}” is in both lists."}
                )
            if text:
                wanted[text] = flag
    current = {u.description: u for u in product.use_cases.all()}
    for text, use_case in current.items():
        if text not in wanted:
            use_case.delete()
        elif use_case.served != wanted[text]:
            model_update(
                instance=use_case, fields=["served"], data={"served": wanted[text]}
            )
    for text, flag in wanted.items():
        if text not in current:
            model_create(UseCase, product=product, description=text, served=flag)
    return list(product.use_cases.all())


def _approvers(product: Product, approvers: list[User] | None) -> list[User]:
    """By default the product's PM / business owner signs off."""
    if approvers:
        return list(dict.fromkeys(approvers))
    if product.pm_owner is None:
        raise ValidationError(
            {"approvers": "The product has no PM owner: name who must approve."}
        )
    return [product.pm_owner]


@transaction.atomic
def decision_record(
    *,
    product: Product,
    data: dict[str, Any],
    actor: User | None,
    approvers: list[User] | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """Record a decision and ask each approver for their sign-off."""
    session = data.get("session")
    if session is not None and session.product_id != product.pk:
        raise ValidationError({"session": "Not a planning session of this product."})
    decision = model_create(
        Decision,
        product=product,
        created_by=actor,
        decided_at=decided_at or timezone.now(),
        **{f: data[f] for f in DECISION_FIELDS if f in data},
    )
    for approver in _approvers(product, approvers):
        model_create(Approval, decision=decision, approver=approver)
    return decision


@transaction.atomic
def approval_answer(
    *, approval: Approval, actor: User, state: str, comment: str = ""
) -> Approval:
    """The approver approves or objects (an objection says why). Nobody answers
    for someone else; an answer may be changed, and is dated anew."""
    if actor.pk != approval.approver_id:
        raise PermissionDenied("Only the person asked can answer this approval.")
    if state not in (ApprovalState.APPROVED, ApprovalState.OBJECTED):
        raise ValidationError({"state": "Answer approved or objected."})
    if state == ApprovalState.OBJECTED and not comment.strip():
        raise ValidationError({"comment": "Say why you object."})
    model_update(
        instance=approval,
        fields=["state", "comment", "answered_at"],
        data={"state": state, "comment": comment, "answered_at": timezone.now()},
    )
    return approval
