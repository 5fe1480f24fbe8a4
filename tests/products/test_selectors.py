from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
    UserFactory,
)
from tracker.products import selectors
from tracker.products.models import QUALITY_DIMENSIONS


def test_anyone_signed_in_reads_but_only_team_and_owners_edit(
    product, alice, bob, carol
):
    assert selectors.product_get_for_user(user=carol, slug=product.slug) == product
    assert selectors.product_get_for_user(user=bob, slug=product.slug, for_edit=True)
    with pytest.raises(PermissionDenied):
        selectors.product_get_for_user(user=carol, slug=product.slug, for_edit=True)


def test_an_owner_outside_the_team_may_edit(product, carol):
    product.eng_owner = carol
    product.save()
    assert selectors.user_can_edit_product(carol, product)


def test_unknown_product_is_404(alice):
    with pytest.raises(Http404):
        selectors.product_get_for_user(user=alice, slug="nope")


def test_progress_runs_from_baseline_to_target_in_either_direction(product):
    higher = MetricFactory(
        product=product, baseline=100, target=150, direction="higher"
    )
    lower = MetricFactory(product=product, baseline=10, target=5, direction="lower")
    assert higher.progress(125) == 0.5
    assert lower.progress(6) == pytest.approx(0.8)
    assert lower.progress(12) == pytest.approx(-0.4)
    assert higher.progress(None) is None
    assert MetricFactory(product=product, baseline=None).progress(5) is None


def test_latest_value_comes_from_the_newest_measurement(product):
    metric = MetricFactory(product=product)
    now = timezone.now()
    MeasurementFactory(metric=metric, value=1, measured_at=now - timedelta(days=3))
    MeasurementFactory(metric=metric, value=9, measured_at=now - timedelta(days=1))
    MeasurementFactory(metric=metric, value=5, measured_at=now - timedelta(days=2))
    [loaded] = selectors.metric_list_with_latest(product=product)
    assert loaded.latest.value == 9
    assert [m.value for m in loaded.history] == [1, 5, 9]


def test_compliance_counts_only_checks_inside_the_window(product):
    sla = SLAFactory(product=product, threshold=100, window_days=7, objective=90)
    now = timezone.now()
    for value in (50, 60, 70, 150):  # 3 of 4 pass inside the window
        SLACheckFactory(sla=sla, value=value, checked_at=now - timedelta(days=1))
    SLACheckFactory(sla=sla, value=500, checked_at=now - timedelta(days=8))  # outside
    compliance = selectors.sla_compliance(sla=sla, now=now)
    assert (compliance.total, compliance.passed) == (4, 3)
    assert compliance.ratio == 0.75
    assert compliance.meets_objective is False
    # 10% of 4 checks may fail (0.4); one failed: budget overspent 2.5 times.
    assert compliance.budget_remaining == pytest.approx(1 - 1 / 0.4)
    [listed] = selectors.sla_list_with_compliance(product=product, now=now)
    assert listed.compliance == compliance


def test_compliance_without_checks_is_unknown(product):
    compliance = selectors.sla_compliance(sla=SLAFactory(product=product))
    assert compliance.ratio is None
    assert compliance.budget_remaining is None


def _rate_all(feature, rating="good"):
    for dimension in QUALITY_DIMENSIONS:
        setattr(feature, f"quality_{dimension}", rating)
    feature.save()
    return feature


def test_survey_is_complete_only_when_every_feature_is_rated(product):
    rated = _rate_all(FeatureFactory(product=product))
    half = FeatureFactory(product=product, quality_validity="good")
    status = selectors.survey_status([rated, half])
    assert (status.total, status.rated, status.complete) == (2, 1, False)
    _rate_all(half)
    assert selectors.survey_status([rated, half]).complete


def test_unknown_counts_as_not_rated(product):
    feature = _rate_all(FeatureFactory(product=product), rating="unknown")
    assert not feature.is_rated
    feature = _rate_all(
        FeatureFactory(product=product, available_in_production="unknown")
    )
    assert not feature.is_rated


def test_risky_features_are_the_unavailable_the_skewed_and_the_stale(product):
    fine = FeatureFactory(product=product, skew_risk="low")
    assert not fine.is_risky
    assert FeatureFactory(product=product, available_in_production="partial").is_risky
    assert FeatureFactory(product=product, skew_risk="high").is_risky
    stale = FeatureFactory(
        product=product,
        freshness_needed=timedelta(minutes=5),
        freshness_actual=timedelta(hours=1),
    )
    assert stale.freshness_gap and stale.is_risky


def test_personas_present(product, alice, bob):
    ml = UserFactory(username="mel")
    product.ml_owner = ml
    product.save()
    session = SessionFactory(product=product)
    session.attendees.set([alice, bob])
    assert selectors.personas_present(session, product) == {
        "pm": True,
        "ml": False,
        "eng": False,
    }


def test_owners_aligned_needs_three_people_or_accepted_sharing(product, alice, bob):
    product.ml_owner = bob
    assert not product.owners_aligned
    assert product.missing_owner_roles == ["Engineering"]
    product.eng_owner = bob
    assert not product.owners_aligned
    product.shared_ownership_accepted = True
    assert product.owners_aligned
