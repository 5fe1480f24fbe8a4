"""The demo shows model cards, segments with one failing its floor, and a
decision awaiting its PM owner's approval."""

from tracker.cards.models import ApprovalState, ModelCard
from tracker.demo.seed import seed_demo
from tracker.products.models import Product
from tracker.readiness.selectors import readiness_for_product


def test_demo_has_cards_a_failing_segment_and_a_pending_decision(db):
    assert seed_demo()
    fraud = Product.objects.get(slug="fraud-score")
    assert ModelCard.objects.filter(product__slug__in=["fraud-score"]).exists()
    assert not fraud.model_card.missing_for_risk
    items = {i.key: i for i in readiness_for_product(fraud).items}
    assert items["worst_case"].passed is False
    assert "merchant_size=small" in items["worst_case"].detail
    assert items["model_card"].passed is True
    pending = fraud.decisions.filter(approvals__state=ApprovalState.PENDING)
    assert pending.get().approvals.get().approver == fraud.pm_owner
