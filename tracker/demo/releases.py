"""Demo model versions and deployments for `make run`: fraud-score's versions
with their evaluation metrics and aliases, a canary, a production deploy that
an incident follows within the hour and the rollback that mitigated it;
churn-warning's deploy hours before its reported incident. Written through the
releases services; called by tracker.demo.seed.seed_demo before the incidents
and postmortems, so postmortem timelines pick the deployments up."""

from datetime import datetime, timedelta

from tracker.accounts.models import User
from tracker.products.models import Product
from tracker.releases import services

# (version, days before now it was registered, code sha, metrics)
FRAUD_VERSIONS = [
    ("2026.05", 60, "4f1c9a2e7b3d", {"auc": 0.912, "recall_at_1pct": 0.58}),
    (
        "2026.06",
        20,
        "8b2d4e6f1a3c",
        {
            "auc": 0.921,
            "recall_at_1pct": 0.61,
            "recall_at_1pct[merchant_size=small]": 0.44,
            "recall_at_1pct[merchant_size=large]": 0.67,
        },
    ),
    (
        "2026.07",
        2,
        "c3e5a7b9d1f2",
        {
            "auc": 0.934,
            "recall_at_1pct": 0.66,
            "recall_at_1pct[merchant_size=small]": 0.52,
            "recall_at_1pct[merchant_size=large]": 0.69,
        },
    ),
]
# (version, environment, traffic %, time before now, note)
FRAUD_DEPLOYS = [
    ("2026.05", "production", 100, timedelta(days=55), ""),
    ("2026.06", "production", 100, timedelta(days=18), ""),
    ("2026.07", "shadow", 100, timedelta(days=2), "Shadow traffic for a day."),
    ("2026.07", "canary", 10, timedelta(days=1), "10% canary in eu-west."),
    ("2026.07", "production", 100, timedelta(hours=1, minutes=30), ""),
    (
        "2026.06",
        "production",
        100,
        timedelta(minutes=10),
        "Rolled back while the latency incident is investigated.",
    ),
]


def seed_releases(*, now: datetime) -> None:
    alice, bob, dan = (
        User.objects.get(username=name) for name in ("alice", "bob", "dan")
    )
    fraud = Product.objects.get(slug="fraud-score")
    versions = {}
    for version, days, sha, metrics in FRAUD_VERSIONS:
        versions[version] = services.model_version_create(
            product=fraud,
            version=version,
            data={
                "created_at": now - timedelta(days=days),
                "code_sha": sha,
                "data_snapshot": f"s3://fraud-features/snapshots/{version}",
                "metrics": metrics,
                "approved_by": alice,
                "approved_at": now - timedelta(days=days - 1),
            },
            actor=bob,
        )
    for version, environment, traffic, ago, note in FRAUD_DEPLOYS:
        services.deployment_record(
            product=fraud,
            version=versions[version],
            environment=environment,
            data={"deployed_at": now - ago, "traffic_percent": traffic, "notes": note},
            actor=bob,
        )
    services.model_alias_set(
        product=fraud, alias="champion", version=versions["2026.06"]
    )
    services.model_alias_set(
        product=fraud, alias="challenger", version=versions["2026.07"]
    )
    _churn(dan, now)


def _churn(dan: User, now: datetime) -> None:
    churn = Product.objects.get(slug="churn-warning")
    for version, days, auc in (("1.0", 40, 0.81), ("1.1", 10, 0.83)):
        created = services.model_version_create(
            product=churn,
            version=version,
            data={
                "created_at": now - timedelta(days=days),
                "metrics": {"auc": auc},
            },
            actor=dan,
        )
        services.deployment_record(
            product=churn,
            version=created,
            environment="production",
            # 1.1 shipped three hours before "Monday scores missing" started.
            data={"deployed_at": now - timedelta(days=days - 1, hours=6)},
            actor=dan,
        )
