"""The demo's segments, worst-case floors, model cards and decisions awaiting
sign-off: the fraud score declares merchant sizes, its precision has a floor
that the small merchants fail, and a planning decision waits for its PM."""

from datetime import timedelta

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.cards import services as cards
from tracker.demo.people import user_named
from tracker.products import services
from tracker.products.models import Product
from tracker.products.segments import segments_set

# product slug → (segments, metric name, floor, latest value per segment)
SEGMENTS = {
    "fraud-score": (
        ["merchant_size=small", "merchant_size=medium", "merchant_size=large"],
        "Precision at 1% review",
        0.45,
        # Small merchants are few in the training data: they fail first.
        {"merchant_size=small": 0.38, "merchant_size=medium": 0.55},
        {"merchant_size=large": 0.61},
    ),
    "demand-forecast": (
        ["region=north", "region=south", "region=islands"],
        None,
        None,
        {},
        {},
    ),
}


def seed_segments(*, now) -> None:
    for slug, (names, metric_name, floor, *values) in SEGMENTS.items():
        product = Product.objects.get(slug=slug)
        with acting(actor=product.ml_owner, via=Via.COMMAND):
            segments_set(product=product, names=names)
            if metric_name is None:
                continue
            metric = product.metrics.get(name=metric_name)
            services.metric_update(metric=metric, data={"worst_case_floor": floor})
            for days_ago, batch in zip((9, 2), values, strict=True):
                for segment, value in batch.items():
                    services.measurement_record(
                        metric=metric,
                        value=value,
                        measured_at=now - timedelta(days=days_ago),
                        actor=user_named("bob"),
                        segment=segment,
                    )


CARDS = {
    "fraud-score": {
        "model_version": "2026.05 (gradient-boosted trees)",
        "model_details": "Gradient-boosted trees on 140 payment and merchant "
        "features, retrained weekly; owned by Risk & Payments.",
        "intended_use": "Decide which card payments are held for manual review "
        "before authorisation.",
        "intended_users": "The payments authorisation service; fraud analysts "
        "read the scores of held payments.",
        "out_of_scope_uses": "Not for credit or onboarding decisions, nor to block "
        "a merchant: its scores are calibrated per payment only.",
        "factors": "Merchant size: small merchants are rare in the training data "
        "and fail first.",
        "metrics": "Precision at a 1% review rate; decision threshold 0.82.",
        "evaluation_data": "The last four weeks of payments with settled "
        "chargebacks, by merchant size.",
        "training_data": "Twelve months of card payments with chargeback labels.",
        "ethical_considerations": "Held payments delay customers; analysts see "
        "no personal data beyond the payment.",
        "caveats": "Small merchants' payments are scored less precisely: analysts "
        "should not read a low score as safe for them.",
        "use_cases": (
            ["Card-present payments", "E-commerce card payments"],
            ["Bank transfers", "Merchant onboarding"],
        ),
    },
    "demand-forecast": {
        "model_version": "0.4 (pilot)",
        "intended_use": "Daily demand per store and product family, 14 days ahead.",
        "out_of_scope_uses": "Not for promotions planning or new stores.",
        "caveats": "Island stores have little history: forecasts there are rough.",
        "use_cases": (["Replenishment orders"], ["Promotion planning"]),
    },
}

DECISIONS = [
    # (product, title, decision, alternatives, reason, approver answers)
    (
        "fraud-score",
        "Missing merchant category codes",
        "Listwise deletion: payments without a merchant category code are left "
        "out of training.",
        "Median imputation: rejected, it hides which merchants send no code. "
        "A separate 'unknown' category: rejected, too few rows to learn it.",
        "Under 0.4% of payments miss the code, evenly across merchant sizes.",
        None,  # awaits the PM owner's approval
    ),
    (
        "fraud-score",
        "Review threshold",
        "Hold payments scoring above 0.82 for review.",
        "0.75: rejected, it doubles the analysts' queue.",
        "Keeps the review rate at 1% with the analysts we have.",
        ("approved", "Agreed with the analysts' lead."),
    ),
]


def seed_cards(*, now) -> None:
    for slug, spec in CARDS.items():
        product = Product.objects.get(slug=slug)
        served, not_served = spec["use_cases"]
        data = {k: v for k, v in spec.items() if k != "use_cases"}
        data |= {"use_cases_served": served, "use_cases_not_served": not_served}
        with acting(actor=product.ml_owner, via=Via.COMMAND):
            cards.model_card_with_scope_save(
                product=product, data=data, actor=product.ml_owner
            )
    for slug, title, decision, alternatives, reason, answer in DECISIONS:
        product = Product.objects.get(slug=slug)
        with acting(actor=product.ml_owner, via=Via.COMMAND):
            recorded = cards.decision_record(
                product=product,
                actor=product.ml_owner,
                decided_at=now - timedelta(days=3),
                data={
                    "title": title,
                    "decision": decision,
                    "alternatives": alternatives,
                    "reason": reason,
                },
            )
        if answer:
            with acting(actor=product.pm_owner, via=Via.COMMAND):
                cards.approval_answer(
                    approval=recorded.approvals.get(),
                    actor=product.pm_owner,
                    state=answer[0],
                    comment=answer[1],
                )


def seed_version_cards() -> None:
    """Fraud score's latest version carries its own card: the product's, with
    what changed in it (after the versions are seeded)."""
    product = Product.objects.get(slug="fraud-score")
    version = product.model_versions.order_by("-created_at").first()
    with acting(actor=product.ml_owner, via=Via.COMMAND):
        cards.version_card_save(
            version=version,
            data={
                "training_data": "Card payments of January 2025 to June 2026, "
                "with 40% more small-merchant chargebacks than the version before.",
                "caveats": "Small merchants are still scored less well than others; "
                "this version narrows the gap, it does not close it.",
            },
            actor=product.ml_owner,
        )
