"""The demo's rollouts, experiments and adoption: the fraud score went through
shadow, an internal A/B test and a ramp before full traffic, and its A/B test
showed a significant drop in chargeback losses against the velocity rules; the
churn warning is in its internal A/B test, too early to tell; analysts' use of
the fraud score's holds is tracked as an adoption metric."""

from datetime import datetime, timedelta

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.demo.people import user_named
from tracker.products import experiments, services
from tracker.products.models import Product

# product slug → steps: (kind, percent, status, entry, exit, decider, start, end)
# with the dates in days before now.
ROLLOUTS = {
    "fraud-score": [
        (
            "shadow",
            None,
            "done",
            "Scores logged beside the rules.",
            "Two weeks of scores with p99 under 80 ms.",
            "carol",
            190,
            176,
        ),
        (
            "internal_ab",
            None,
            "done",
            "Shadow scores agree with analysts' holds.",
            "Chargeback losses lower than the rules' arm, 95% interval below zero.",
            "alice",
            150,
            130,
        ),
        (
            "ramp",
            50,
            "done",
            "A/B test significant.",
            "A week without a latency breach.",
            "alice",
            129,
            121,
        ),
        ("full", None, "done", "Ramp held its SLAs.", "", "alice", 120, None),
    ],
    "churn-warning": [
        (
            "shadow",
            None,
            "done",
            "Weekly scores written to a side table.",
            "Four weekly runs delivered by Monday 07:00.",
            "erin",
            60,
            32,
        ),
        (
            "internal_ab",
            None,
            "active",
            "Shadow runs on time.",
            "Called cohort's churn lower than the control cohort's, 95% interval "
            "below zero.",
            "dan",
            30,
            None,
        ),
        (
            "ramp",
            25,
            "planned",
            "A/B test significant.",
            "Account managers keep up with the calls.",
            "dan",
            None,
            None,
        ),
        ("full", None, "planned", "", "", "dan", None, None),
    ],
}

# Daily chargeback losses (EUR k) per arm of the fraud score's A/B test.
FRAUD_ARMS = {
    "velocity rules": [13.9, 14.6, 12.8, 13.3, 15.1, 13.7, 14.2, 12.9, 13.8, 14.4],
    "model": [10.4, 11.2, 9.8, 10.9, 11.6, 10.1, 10.7, 9.9, 11.0, 10.5],
}
# The churn warning's A/B test so far: too few weeks to tell.
CHURN_ARMS = {"control": [4.9, 4.6], "called": [4.5]}
# Share of the fraud score's holds that analysts confirm (adoption), monthly.
ADOPTION = [58.0, 63.0, 67.0, 71.0, 74.0]


def seed_experiments(*, now: datetime) -> None:
    for slug, steps in ROLLOUTS.items():
        product = Product.objects.get(slug=slug)
        with acting(actor=product.pm_owner, via=Via.COMMAND):
            for position, step in enumerate(steps, 1):
                kind, percent, status, entry, exit_, decider, start, end = step
                experiments.rollout_step_create(
                    product=product,
                    data={
                        "position": position,
                        "kind": kind,
                        "percent": percent,
                        "status": status,
                        "entry_criteria": entry,
                        "exit_criteria": exit_,
                        "decider": user_named(decider),
                        "starts_on": _day(now, start),
                        "ends_on": _day(now, end),
                    },
                )
    _experiment(
        "fraud-score",
        "Model vs velocity rules",
        "Chargeback losses",
        "Holding what the model flags loses less to chargebacks than the rules.",
        FRAUD_ARMS,
        started=now - timedelta(days=150),
        ended=now - timedelta(days=130),
    )
    _experiment(
        "churn-warning",
        "Calls on warnings vs no calls",
        "Monthly churn (called cohort)",
        "Calling the customers the model warns about keeps more of them.",
        CHURN_ARMS,
        started=now - timedelta(days=30),
        ended=None,
    )
    _adoption(now)


def _day(now: datetime, days_ago: int | None):
    return None if days_ago is None else (now - timedelta(days=days_ago)).date()


def _experiment(slug, name, metric_name, hypothesis, arms, *, started, ended):
    product = Product.objects.get(slug=slug)
    metric = product.metrics.get(name=metric_name)
    with acting(actor=product.ml_owner, via=Via.COMMAND):
        experiment = experiments.experiment_create(
            product=product,
            data={
                "name": name,
                "metric": metric,
                "hypothesis": hypothesis,
                "arms": list(arms),
                "started_at": started,
                "ended_at": ended,
            },
            actor=product.ml_owner,
        )
        for arm, values in arms.items():
            for day, value in enumerate(values):
                services.measurement_record(
                    metric=metric,
                    value=value,
                    measured_at=experiment.started_at + timedelta(days=day, hours=9),
                    actor=product.ml_owner,
                    arm=arm,
                )


def _adoption(now: datetime) -> None:
    product = Product.objects.get(slug="fraud-score")
    with acting(actor=product.pm_owner, via=Via.COMMAND):
        metric = services.metric_create(
            product=product,
            data={
                "name": "Holds confirmed by analysts",
                "kind": "adoption",
                "description": "Share of the payments the model holds that the "
                "review analysts confirm: whether they trust it.",
                "unit": "%",
                "direction": "higher",
                "baseline": 55.0,
                "baseline_at": (now - timedelta(days=125)).date(),
                "target": 80.0,
                "owner": product.pm_owner,
                "cadence_days": 30,
            },
        )
        for i, value in enumerate(ADOPTION):
            services.measurement_record(
                metric=metric,
                value=value,
                measured_at=now - timedelta(days=2 + 28 * (len(ADOPTION) - 1 - i)),
                actor=product.pm_owner,
            )
