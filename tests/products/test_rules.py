"""Rules that moved from the HTML forms into the models, so the API shares them:
the HTML pages must still show them beside their fields."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import MetricFactory
from tracker.products.models import Measurement, Product


def test_critical_product_needs_worst_case_in_the_html_form(alice_client, team):
    response = alice_client.post(
        "/products/new/",
        {
            "name": "Risky",
            "slug": "risky",
            "team": team.pk,
            "stage": "proposed",
            "risk_tier": "critical",
        },
    )
    assert response.status_code == 200
    assert "worst_case_matters" in response.context["form"].errors
    assert not Product.objects.filter(slug="risky").exists()


def test_metric_baseline_needs_a_date_in_the_html_form(alice_client, product):
    response = alice_client.post(
        f"/products/{product.slug}/metrics/new/",
        {
            "name": "Losses",
            "kind": "business_kpi",
            "direction": "lower",
            "baseline": "5",
            "target": "5",
            "cadence_days": "30",
        },
    )
    assert response.status_code == 200
    assert {"baseline_at", "target"} <= set(response.context["form"].errors)


def test_future_measurement_is_refused_in_the_html_form(alice_client, product):
    metric = MetricFactory(product=product, baseline=None)
    later = timezone.localtime() + timedelta(days=1)
    response = alice_client.post(
        metric.get_absolute_url(),
        {"value": "3", "measured_at": later.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    assert "measured_at" in response.context["form"].errors
    assert not Measurement.objects.exists()


def test_session_attendees_offered_are_the_team_and_owners(
    alice_client, product, carol
):
    response = alice_client.get(f"/products/{product.slug}/sessions/new/")
    offered = {
        u.username for u in response.context["form"].fields["attendees"].queryset
    }
    assert offered == {"alice", "bob"}
