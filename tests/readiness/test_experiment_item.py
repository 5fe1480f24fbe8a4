"""Readiness: high and critical risk products need a finished experiment whose
interval excludes zero on the metric's good side before production; the item
names the experiment and why it fails, and the gate asks for an override."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import MetricFactory, ProductFactory, record_arms
from tracker.products.experiments import experiment_create
from tracker.products.models import Product
from tracker.readiness import selectors, services
from tracker.readiness.models import GateOverride

pytestmark = pytest.mark.django_db

CONTROL = [10.0, 11.0, 12.0, 11.5, 10.5]
MODEL = [13.0, 14.0, 13.5, 14.5, 15.0]


def item(product):
    product.refresh_from_db()
    found = {i.key: i for i in selectors.readiness_for_product(product).items}
    return found["experiment"]


@pytest.fixture
def risky(team, alice):
    return ProductFactory(
        team=team, risk_tier="high", stage="pilot", pm_owner=alice, slug="risky"
    )


def run(product, arms, *, direction="higher", ended=True, name="A/B"):
    metric = MetricFactory(product=product, name=f"KPI {name}", direction=direction)
    start = timezone.now() - timedelta(days=20)
    experiment = experiment_create(
        product=product,
        data={
            "name": name,
            "metric": metric,
            "arms": list(arms),
            "started_at": start,
            "ended_at": start + timedelta(days=10) if ended else None,
        },
        actor=None,
    )
    record_arms(metric, start + timedelta(hours=1), arms)
    return experiment


@pytest.mark.parametrize(
    ("risk", "stage", "asked"),
    [
        ("low", "pilot", False),
        ("medium", "production", False),
        ("high", "building", False),  # entering the pilot does not need it yet
        ("high", "pilot", True),
        ("critical", "production", True),
    ],
)
def test_asked_of_high_risk_on_the_way_to_production(team, risk, stage, asked):
    launched = timezone.now() if stage == "production" else None
    product = ProductFactory(
        team=team,
        risk_tier=risk,
        stage=stage,
        launched_at=launched,
        worst_case_matters=True,
    )
    assert (item(product).passed is not None) is asked


def test_no_experiment_fails_with_the_way_to_fix_it(risky):
    found = item(risky)
    assert found.passed is False
    assert "No finished experiment" in found.detail
    assert found.fix_url.endswith("/products/risky/delivery/#experiments-h")


def test_a_significant_finished_experiment_passes(risky):
    run(risky, {"control": CONTROL, "model": MODEL})
    found = item(risky)
    assert found.passed is True
    assert "“A/B”" in found.detail


def test_a_running_experiment_does_not_count(risky):
    run(risky, {"control": CONTROL, "model": MODEL}, ended=False)
    assert "No finished experiment" in item(risky).detail


def test_the_wrong_direction_fails_naming_the_experiment_and_interval(risky):
    run(risky, {"control": CONTROL, "model": MODEL}, direction="lower")
    found = item(risky)
    assert found.passed is False
    assert "“A/B”" in found.detail
    assert "does not exclude zero" in found.detail
    assert "+1.85 to +4.15" in found.detail  # 3 ± 2.306 · 0.5, by hand


def test_not_enough_data_fails_saying_so(risky):
    run(risky, {"control": CONTROL, "model": [14.0]})
    found = item(risky)
    assert found.passed is False
    assert "arm model: not enough data" in found.detail


def test_one_significant_experiment_among_failing_ones_passes(risky):
    run(risky, {"control": CONTROL, "model": [14.0]}, name="Early")
    run(risky, {"control": CONTROL, "model": MODEL}, name="Later")
    assert item(risky).passed is True


def test_query_count_is_fixed_for_many_risky_products(team, django_assert_num_queries):
    for n in range(3):
        run(
            ProductFactory(team=team, risk_tier="high", stage="pilot"),
            {"control": CONTROL, "model": MODEL},
            name=f"X{n}",
        )
    # One for the checklist, two for every product's experiments and arms.
    with django_assert_num_queries(3):
        found = selectors.readiness_for_products(Product.objects.all())
        assert all(r.passed["experiment"] for r in found.values())


def test_gate_to_production_needs_an_override_without_it(risky, alice):
    with pytest.raises(services.GateBlocked) as blocked:
        services.product_change_stage_gated(
            product=risky, stage="production", actor=alice
        )
    assert "experiment" in [i.key for i in blocked.value.failing]
    change = services.product_change_stage_gated(
        product=risky,
        stage="production",
        actor=alice,
        note="Launch agreed without an A/B test.",
        override=True,
    )
    keys = [
        i["key"] for i in GateOverride.objects.get(stage_change=change).failing_items
    ]
    assert "experiment" in keys
