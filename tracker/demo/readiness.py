"""The demo's ML Test Score: tests put in place on two products over months."""

from datetime import timedelta

from tracker.products.models import Product
from tracker.readiness.models import MLTestScoreSnapshot
from tracker.readiness.services import ml_test_result_set

ML_TESTS = {
    "fraud-score": {
        "data-1": (
            "automated",
            "Schema checks in the feature pipeline (Great Expectations suite).",
        ),
        "data-5": ("manual", "Privacy review 2026-03, ticket SEC-114."),
        "data-7": ("automated", "Unit tests for every feature transform in CI."),
        "model-1": ("manual", "Model config reviewed in pull requests."),
        "model-2": ("manual", "Offline AUC vs chargeback losses tracked monthly."),
        "model-5": (
            "manual",
            "Beats the velocity rules by 31% recall at equal review rate.",
        ),
        "model-6": ("manual", "Per-merchant-segment recall in the evaluation report."),
        "infra-1": (
            "automated",
            "Pinned data snapshots and seeds; nightly retrain diff < 0.2%.",
        ),
        "infra-4": (
            "manual",
            "Evaluation gate blocks deploys that lose recall.",
            "evaluate",
        ),
        "infra-7": ("manual", "Rollback runbook rehearsed in May."),
        "monitoring-2": ("automated", "Null-rate and range alerts in Alertmanager."),
        "monitoring-4": ("automated", "Model age alert at 14 days."),
        "monitoring-7": ("manual", "Weekly precision review on labelled disputes."),
    },
    "churn-warning": {
        "data-1": ("manual", "Expected ranges documented in the feature catalogue."),
        "model-5": ("manual", "Compared with the usage-drop rule in the pilot."),
        "infra-1": ("manual", "Training notebook checked in with data snapshot ids."),
    },
}


def seed_ml_tests(*, now) -> None:
    for slug, tests in ML_TESTS.items():
        product = Product.objects.get(slug=slug)
        for code, (level, evidence, *context) in tests.items():
            ml_test_result_set(
                product=product,
                code=code,
                actor=product.ml_owner,
                data={
                    "level": level,
                    "evidence": evidence,
                    "ci_context": "".join(context),
                },
            )
        # The tests were put in place over months, not in one instant.
        snapshots = list(product.ml_test_snapshots.order_by("id"))
        for i, snapshot in enumerate(snapshots):
            snapshot.recorded_at = now - timedelta(days=7 * (len(snapshots) - i))
        MLTestScoreSnapshot.objects.bulk_update(snapshots, ["recorded_at"])
