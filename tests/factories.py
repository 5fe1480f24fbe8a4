"""Deterministic factories: sequences, never random values."""

import datetime
from datetime import timedelta

import factory
from django.utils import timezone

from tracker.accounts.models import Membership, Team, User
from tracker.incidents.models import Incident
from tracker.products.models import (
    FeatureSource,
    Measurement,
    PlanningSession,
    Product,
    ServiceLevel,
    SLACheck,
    SuccessMetric,
)
from tracker.products.services import measurement_record


def staff_reader() -> User:
    """Someone who reads every team's products (staff), not saved: for
    selectors asked about the whole organisation."""
    return User(username="staff-reader", is_staff=True)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.django.Password("password")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        # Members are Membership rows; the team itself needs no second save.
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        for user in extracted or []:
            Membership.objects.create(team=self, user=user)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    team = factory.SubFactory(TeamFactory)
    stage_entered_at = factory.LazyFunction(timezone.now)


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuccessMetric

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    kind = "business_kpi"
    baseline = 100.0
    baseline_at = datetime.date(2026, 1, 1)
    target = 150.0
    cadence_days = 30


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    metric = factory.SubFactory(MetricFactory)
    value = 110.0
    measured_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class SLAFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLevel

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"SLA {n}")
    indicator = "latency_p95_ms"
    comparator = "lte"
    threshold = 100.0
    window_days = 7
    objective = 90.0


class SLACheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLACheck

    sla = factory.SubFactory(SLAFactory)
    value = 50.0
    checked_at = factory.LazyFunction(timezone.now)
    passed = factory.LazyAttribute(lambda c: c.sla.meets(c.value))


class FeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeatureSource

    product = factory.SubFactory(ProductFactory)
    feature = factory.Sequence(lambda n: f"feature_{n}")
    source_kind = "oltp_database"
    available_in_production = "yes"


def survey_form(**overrides):
    """The fields of a survey row as its page form posts them: a risky one."""
    data = {
        "feature": "card_velocity_1h",
        "source_kind": "stream",
        "available_in_production": "partial",
        "computation": "streaming_aggregate",
        "freshness_needed": "1m",
        "freshness_actual": "1h",
        "skew_risk": "high",
        "simpler_alternative": "Count in the OLTP table",
    }
    return data | overrides


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanningSession

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    held_at = factory.LazyFunction(timezone.now)


class IncidentFactory(factory.django.DjangoModelFactory):
    """An open incident straight in the table (tests of behaviour use services)."""

    class Meta:
        model = Incident

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Incident {n}")
    kind = "drift"
    severity = "sev3"
    status = "open"
    source = "ui"
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    detected_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


def record_arms(metric, start, values_by_arm, *, actor=None):
    """Each experiment arm's values on `metric`, one a day from `start`."""
    for arm, values in values_by_arm.items():
        for day, value in enumerate(values):
            measurement_record(
                metric=metric,
                value=value,
                measured_at=start + timedelta(days=day),
                actor=actor,
                arm=arm,
            )
