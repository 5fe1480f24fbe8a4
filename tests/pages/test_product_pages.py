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
from tracker.accounts.models import Visibility
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


# Four queries every tab reads (the session, the user, the product, the bell's
# unread count in the top bar; alice owns the product, so whether she may edit
# it needs no query), then each tab's own.
TAB_QUERIES = {
    # the stage timeline, readiness (one query), the ML Test Score, the open
    # incidents
    "detail": 4 + 4,
    # the metrics, their latest values and their histories, the chart
    # markers, the SLAs, their compliance and latest checks, cost and value,
    # the weekly feedback
    "metrics": 4 + 9,
    # the rollout steps, the experiments and their arms' results, what serves
    # where, the latest deployments, CI
    "delivery": 4 + 7,
    # the open action items (counted, then the first ones), the sessions, the
    # decisions with their approvals
    "work": 4 + 5,
}


@pytest.mark.parametrize("tab", TAB_QUERIES)
def test_each_tab_reads_as_many_queries_whatever_the_rows(
    alice_client, product, django_assert_num_queries, tab
):
    _populate(product, 1)
    assert alice_client.get(url(tab, product.slug)).status_code == 200
    with django_assert_num_queries(TAB_QUERIES[tab]):
        alice_client.get(url(tab, product.slug))
    _populate(product, 5)
    with django_assert_num_queries(TAB_QUERIES[tab]):
        alice_client.get(url(tab, product.slug))


def test_metrics_tab_shows_kpi_baseline_latest_target_and_chart(alice_client, product):
    metric = MetricFactory(
        product=product, name="Chargebacks", baseline=100, target=200
    )
    MeasurementFactory(metric=metric, value=150)
    content = alice_client.get(url("metrics", product.slug)).content.decode()
    assert "Chargebacks" in content
    assert "50%" in content  # progress from 100 towards 200
    assert '<svg class="chart"' in content


def test_detail_flags_missing_personas_and_the_survey_risky_features(
    alice_client, product
):
    FeatureFactory(product=product, feature="device_id", available_in_production="no")
    content = alice_client.get(product.get_absolute_url()).content.decode()
    assert "Missing: ML, Engineering owner." in content
    survey = alice_client.get(url("survey", product.slug)).content.decode()
    assert 'class="risky"' in survey


def test_every_tab_of_an_empty_product_offers_next_steps(alice_client, product):
    def page(name):
        return alice_client.get(url(name, product.slug)).content.decode()

    # The overview's readiness checklist leads to each missing piece.
    overview = page("detail")
    assert "No open incidents." in overview
    for missing in ("metric_create", "sla_create", "survey"):
        assert f'href="{url(missing, product.slug)}"' in overview
    metrics = page("metrics")
    assert "No success metrics yet." in metrics and "No SLA defined." in metrics
    assert "No features surveyed yet." in page("survey")
    delivery = page("delivery")
    assert "No rollout plan" in delivery and "No experiment yet" in delivery
    work = page("work")
    assert "No planning sessions recorded." in work
    assert "No decisions recorded." in work


def test_the_tabs_lead_to_each_other_and_mark_the_current_one(alice_client, product):
    for name in ("detail", "metrics", "delivery", "work", "survey"):
        content = alice_client.get(url(name, product.slug)).content.decode()
        for other in ("detail", "metrics", "delivery", "work", "survey"):
            link = f'href="{url(other, product.slug)}"'
            current = f'{link} aria-current="page"'
            assert (current in content) is (other == name), (name, other)
            assert link in content


@pytest.mark.parametrize("tab", TAB_QUERIES)
def test_outsider_reads_every_tab_without_edit_controls(carol_client, product, tab):
    response = carol_client.get(url(tab, product.slug))
    assert response.status_code == 200
    content = response.content.decode()
    for control in ("Edit product", "Add metric", "Add SLA", "New experiment"):
        assert control not in content


@pytest.mark.parametrize("tab", ["metrics", "delivery", "work"])
def test_a_tab_of_an_unknown_or_private_product_is_404(carol_client, product, tab):
    assert carol_client.get(url(tab, "missing")).status_code == 404
    assert carol_client.get(url(tab, product.slug)).status_code == 200
    product.team.visibility = Visibility.PRIVATE
    product.team.save()
    assert carol_client.get(url(tab, product.slug)).status_code == 404


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
