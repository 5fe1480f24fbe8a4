"""The outcomes pages: rating from the page, bad input as form errors (never a
500), the team's forms refused to outsiders."""

import pytest

from tracker.outcomes.models import Consumer, Cost, Feedback
from tracker.products.models import Segment

pytestmark = pytest.mark.django_db


def test_rate_a_prediction_from_the_page(carol_client, product):
    Segment.objects.create(product=product, name="region=eu")
    url = f"/products/{product.slug}/feedback/add/"
    response = carol_client.post(url, {"rating": "bad", "segment": "region=eu"})
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert feedback.segment.name == "region=eu"
    bad = carol_client.post(url, {"rating": "meh", "segment": "region=mars"})
    assert bad.status_code == 400
    assert "rating" in bad.context["feedback_form"].errors
    assert "segment" in bad.context["feedback_form"].errors
    page = carol_client.get(f"/products/{product.slug}/feedback/?rating=bad")
    assert page.status_code == 200
    assert "threshold_form" not in page.context  # not on the team


def test_threshold_is_the_teams(alice, carol, other_team, product):
    from django.test import Client

    alice_client, carol_client = Client(), Client()
    alice_client.force_login(alice)
    carol_client.force_login(carol)
    url = f"/products/{product.slug}/feedback/threshold/"
    body = {
        "feedback_bad_percent": 30,
        "feedback_min_ratings": 5,
        "feedback_window_hours": 12,
    }
    assert carol_client.post(url, body).status_code == 403
    assert alice_client.post(url, body).status_code == 302
    product.refresh_from_db()
    assert product.feedback_bad_percent == 30
    bad = alice_client.post(url, {**body, "feedback_bad_percent": 0})
    assert bad.status_code == 400


def test_negative_cost_is_a_form_error(alice_client, product):
    url = f"/products/{product.slug}/value/costs/add/"
    response = alice_client.post(
        url, {"kind": "build", "amount": "-3", "incurred_at": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "amount" in response.context["cost_form"].errors
    assert not Cost.objects.exists()


def test_consumer_with_unknown_owner_is_a_form_error(alice_client, product):
    url = f"/products/{product.slug}/contracts/consumers/add/"
    response = alice_client.post(
        url, {"name": "Desk", "owner": "nobody", "relies_on": "score"}
    )
    assert response.status_code == 400
    assert "owner" in response.context["consumer_form"].errors
    assert not Consumer.objects.exists()
