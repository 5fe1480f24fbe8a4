"""The product screens the pages app composes: the product page, a metric's
page (recording a measurement) and the planning-session workspace."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
    survey_form,
)
from tracker.products.experiments import experiment_create, rollout_step_create
from tracker.products.models import (
    FeatureSource,
    Measurement,
    PlanningSession,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"products:{name}", args=args)


def _populate(product, n):
    for _ in range(n):
        metric = MetricFactory(product=product)
        MeasurementFactory(metric=metric)
        MeasurementFactory(
            metric=metric, measured_at=timezone.now() - timedelta(days=9)
        )
        SLACheckFactory(sla=SLAFactory(product=product))
        FeatureFactory(product=product)
        SessionFactory(product=product)
        rollout_step_create(product=product, data={"kind": "shadow"})
        experiment_create(
            product=product,
            data={
                "name": f"A/B on {metric.name}",
                "metric": metric,
                "arms": ["control", "model"],
                "started_at": timezone.now() - timedelta(days=20),
            },
            actor=None,
        )


def test_detail_query_count_does_not_grow_with_rows(
    alice_client, product, django_assert_num_queries
):
    _populate(product, 1)
    response = alice_client.get(product.get_absolute_url())
    assert response.status_code == 200
    # The page's own queries (1 of them the History card's, 1 the decisions', 3
    # the model in service's: chart markers, what serves where, latest
    # deployments, 3 the cost and value and the weekly feedback's, 4 the
    # rollout steps and the experiments with their arms' results) plus 1 for
    # the unread count of the bell in the top bar.
    with django_assert_num_queries(31) as small:
        alice_client.get(product.get_absolute_url())
    _populate(product, 5)
    with django_assert_num_queries(len(small.captured_queries)):
        alice_client.get(product.get_absolute_url())


def test_detail_shows_kpi_baseline_latest_target_and_chart(alice_client, product):
    metric = MetricFactory(
        product=product, name="Chargebacks", baseline=100, target=200
    )
    MeasurementFactory(metric=metric, value=150)
    content = alice_client.get(product.get_absolute_url()).content.decode()
    assert "Chargebacks" in content
    assert "50%" in content  # progress from 100 towards 200
    assert '<svg class="chart"' in content


def test_detail_flags_missing_personas_and_risky_features(alice_client, product):
    FeatureFactory(product=product, feature="device_id", available_in_production="no")
    content = alice_client.get(product.get_absolute_url()).content.decode()
    assert "Missing: ML, Engineering owner." in content
    assert 'class="risky"' in content


def test_empty_product_page_offers_next_steps(alice_client, product):
    content = alice_client.get(product.get_absolute_url()).content.decode()
    assert "No success metrics yet." in content
    assert "No SLA defined." in content
    assert "No features surveyed yet." in content
    assert "No planning sessions recorded." in content


def test_outsider_reads_without_edit_controls(carol_client, product):
    content = carol_client.get(product.get_absolute_url()).content.decode()
    assert response_ok(carol_client, product.get_absolute_url())
    assert "Edit product" not in content
    assert "Add metric" not in content


def response_ok(client, path):
    return client.get(path).status_code == 200


def test_unknown_slug_is_404(alice_client):
    assert alice_client.get(url("detail", "missing")).status_code == 404


def test_metric_of_another_product_is_404_through_this_product(
    alice_client, product, team
):
    foreign = MetricFactory(product=ProductFactory(team=team))
    assert (
        alice_client.get(url("metric_detail", product.slug, foreign.pk)).status_code
        == 404
    )


def test_recording_a_measurement(alice_client, product):
    metric = MetricFactory(product=product)
    when = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = alice_client.post(
        url("metric_detail", product.slug, metric.pk),
        {"value": "123.5", "measured_at": when, "note": "weekly"},
    )
    assert response.status_code == 302
    assert Measurement.objects.get().value == 123.5
    assert b"123.5" in alice_client.get(metric.get_absolute_url()).content


@pytest.mark.parametrize(
    "data",
    [
        {"value": "inf", "measured_at": "2026-01-01T10:00"},
        {"value": "", "measured_at": "2026-01-01T10:00"},
        {"value": "1", "measured_at": "yesterday"},
        {"value": "1", "measured_at": "2999-01-01T10:00"},
        {"value": "1e400", "measured_at": "2026-01-01T10:00"},
    ],
)
def test_bad_measurements_are_refused(alice_client, product, data):
    metric = MetricFactory(product=product)
    response = alice_client.post(url("metric_detail", product.slug, metric.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Measurement.objects.exists()


def test_session_workspace_records_decisions_and_survey_rows(
    alice_client, product, alice, bob
):
    response = alice_client.post(
        url("session_create", product.slug),
        {
            "title": "Kick-off",
            "held_at": "2026-03-01T10:00",
            "attendees": [alice.pk, bob.pk],
        },
    )
    session = PlanningSession.objects.get()
    assert response["Location"] == session.get_absolute_url()
    alice_client.post(
        url("session_notes", product.slug, session.pk),
        {"decisions": "Start with rules", "open_questions": "", "notes": ""},
    )
    alice_client.post(
        url("session_survey_add", product.slug, session.pk), survey_form()
    )
    session.refresh_from_db()
    assert session.decisions == "Start with rules"
    content = alice_client.get(session.get_absolute_url()).content.decode()
    assert "Start with rules" in content and "card_velocity_1h" in content
    assert "PM ✓" in content and "ML ✗" in content


def test_session_survey_errors_stay_in_the_workspace(alice_client, product):
    session = SessionFactory(product=product)
    response = alice_client.post(
        url("session_survey_add", product.slug, session.pk),
        survey_form(freshness_needed="x"),
    )
    assert response.status_code == 400
    assert "Enter a duration" in response.content.decode()
    assert not FeatureSource.objects.exists()


def test_session_attendees_must_be_team_members_or_owners(alice_client, product, carol):
    response = alice_client.post(
        url("session_create", product.slug),
        {"title": "Kick-off", "held_at": "2026-03-01T10:00", "attendees": [carol.pk]},
    )
    assert "attendees" in response.context["form"].errors
