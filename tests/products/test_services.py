from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SLAFactory,
)
from tracker.products import services
from tracker.products.models import Product, StageChange

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_product_create_starts_the_stage_timeline(team, alice):
    product = services.product_create(
        actor=alice, data={"name": "Churn", "slug": "churn", "team": team}
    )
    change = product.stage_changes.get()
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        "",
        "proposed",
        alice,
    )
    assert product.launched_at is None


def test_a_product_is_never_created_past_the_readiness_gate(team, alice):
    for stage in ("pilot", "production"):
        with pytest.raises(ValidationError) as error:
            services.product_create(
                actor=alice,
                data={"name": "Churn", "slug": "churn", "team": team, "stage": stage},
            )
        assert "stage" in error.value.message_dict
    assert not Product.objects.exists()


def test_product_create_rejects_a_duplicate_slug_and_writes_nothing(
    team, alice, product
):
    with pytest.raises(ValidationError) as error:
        services.product_create(
            actor=alice, data={"name": "Other", "slug": product.slug, "team": team}
        )
    assert "slug" in error.value.message_dict
    assert Product.objects.count() == 1
    assert StageChange.objects.filter(product__name="Other").count() == 0


@time_machine.travel(NOW, tick=False)
def test_entering_production_sets_launch_once_and_starts_follow_ups(product, alice):
    metric = MetricFactory(product=product, cadence_days=14)
    assert metric.next_due_at is None  # not launched, nothing measured yet

    services.product_change_stage(product=product, stage="production", actor=alice)
    metric.refresh_from_db()
    assert product.launched_at == NOW
    assert metric.next_due_at == NOW + timedelta(days=14)

    later = NOW + timedelta(days=30)
    services.product_change_stage(
        product=product, stage="retired", actor=alice, at=later
    )
    assert product.launched_at == NOW
    assert [c.to_stage for c in product.stage_changes.all()] == [
        "production",
        "retired",
    ]


def test_measurement_moves_the_next_follow_up(product, alice):
    metric = services.metric_create(
        product=product,
        data={"name": "Revenue", "kind": "business_kpi", "cadence_days": 7},
    )
    measured_at = timezone.now() - timedelta(days=2)
    services.measurement_record(
        metric=metric, value=3.0, measured_at=measured_at, actor=alice
    )
    metric.refresh_from_db()
    assert metric.next_due_at == measured_at + timedelta(days=7)


def test_deleting_the_latest_measurement_reschedules_from_the_one_before(
    product, alice
):
    metric = MetricFactory(product=product, cadence_days=10)
    older = timezone.now() - timedelta(days=20)
    MeasurementFactory(metric=metric, measured_at=older)
    newest = services.measurement_record(
        metric=metric, value=1.0, measured_at=timezone.now(), actor=alice
    )
    services.measurement_delete(measurement=newest)
    metric.refresh_from_db()
    assert metric.next_due_at == older + timedelta(days=10)


def test_sla_check_is_judged_against_the_comparator(product, alice):
    latency = SLAFactory(product=product, comparator="lte", threshold=100)
    uptime = SLAFactory(product=product, comparator="gte", threshold=99.9)
    now = timezone.now()
    assert services.sla_check_record(
        sla=latency, value=100, checked_at=now, actor=alice
    ).passed
    assert not services.sla_check_record(
        sla=latency, value=101, checked_at=now, actor=alice
    ).passed
    assert services.sla_check_record(
        sla=uptime, value=99.95, checked_at=now, actor=alice
    ).passed
    assert not services.sla_check_record(
        sla=uptime, value=99.0, checked_at=now, actor=alice
    ).passed


def test_metric_update_reports_what_changed_and_reschedules(product):
    metric = MetricFactory(product=product, cadence_days=30)
    MeasurementFactory(metric=metric, measured_at=timezone.now() - timedelta(days=1))
    changed = services.metric_update(
        metric=metric, data={"cadence_days": 5, "unit": ""}
    )
    metric.refresh_from_db()
    assert changed == ["cadence_days"]
    assert metric.next_due_at.date() == (timezone.now() + timedelta(days=4)).date()


def test_session_create_records_attendees(product, alice, bob):
    session = services.session_create(
        product=product,
        actor=alice,
        data={
            "title": "Kick-off",
            "held_at": timezone.now(),
            "attendees": [alice, bob],
        },
    )
    assert set(session.attendees.all()) == {alice, bob}
    assert session.created_by == alice


@pytest.mark.parametrize(
    ("model_kwargs", "constraint"),
    [
        (
            {"stage": "production", "launched_at": None},
            "product_in_production_has_launch_date",
        ),
        ({"stage": "shipped"}, "product_stage_valid"),
        ({"risk_tier": "extreme"}, "product_risk_tier_valid"),
    ],
)
def test_database_rejects_invalid_products(team, model_kwargs, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Product.objects.create(
            name="X",
            slug="x",
            team=team,
            stage_entered_at=timezone.now(),
            **model_kwargs,
        )


def test_database_rejects_sla_objective_outside_percent(product):
    with (
        pytest.raises(IntegrityError, match="sla_objective_percent"),
        transaction.atomic(),
    ):
        SLAFactory(product=product, objective=0)


def test_database_rejects_zero_cadence(product):
    with (
        pytest.raises(IntegrityError, match="metric_cadence_range"),
        transaction.atomic(),
    ):
        MetricFactory(product=product, cadence_days=0)


def test_two_products_may_share_a_metric_name(team):
    first, second = ProductFactory(team=team), ProductFactory(team=team)
    MetricFactory(product=first, name="Revenue")
    MetricFactory(product=second, name="Revenue")
    with pytest.raises(ValidationError):
        services.metric_create(product=first, data={"name": "Revenue"})
