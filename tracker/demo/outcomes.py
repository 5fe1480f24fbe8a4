"""The demo's outcomes after launch: Fraud score's costs and the value its
chargeback KPI earned (paid back about seven weeks ago), weeks of feedback
ending in yesterday's spike of bad ratings that opened a bad-predictions
incident, contracts on two survey sources, two consumers downstream (one of
them Churn early warning) and change notices each side heard of. Written
through the outcomes services; called by tracker.demo.seed.seed_demo after
the incidents and postmortems (their ids stay those the README walks)."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.accounts.models import Team
from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.people import user_named
from tracker.outcomes import services
from tracker.products import services as products
from tracker.products.models import Product

# (kind, amount in EUR, days ago, note)
FRAUD_COSTS = [
    ("build", "180000", 400, "Two ML engineers and one backend engineer, 5 months."),
    ("labelling", "40000", 250, "Chargeback outcomes relabelled by the disputes team."),
    *(
        ("running", "8000", days, "Scoring cluster and feature store, one month.")
        for days in (110, 80, 50, 20)
    ),
]
# One unit of the KPI is 1 k€ of chargeback losses a month.
VALUE_PER_UNIT = Decimal("1000.00")
SEGMENTS = ["merchant_size=small", "merchant_size=medium", "merchant_size=large"]


def seed_outcomes(*, now: datetime) -> None:
    fraud = Product.objects.get(slug="fraud-score")
    erin = user_named("erin")
    with acting(actor=user_named("alice"), via=Via.COMMAND):
        _costs_and_value(fraud, now)
        _contracts(fraud, now)
    with acting(actor=erin, via=Via.COMMAND):
        _feedback(fraud, now, actor=erin)


def _costs_and_value(product: Product, now: datetime) -> None:
    kpi = product.metrics.get(name="Chargeback losses")
    products.metric_update(metric=kpi, data={"value_per_unit": VALUE_PER_UNIT})
    for kind, amount, days, note in FRAUD_COSTS:
        services.cost_record(
            product=product,
            data={
                "kind": kind,
                "amount": Decimal(amount),
                "incurred_at": (now - timedelta(days=days)).date(),
                "note": note,
            },
            actor=product.pm_owner,
        )


def _feedback(product: Product, now: datetime, actor) -> None:
    """Six weeks of mostly good ratings from the review desk, then yesterday's
    spike: a bad-predictions incident opens on the tenth rating of the day."""
    rng = random.Random(7)
    start = now - timedelta(days=42)
    for day in range(40):
        for hour in sorted(rng.sample(range(8, 18), 3)):
            at = start + timedelta(days=day, hours=hour - start.hour)
            rating = "bad" if rng.random() < 0.08 else "good"
            services.feedback_submit(
                product=product,
                data={
                    "rating": rating,
                    "prediction_id": f"pay-{day:02d}{hour:02d}",
                    "segment": rng.choice(SEGMENTS),
                    "comment": "Held a payment the customer had made for years."
                    if rating == "bad"
                    else "",
                },
                actor=actor,
                now=at,
            )
    spike = now - timedelta(hours=26)
    for minute in range(0, 12 * 20, 20):
        rating = "good" if minute % 120 == 100 else "bad"
        services.feedback_submit(
            product=product,
            data={
                "rating": rating,
                "prediction_id": f"pay-spike-{minute}",
                "segment": "merchant_size=small",
                "comment": "Small merchant's regular customer held for review."
                if rating == "bad"
                else "",
            },
            actor=actor,
            now=spike + timedelta(minutes=minute),
        )


def _contracts(product: Product, now: datetime) -> None:
    payments = Team.objects.get(slug="risk-payments")
    merchant = product.survey.get(feature="merchant_country")
    velocity = product.survey.get(feature="card_velocity_1h")
    services.contract_set(
        source=merchant,
        data={
            "owner_team": payments,
            "fields_relied_on": "merchants.country (ISO 3166 alpha-2)\n"
            "merchants.updated_at",
            "freshness_promised": timedelta(days=1),
            "semantics": "The country the merchant is registered in, not where it "
            "sells; null while onboarding is incomplete.",
        },
        actor=product.pm_owner,
    )
    services.contract_set(
        source=velocity,
        data={
            "owner_team": payments,
            "fields_relied_on": "payments-events: card_hash, amount, created_at",
            "freshness_promised": timedelta(minutes=1),
            "semantics": "One event per authorisation attempt, declined ones too.",
        },
        actor=product.pm_owner,
    )
    churn = Product.objects.get(slug="churn-warning")
    disputes = services.consumer_add(
        product=product,
        data={
            "name": "Disputes service",
            "owner": user_named("carol"),
            "relies_on": "score (0-100) and reasons[] on every held payment",
        },
        actor=product.pm_owner,
    )
    churn_consumer = services.consumer_add(
        product=product,
        data={
            "name": "Churn early warning",
            "owner": user_named("dan"),
            "relies_on": "Daily count of held payments per customer, as a churn "
            "signal.",
            "consumer_product": churn,
        },
        actor=product.pm_owner,
    )
    services.contract_change_post(
        product=product,
        data={
            "side": "upstream",
            "source": merchant,
            "summary": "The merchants DB moves country to ISO 3166 alpha-3 "
            "(DEU, not DE) in the next release.",
            "effective_at": now + timedelta(days=14),
        },
        actor=user_named("bob"),
        now=now - timedelta(days=3),
    )
    services.contract_change_post(
        product=product,
        data={
            "side": "downstream",
            "consumer": churn_consumer,
            "summary": "Held payments are counted per card, no longer per "
            "customer, from version 2026.07.",
            "effective_at": now + timedelta(days=7),
        },
        actor=user_named("bob"),
        now=now - timedelta(days=2),
    )
    services.contract_change_post(
        product=product,
        data={
            "side": "downstream",
            "consumer": disputes,
            "summary": "reasons[] becomes reason_codes[] with stable codes.",
            "effective_at": now + timedelta(days=10),
        },
        actor=user_named("bob"),
        now=now - timedelta(days=1),
    )
