"""Feedback: who may post it, bad input, the list's filters, and the
bad_predictions incident that opens once when the share of bad ratings passes
the product's threshold."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tracker.incidents.models import Incident, Kind, Status
from tracker.incidents.services.incidents import incident_resolve
from tracker.outcomes import services
from tracker.outcomes.models import Feedback
from tracker.products.models import Segment

pytestmark = pytest.mark.django_db


def _url(product):
    return f"/api/v1/products/{product.slug}/feedback/"


def _rate(product, *ratings, at=None):
    for rating in ratings:
        services.feedback_submit(
            product=product, data={"rating": rating}, actor=None, now=at
        )


def test_person_and_ci_token_post_feedback(bob_api, ci_api, product):
    Segment.objects.create(product=product, name="region=eu")
    response = bob_api.post(
        _url(product),
        {
            "rating": "bad",
            "prediction_id": "tx-42",
            "segment": "region=eu",
            "comment": "Flagged a regular customer.",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rating"] == "bad"
    assert body["segment"] == "region=eu"
    assert body["submitted_by"] == "bob"
    assert body["incident"] is None
    assert ci_api.post(_url(product), {"rating": "good"}).status_code == 201
    listed = bob_api.get(_url(product), {"rating": "bad"}).json()
    assert [f["prediction_id"] for f in listed["results"]] == ["tx-42"]
    by_segment = bob_api.get(_url(product), {"segment": "region=eu"}).json()
    assert by_segment["count"] == 1


def test_a_reader_outside_the_team_may_rate_an_organisation_product(carol_api, product):
    # The people who use a model are rarely on the team that builds it.
    assert carol_api.post(_url(product), {"rating": "good"}).status_code == 201


def test_private_product_is_404(carol_api, product):
    product.team.visibility = "private"
    product.team.save()
    assert carol_api.post(_url(product), {"rating": "good"}).status_code == 404
    assert carol_api.get(_url(product)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "meh"}, "rating"),
        ({}, "rating"),
        ({"rating": "bad", "segment": "region=mars"}, "segment"),
        ({"rating": "bad", "segment": "not a segment"}, "segment"),
        ({"rating": "bad", "prediction_id": "x" * 201}, "prediction_id"),
        ({"rating": "bad", "colour": "red"}, "colour"),
    ],
)
def test_bad_feedback_is_a_400_naming_the_field(bob_api, product, body, field):
    Segment.objects.create(product=product, name="region=eu")
    response = bob_api.post(_url(product), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Feedback.objects.exists()


def test_feedback_is_rate_limited(bob_api, product, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "feedback": "2/min",
        },
    }
    codes = [bob_api.post(_url(product), {"rating": "good"}).status_code for _ in "abc"]
    assert codes == [201, 201, 429]


def test_under_the_minimum_count_no_incident_opens(product):
    _rate(product, *["bad"] * 9)
    assert not Incident.objects.exists()


def test_share_at_the_threshold_is_not_past_it(product):
    # 2 of 10 is exactly 20%: "passes" means more than the threshold.
    _rate(product, *["good"] * 8, "bad", "bad")
    assert not Incident.objects.exists()


def test_passing_the_threshold_opens_one_incident_linking_the_feedback(product):
    _rate(product, *["good"] * 7, "bad", "bad")
    assert not Incident.objects.exists()
    _rate(product, "bad")  # 3 of 10 bad
    incident = Incident.objects.get()
    assert incident.kind == Kind.BAD_PREDICTIONS
    assert incident.product == product
    assert incident.source == "feedback"
    assert set(incident.feedback.values_list("rating", flat=True)) == {"bad"}
    assert incident.feedback.count() == 3
    # While it is open, more bad ratings join it; no second one opens.
    _rate(product, "bad", "bad")
    assert Incident.objects.count() == 1
    assert incident.feedback.count() == 5


def test_a_good_rating_reaching_the_minimum_can_cross_it(product):
    _rate(product, *["bad"] * 5, *["good"] * 4)
    assert not Incident.objects.exists()
    _rate(product, "good")  # 5 of 10 bad, the tenth rating
    assert Incident.objects.filter(kind=Kind.BAD_PREDICTIONS).count() == 1


def test_only_ratings_in_the_window_count(product):
    old = timezone.now() - timedelta(hours=25)
    _rate(product, *["bad"] * 9, at=old)
    _rate(product, "bad")
    assert not Incident.objects.exists()


def test_thresholds_are_the_products(product):
    product.feedback_bad_percent = 50
    product.feedback_min_ratings = 4
    product.feedback_window_hours = 1
    product.save()
    _rate(product, "bad", "bad", "good", "good")
    assert not Incident.objects.exists()
    _rate(product, "bad")
    assert Incident.objects.count() == 1


def test_resolved_by_hand_then_only_a_new_spike_opens_a_new_one(product, alice):
    _rate(product, *["bad"] * 10)
    first = Incident.objects.get()
    incident_resolve(incident=first, actor=alice)
    _rate(product, "good")  # the old ratings were dealt with
    assert Incident.objects.count() == 1
    _rate(product, *["bad"] * 9)  # 9 of 10 bad since it was resolved
    assert Incident.objects.filter(status=Status.OPEN).count() == 1
    assert Incident.objects.count() == 2


def test_threshold_is_set_with_the_products_patch(alice_api, carol_api, product):
    url = f"/api/v1/products/{product.slug}/"
    body = {"feedback_bad_percent": 35, "feedback_window_hours": 6}
    assert carol_api.patch(url, body).status_code == 403
    response = alice_api.patch(url, body)
    assert response.status_code == 200, response.json()
    assert response.json()["feedback_bad_percent"] == 35
    bad = alice_api.patch(url, {"feedback_bad_percent": 0})
    assert bad.status_code == 400
    assert "feedback_bad_percent" in bad.json()["error"]["fields"]
