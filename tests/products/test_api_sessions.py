"""Planning sessions over the API."""

import pytest

from tests.factories import SessionFactory, UserFactory
from tracker.products.models import PlanningSession

URL = "/api/v1/products/fraud-score/sessions/"


def test_start_a_session_with_attendees(bob_api, product, alice, bob):
    response = bob_api.post(
        URL,
        {
            "title": "Kick-off",
            "held_at": "2025-05-01T09:00:00Z",
            "attendees": ["alice", "bob"],
            "decisions": "Measure the baseline first.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["attendees"] == ["alice", "bob"]
    assert body["personas_present"] == {"pm": True, "ml": False, "eng": False}
    assert body["created_by"] == "bob"
    assert body["html_url"].startswith(
        "http://testserver/products/fraud-score/sessions/"
    )


def test_attendees_must_be_in_the_team_or_owners(alice_api, product, carol):
    response = alice_api.post(
        URL,
        {"title": "X", "held_at": "2025-05-01T09:00:00Z", "attendees": ["carol"]},
        format="json",
    )
    assert response.status_code == 400
    assert "attendees" in response.json()["error"]["fields"]
    assert not PlanningSession.objects.exists()


def test_outsider_cannot_start_or_edit(carol_api, product):
    session = SessionFactory(product=product)
    body = {"title": "X", "held_at": "2025-05-01T09:00:00Z"}
    assert carol_api.post(URL, body, format="json").status_code == 403
    detail = f"{URL}{session.pk}/"
    assert carol_api.get(detail).status_code == 200
    response = carol_api.patch(detail, {"decisions": "Mine"}, format="json")
    assert response.status_code == 403


def test_patch_decisions_and_attendees(alice_api, product, alice):
    session = SessionFactory(product=product)
    response = alice_api.patch(
        f"{URL}{session.pk}/",
        {"decisions": "Ship the rules first.", "attendees": ["alice"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["attendees"] == ["alice"]
    session.refresh_from_db()
    assert session.decisions == "Ship the rules first."


def test_list_filters_by_attendee(carol_api, product, alice):
    with_alice = SessionFactory(product=product, title="With")
    with_alice.attendees.set([alice])
    SessionFactory(product=product, title="Without")
    body = carol_api.get(URL + "?attendee=alice").json()
    assert [s["title"] for s in body["results"]] == ["With"]


@pytest.mark.parametrize("count", [2, 8])
def test_session_list_queries_do_not_grow(
    count, alice_api, product, django_assert_max_num_queries
):
    for _ in range(count):
        session = SessionFactory(product=product, created_by=UserFactory())
        session.attendees.set([UserFactory(), UserFactory()])
    with django_assert_max_num_queries(6):
        response = alice_api.get(URL)
    assert response.json()["count"] == count
