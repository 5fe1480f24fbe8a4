"""A large, realistic dataset for benchmarks and load: `seed_demo --scale N`.

N products (in teams of about 20), and per product 5 metrics with 20 measurements
each, 2 SLAs with checks, 4 surveyed features, 10 incidents over the last year and
2 postmortems on its SEV1–2 incidents (tracker/demo/scale/postmortems.py): 1,000
products give 5,000 metrics, 100,000 measurements, 10,000 incidents and 2,000
postmortems.
Rows are bulk-inserted (services would take minutes at this size) but hold the same
invariants the services keep; a fixed random seed makes every run identical.
"""

import random
from collections import Counter
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from tracker.accounts.models import Membership, Team, User
from tracker.demo.scale.postmortems import seed_postmortems
from tracker.demo.scale.rows import BATCH, bulk_insert
from tracker.incidents.models import (
    Incident,
    Kind,
    RecurrenceRule,
    Severity,
    Status,
)
from tracker.lib.aggregates import in_ids
from tracker.postmortems.models import Postmortem
from tracker.postmortems.models import Status as PostmortemStatus
from tracker.products.models import (
    QUALITY_DIMENSIONS,
    FeatureSource,
    Measurement,
    Product,
    ServiceLevel,
    SLACheck,
    Stage,
    StageChange,
    SuccessMetric,
)
from tracker.reports.standings import standings_refresh_all

STAGES = [
    Stage.PROPOSED,
    Stage.DISCOVERY,
    Stage.BUILDING,
    Stage.PILOT,
    Stage.PRODUCTION,
    Stage.PRODUCTION,
    Stage.PRODUCTION,
    Stage.RETIRED,
]
METRICS = [
    ("Revenue uplift", "business_kpi", "higher"),
    ("Cost per case", "business_kpi", "lower"),
    ("AUC", "model_metric", "higher"),
    ("Calibration error", "model_metric", "lower"),
    ("Complaint rate", "guardrail", "lower"),
]


CHUNK = 1000  # products generated at a time: bounded memory, linear time


@transaction.atomic
def seed_scale(
    products: int, *, now: datetime | None = None, seed: int = 7
) -> dict[str, int]:
    """Insert the dataset, a thousand products at a time (each with its own
    people and teams); returns the number of rows made per kind."""
    now = now or timezone.now()
    rng = random.Random(seed)
    password = make_password("tracker-demo")
    counts: Counter[str] = Counter()
    for done in range(0, products, CHUNK):
        counts.update(_seed_chunk(min(CHUNK, products - done), rng, password, now))
    if connection.vendor == "postgresql":
        # The planner's statistics of the rows just copied in, and the tables'
        # visibility maps (index-only scans), as autovacuum would leave them:
        # without them the standings' figures are planned for empty tables.
        # VACUUM cannot run in a transaction (a test's): ANALYZE alone then.
        with connection.cursor() as cursor:
            atomic = connection.in_atomic_block
            cursor.execute("ANALYZE" if atomic else "VACUUM ANALYZE")
    counts["standings"] = standings_refresh_all(now=now)  # the portfolio page's
    return dict(counts)


def _seed_chunk(
    products: int, rng: random.Random, password: str, now: datetime
) -> dict[str, int]:
    start = Product.objects.filter(slug__startswith="scale-").count()
    people = bulk_insert(
        User,
        [
            User(
                username=f"scale-user-{start + i}",
                password=password,
                first_name=f"User{i}",
            )
            for i in range(max(3, products // 4))
        ],
    )
    teams = bulk_insert(
        Team,
        [
            Team(name=f"Scale team {start + i}", slug=f"scale-team-{start + i}")
            for i in range(max(1, products // 20))
        ],
    )
    bulk_insert(
        Membership,
        [
            Membership(team=team, user=people[(t * 5 + k) % len(people)])
            for t, team in enumerate(teams)
            for k in range(min(5, len(people)))
        ],
    )
    made = bulk_insert(
        Product, [_product(start + i, rng, teams, people, now) for i in range(products)]
    )
    bulk_insert(
        StageChange,
        [
            StageChange(
                product=p,
                from_stage="",
                to_stage=p.stage,
                changed_at=p.stage_entered_at,
            )
            for p in made
        ],
    )
    counts = {"products": len(made)}
    counts |= _metrics(made, rng, people, now)
    counts |= _slas(made, rng, now)
    counts["features"] = len(
        bulk_insert(
            FeatureSource, [_feature(p, n, rng) for p in made for n in range(4)]
        )
    )
    incidents = bulk_insert(
        Incident, [_incident(p, n, rng, now) for p in made for n in range(10)]
    )
    counts["incidents"] = len(incidents)
    kpis = dict(
        SuccessMetric.objects.filter(
            in_ids("product_id", [p.pk for p in made]), name=METRICS[0][0]
        ).values_list("product_id", "pk")
    )
    counts |= seed_postmortems(
        incidents, people, kpis, count=2 * len(made), rng=rng, now=now
    )
    counts["recurrences"] = _recurrences(incidents, rng)
    return counts


def _recurrences(incidents: list[Incident], rng: random.Random) -> int:
    """About half the products see their earliest incident with a published
    postmortem fire again: a later incident of theirs gets its alert's
    fingerprint and is marked a recurrence of it, as the fingerprint rule would
    (tracker.postmortems.services.recurrence). Two queries and a bulk update."""
    published = set(
        Postmortem.incidents.through.objects.filter(
            in_ids("incident_id", [i.pk for i in incidents]),
            postmortem__status=PostmortemStatus.PUBLISHED,
        ).values_list("incident_id", flat=True)
    )
    by_product: dict[int, list[Incident]] = {}
    for incident in sorted(incidents, key=lambda i: (i.started_at, i.pk)):
        by_product.setdefault(incident.product_id, []).append(incident)
    changed = []
    for rows in by_product.values():
        first = next((i for i in rows if i.pk in published), None)
        later = [i for i in rows if first and i.started_at > first.started_at]
        if not later or rng.random() < 0.5:
            continue
        again = rng.choice(later)
        first.fingerprint = again.fingerprint = f"scale-alert-{first.pk}"
        again.recurrence_of, again.recurrence_rule = first, RecurrenceRule.FINGERPRINT
        changed += [first, again]
    fields = ["fingerprint", "recurrence_of", "recurrence_rule"]
    Incident.objects.bulk_update(changed, fields, batch_size=BATCH)
    return len(changed) // 2


def _product(i: int, rng: random.Random, teams, people, now) -> Product:
    stage = STAGES[i % len(STAGES)]
    entered = now - timedelta(days=rng.randint(5, 400))
    launched = (
        entered - timedelta(days=rng.randint(0, 200))
        if stage in (Stage.PRODUCTION, Stage.RETIRED)
        else None
    )
    owners = (
        rng.sample(people, 3)
        if rng.random() < 0.8
        else [rng.choice(people), None, None]
    )
    return Product(
        name=f"Scale product {i}",
        slug=f"scale-{i}",
        team=teams[i % len(teams)],
        summary="Generated for benchmarks.",
        stage=stage,
        stage_entered_at=entered,
        launched_at=launched,
        risk_tier=rng.choice(["low", "medium", "high", "critical"]),
        pm_owner=owners[0],
        ml_owner=owners[1],
        eng_owner=owners[2],
        simple_baseline="Rules" if rng.random() < 0.6 else "",
    )


def _metrics(products, rng, people, now) -> dict[str, int]:
    metrics = []
    for product in products:
        for name, kind, direction in METRICS:
            baseline = round(rng.uniform(10, 100), 2)
            sign = 1 if direction == "higher" else -1
            metrics.append(
                SuccessMetric(
                    product=product,
                    name=name,
                    kind=kind,
                    direction=direction,
                    baseline=baseline,
                    baseline_at=(now - timedelta(days=300)).date(),
                    target=round(baseline * (1 + sign * 0.2), 2),
                    target_date=(now + timedelta(days=90)).date(),
                    owner=product.pm_owner,
                    cadence_days=rng.choice([7, 14, 30]),
                )
            )
    measurements = []
    for metric in metrics:
        value = metric.baseline
        last = None
        for n in range(20):
            value = round(value * rng.uniform(0.97, 1.04), 3)
            last = now - timedelta(days=300 - n * 15)
            measurements.append(
                Measurement(metric=metric, value=value, measured_at=last, source="api")
            )
        if metric.product.stage != Stage.RETIRED:
            metric.next_due_at = last + timedelta(days=metric.cadence_days)
    # The metrics first (with their next due date, as the services keep it): the
    # measurements take their ids when inserted.
    bulk_insert(SuccessMetric, metrics)
    bulk_insert(Measurement, measurements)
    return {"metrics": len(metrics), "measurements": len(measurements)}


def _slas(products, rng, now) -> dict[str, int]:
    slas = bulk_insert(
        ServiceLevel,
        [
            ServiceLevel(
                product=p,
                name=name,
                indicator=indicator,
                comparator=comparator,
                threshold=threshold,
                window_days=28,
                objective=99.0,
            )
            for p in products
            for name, indicator, comparator, threshold in (
                ("Latency", "latency_p99_ms", "lte", 100),
                ("Availability", "availability_pct", "gte", 99.5),
            )
        ],
    )
    checks = []
    for sla in slas:
        for n in range(10):
            ok = rng.random() < 0.97
            value = (
                (80 if ok else 150)
                if sla.comparator == "lte"
                else (99.9 if ok else 97.0)
            )
            checks.append(
                SLACheck(
                    sla=sla,
                    value=value,
                    passed=ok,
                    source="api",
                    checked_at=now - timedelta(days=n * 2, hours=rng.randint(0, 23)),
                )
            )
    bulk_insert(SLACheck, checks)
    return {"slas": len(slas), "sla_checks": len(checks)}


def _feature(product, n, rng) -> FeatureSource:
    rating = rng.choice(["good", "good", "fair", "poor", ""])
    return FeatureSource(
        product=product,
        feature=f"feature_{n}",
        source_kind=rng.choice(
            ["oltp_database", "warehouse", "stream", "external_api"]
        ),
        available_in_production=rng.choice(
            ["yes", "yes", "yes", "partial", "no", "unknown"]
        ),
        skew_risk=rng.choice(["low", "medium", "high"]),
        **{f"quality_{d}": rating for d in QUALITY_DIMENSIONS},
    )


# What the alerts that opened the incidents were about, by kind.
INCIDENT_TITLES = {
    Kind.DRIFT: "Input drift on feature_{n}",
    Kind.SLA_BREACH: "Latency SLO burn rate above 10x",
    Kind.DATA_QUALITY: "Null rate of feature_{n} above 5%",
    Kind.OUTAGE: "Scoring service error rate above 5%",
    Kind.BAD_PREDICTIONS: "Score distribution shifted against the shadow model",
    Kind.OTHER: "Labels older than the evaluation window",
}


def _incident(product, n, rng, now) -> Incident:
    kind = rng.choice(Kind.values)
    started = now - timedelta(days=rng.randint(0, 360), minutes=rng.randint(0, 1440))
    detected = started + timedelta(minutes=rng.randint(1, 240))
    resolved = detected + timedelta(minutes=rng.randint(10, 3000))
    done = resolved < now and rng.random() < 0.9
    return Incident(
        product=product,
        title=INCIDENT_TITLES[kind].format(n=n % 4),
        kind=kind,
        severity=rng.choice(Severity.values),
        status=Status.RESOLVED if done else Status.OPEN,
        source="api",
        started_at=started,
        detected_at=detected,
        resolved_at=resolved if done else None,
    )
