"""The demo's products at every stage, with metrics, measurements, SLAs and their
checks, surveys and planning sessions, written through the products' services so
the demo exercises the real rules. Deterministic: randomness comes from the `rng`
the caller seeds."""

import random
from datetime import timedelta

from tracker.accounts.models import Team
from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.people import user_named
from tracker.incidents.services.sla import sla_check_submit
from tracker.products import services
from tracker.products.models import Product, Stage

PRODUCTS = [
    {
        "name": "Fraud score",
        "slug": "fraud-score",
        "team": "risk-payments",
        "stage": Stage.PRODUCTION,
        "launched_days_ago": 120,
        "summary": "Scores card payments for fraud before authorisation.",
        "problem_statement": "Which card payments should be held for review before we lose money on chargebacks?",
        "success_definition": "Chargeback losses down 30% without raising manual review volume.",
        "risk_tier": "critical",
        "worst_case_matters": True,
        "worst_case_evaluation": "Recall on the top-1% merchants by volume, evaluated per merchant segment.",
        "constraints": "p99 latency under 80 ms in the authorisation path; decisions must be explainable to disputes.",
        "simple_baseline": "Velocity rules: more than 5 payments per card per hour, or country mismatch.",
        "owners": ("alice", "bob", "carol"),
        "metrics": [
            (
                "Chargeback losses",
                "business_kpi",
                "EUR k / month",
                "lower",
                410,
                287,
                30,
                [430, 405, 412, 398, 350, 330, 310, 301],
            ),
            (
                "Manual review rate",
                "guardrail",
                "%",
                "lower",
                2.1,
                2.1,
                30,
                [2.0, 2.2, 2.1, 2.0, 2.3, 2.2, 2.1],
            ),
            (
                "Precision at 1% review",
                "model_metric",
                "",
                "higher",
                0.41,
                0.6,
                14,
                [0.40, 0.42, 0.49, 0.53, 0.55, 0.57],
            ),
        ],
        "slas": [
            ("Scoring latency", "latency_p99_ms", "lte", 80, 28, 99.0, (35, 78), 0.995),
            (
                "Scoring availability",
                "availability_pct",
                "gte",
                99.9,
                28,
                99.0,
                (99.85, 100),
                0.99,
            ),
        ],
    },
    {
        "name": "Churn early warning",
        "slug": "churn-warning",
        "team": "growth",
        "stage": Stage.PILOT,
        "summary": "Flags subscribers likely to cancel in the next 30 days.",
        "problem_statement": "Which subscribers should customer success call this week to prevent cancellations?",
        "success_definition": "Monthly churn among called customers 15% lower than a held-out control group.",
        "risk_tier": "medium",
        "constraints": "Weekly batch; scores must be in the CRM by Monday 07:00.",
        "simple_baseline": "Customers whose usage dropped by half over four weeks.",
        "owners": ("dan", "erin", "alice"),
        "metrics": [
            (
                "Monthly churn (called cohort)",
                "business_kpi",
                "%",
                "lower",
                4.8,
                4.1,
                30,
                [4.9, 4.7, 4.8, 4.6],
            ),
            ("AUC", "model_metric", "", "higher", 0.71, 0.8, 30, [0.72, 0.75, 0.77]),
        ],
        "slas": [
            (
                "Scores delivered by Monday 07:00",
                "freshness_minutes",
                "lte",
                60,
                56,
                95.0,
                (10, 90),
                0.9,
            )
        ],
    },
    {
        "name": "Demand forecast",
        "slug": "demand-forecast",
        "team": "operations",
        "stage": Stage.BUILDING,
        "summary": "Daily demand per warehouse and product family, 14 days ahead.",
        "problem_statement": "How much stock should each warehouse hold for the next two weeks?",
        "success_definition": "Stock-outs halved at equal inventory cost.",
        "risk_tier": "high",
        "constraints": "Nightly batch, must finish before 04:00; forecasts consumed by the ERP.",
        "simple_baseline": "",
        "owners": ("farid", "grace", None),
        "metrics": [
            (
                "Stock-out rate",
                "business_kpi",
                "%",
                "lower",
                6.2,
                3.1,
                7,
                [6.4, 6.1, 6.3],
            ),
        ],
        "slas": [],
    },
    {
        "name": "Support ticket routing",
        "slug": "ticket-routing",
        "team": "operations",
        "stage": Stage.DISCOVERY,
        "summary": "Routes incoming support tickets to the right queue.",
        "problem_statement": "Can we cut the time a ticket waits before reaching someone who can solve it?",
        "success_definition": "",
        "risk_tier": "low",
        "owners": ("grace", None, None),
        "metrics": [],
        "slas": [],
    },
    {
        "name": "Search ranking",
        "slug": "search-ranking",
        "team": "growth",
        "stage": Stage.PROPOSED,
        "summary": "Learning-to-rank for the catalogue search.",
        "problem_statement": "Do shoppers find what they want from the first page of results?",
        "risk_tier": "medium",
        "owners": ("erin", "dan", "dan"),
        "metrics": [],
        "slas": [],
    },
    {
        "name": "Invoice OCR",
        "slug": "invoice-ocr",
        "team": "risk-payments",
        "stage": Stage.RETIRED,
        "launched_days_ago": 400,
        "summary": "Extracted fields from supplier invoices; replaced by the e-invoicing mandate.",
        "problem_statement": "How much manual keying of invoices can we remove?",
        "success_definition": "80% of invoices booked without manual keying.",
        "risk_tier": "low",
        "simple_baseline": "Templates for the 20 largest suppliers.",
        "owners": ("bob", "carol", "alice"),
        "metrics": [
            (
                "Invoices booked without keying",
                "business_kpi",
                "%",
                "higher",
                12,
                80,
                30,
                [14, 35, 61, 72, 78],
            ),
        ],
        "slas": [],
    },
]

SURVEY = {
    "fraud-score": [
        dict(
            feature="card_velocity_1h",
            source_kind="stream",
            source_system="payments-events (Kafka)",
            available_in_production="yes",
            freshness_needed=timedelta(minutes=1),
            freshness_actual=timedelta(seconds=20),
            computation="streaming_aggregate",
            owner="Payments platform",
            skew_risk="high",
            preprocessing="Count per card over a sliding hour.",
            simpler_alternative="Count from the OLTP payments table with a 5-minute lag.",
            rated="good",
        ),
        dict(
            feature="merchant_country",
            source_kind="oltp_database",
            source_system="merchants DB",
            available_in_production="yes",
            freshness_needed=timedelta(days=1),
            freshness_actual=timedelta(minutes=5),
            computation="lookup",
            owner="Merchant onboarding",
            skew_risk="low",
            rated="good",
        ),
        dict(
            feature="customer_lifetime_chargebacks",
            source_kind="warehouse",
            source_system="dwh.chargebacks",
            available_in_production="partial",
            freshness_needed=timedelta(hours=1),
            freshness_actual=timedelta(days=1),
            computation="batch_aggregate",
            owner="Finance data",
            skew_risk="high",
            simpler_alternative="Flag from the disputes service (yes/no in last 90 days).",
            rated="fair",
        ),
        dict(
            feature="device_fingerprint",
            source_kind="external_api",
            source_system="vendor SDK",
            available_in_production="no",
            computation="lookup",
            owner="",
            skew_risk="medium",
            rated="",
        ),
    ],
    "churn-warning": [
        dict(
            feature="weekly_active_days",
            source_kind="warehouse",
            source_system="dwh.usage_daily",
            available_in_production="yes",
            freshness_needed=timedelta(days=7),
            freshness_actual=timedelta(days=1),
            computation="batch_aggregate",
            owner="Product analytics",
            skew_risk="low",
            rated="good",
        ),
        dict(
            feature="support_tickets_30d",
            source_kind="oltp_database",
            source_system="helpdesk",
            available_in_production="yes",
            freshness_needed=timedelta(days=1),
            freshness_actual=timedelta(hours=1),
            computation="batch_aggregate",
            owner="Support tooling",
            skew_risk="medium",
            rated="fair",
        ),
    ],
    "demand-forecast": [
        dict(
            feature="sales_history",
            source_kind="warehouse",
            source_system="dwh.sales",
            available_in_production="yes",
            freshness_needed=timedelta(days=1),
            freshness_actual=timedelta(days=1),
            computation="batch_aggregate",
            owner="Sales ops",
            skew_risk="low",
            rated="good",
        ),
        dict(
            feature="promotions_calendar",
            source_kind="manual",
            source_system="marketing spreadsheet",
            available_in_production="unknown",
            computation="lookup",
            owner="Marketing",
            skew_risk="high",
            simpler_alternative="Ignore promotions in v1; measure the error they cause.",
            rated="unknown",
        ),
    ],
}


def seed_products(*, now, rng: random.Random) -> None:
    for spec in PRODUCTS:
        # The demo's history reads as each product's PM entering it.
        with acting(actor=user_named(spec["owners"][0]), via=Via.COMMAND):
            _seed_product(spec, now, rng)


def _seed_product(spec: dict, now, rng: random.Random) -> None:
    pm, ml, eng = (user_named(u) for u in spec["owners"])
    data = {k: spec[k] for k in spec if k in services.PRODUCT_FIELDS and k != "team"}
    data |= {
        "team": Team.objects.get(slug=spec["team"]),
        "pm_owner": pm,
        "ml_owner": ml,
        "eng_owner": eng,
        "stage": Stage.PROPOSED,
    }
    data["shared_ownership_accepted"] = False
    created = now - timedelta(days=spec.get("launched_days_ago", 0) + 300)
    product = services.product_create(actor=pm, data=data, at=created)
    _walk_stages(product, spec, now, actor=pm)
    for name, kind, unit, direction, baseline, target, cadence, values in spec[
        "metrics"
    ]:
        metric = services.metric_create(
            product=product,
            data={
                "name": name,
                "kind": kind,
                "unit": unit,
                "direction": direction,
                "baseline": baseline,
                "baseline_at": (now - timedelta(days=200)).date(),
                "target": target,
                "target_date": (now + timedelta(days=120)).date(),
                "owner": pm if kind == "business_kpi" else ml,
                "cadence_days": cadence,
            },
        )
        step = 150 / max(len(values), 1)
        for i, value in enumerate(values):
            services.measurement_record(
                metric=metric,
                value=value,
                actor=pm,
                note="",
                measured_at=now - timedelta(days=160 - i * step),
            )
    for (
        name,
        indicator,
        comparator,
        threshold,
        window,
        objective,
        span,
        pass_rate,
    ) in spec["slas"]:
        sla = services.sla_create(
            product=product,
            data={
                "name": name,
                "indicator": indicator,
                "comparator": comparator,
                "threshold": threshold,
                "window_days": window,
                "objective": objective,
            },
        )
        _seed_checks(sla, span, pass_rate, now, rng)
    for row in SURVEY.get(product.slug, []):
        row = dict(row)
        rating = row.pop("rated")
        for dim in (
            "availability",
            "timeliness",
            "completeness",
            "validity",
            "consistency",
            "correctness",
            "trustworthiness",
        ):
            row[f"quality_{dim}"] = rating
        services.survey_feature_create(product=product, data=row)
    if spec["metrics"]:
        _seed_sessions(product, now)


def _walk_stages(product: Product, spec: dict, now, *, actor) -> None:
    target = spec["stage"]
    order = [s for s in Stage if s != Stage.RETIRED]
    path = (
        order[1 : order.index(target) + 1]
        if target != Stage.RETIRED
        else [*order[1:], Stage.RETIRED]
    )
    launched = spec.get("launched_days_ago", 0)
    for i, stage in enumerate(path):
        days_ago = (
            max(launched, 30) + (len(path) - i) * 45
            if stage != Stage.PRODUCTION
            else launched
        )
        if stage == Stage.RETIRED:
            days_ago = 20
        services.product_change_stage(
            product=product, stage=stage, actor=actor, at=now - timedelta(days=days_ago)
        )


def _seed_checks(sla, span, pass_rate, now, rng) -> None:
    lo, hi = span
    for hour in range(0, 24 * 28, 6):
        value = round(rng.uniform(lo, hi), 2)
        # Pull values onto the right side of the threshold, then let a few breach.
        value = (
            min(value, sla.threshold)
            if sla.comparator == "lte"
            else max(value, sla.threshold)
        )
        if rng.random() > pass_rate:
            value = sla.threshold * (1.15 if sla.comparator == "lte" else 0.998)
        sla_check_submit(
            sla=sla,
            value=value,
            checked_at=now - timedelta(hours=hour),
            actor=None,
            source="api",
        )


def _seed_sessions(product: Product, now) -> None:
    session = services.session_create(
        product=product,
        actor=product.pm_owner,
        data={
            "title": "Kick-off: problem and success",
            "held_at": now - timedelta(days=210),
            "attendees": [u for u in (product.pm_owner, product.ml_owner) if u],
            "decisions": "Business KPI agreed; baseline to be measured before any model work.\n"
            "Start with the rule-based baseline and measure it.",
            "open_questions": "Which features exist in production today?",
        },
    )
    services.session_create(
        product=product,
        actor=product.pm_owner,
        data={
            "title": "Production-data survey",
            "held_at": now - timedelta(days=180),
            "attendees": [
                u for u in (product.pm_owner, product.ml_owner, product.eng_owner) if u
            ],
            "decisions": "Drop features that only exist in the warehouse from v1.",
            "notes": "Walked through every feature with the data owners.",
        },
    )
    del session
