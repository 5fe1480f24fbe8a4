"""Learning across failures, on the postmortems side: postmortems of product
failures (no incidents, a failure kind) and recurrences (an incident that
repeats one whose postmortem is published, with the rule that matched)."""

import pytest
from rest_framework.test import APIClient

from tests.postmortems.conftest import publish, resolved_incident
from tracker.incidents.services.incidents import incident_open
from tracker.postmortems.models import Postmortem
from tracker.postmortems.services.parts import factor_add
from tracker.postmortems.services.writeup import postmortem_create


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Product failures ----------------------------------------------------------------


def test_api_creates_a_product_failure_postmortem_without_incidents(alice, product):
    response = api_as(alice).post(
        "/api/v1/postmortems/",
        {
            "title": "KPI never moved",
            "product": product.slug,
            "failure_kind": "kpi_not_met",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["failure_kind"] == "kpi_not_met"
    assert body["incidents"] == []


@pytest.mark.parametrize(
    "payload, message",
    [
        ({}, "names how the product failed"),
        ({"failure_kind": "bogus"}, "not a valid choice"),
    ],
)
def test_api_needs_incidents_or_a_valid_failure_kind(alice, product, payload, message):
    response = api_as(alice).post(
        "/api/v1/postmortems/",
        {"title": "x", "product": product.slug, **payload},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert message in " ".join(str(v) for v in fields.values())
    assert not Postmortem.objects.exists()


def test_a_product_failure_covers_no_incidents(alice, product, incident):
    response = api_as(alice).post(
        "/api/v1/postmortems/",
        {
            "title": "x",
            "product": product.slug,
            "failure_kind": "abandoned",
            "incidents": [incident.pk],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "covers no incidents" in response.json()["error"]["fields"]["incidents"][0]


def test_a_retired_product_offers_a_failure_postmortem(alice_client, product):
    product.stage = "retired"
    product.save()
    page = alice_client.get(product.get_absolute_url())
    assert b"failure_kind=abandoned" in page.content


# --- Recurrences ---------------------------------------------------------------------


def open_incident(product, **data):
    return incident_open(
        actor=None,
        source="alertmanager",
        data={"product": product, "title": "Again", "kind": "drift", **data},
    )


def test_same_fingerprint_is_a_recurrence(alice, bob, product):
    earlier = resolved_incident(product, bob)
    earlier.fingerprint = "abc123"
    earlier.save()
    publish(earlier, alice, bob)
    again = open_incident(product, fingerprint="abc123")
    again.refresh_from_db()
    assert again.recurrence_of == earlier
    assert again.recurrence_rule == "fingerprint"
    body = api_as(alice).get(f"/api/v1/incidents/{again.pk}/").json()
    assert body["recurrence_of"] == earlier.pk
    assert body["recurrence_rule"] == "fingerprint"


def test_same_alert_name_and_product_is_a_recurrence(alice, bob, product):
    earlier = resolved_incident(product, bob)
    earlier.labels = {"alertname": "ScoreDrift"}
    earlier.save()
    publish(earlier, alice, bob)
    again = open_incident(product, labels={"alertname": "ScoreDrift"})
    assert again.recurrence_rule == "alert_name"


def test_an_unpublished_postmortem_makes_no_recurrence(alice, bob, product):
    earlier = resolved_incident(product, bob)
    earlier.fingerprint = "abc123"
    earlier.save()
    postmortem_create(
        product=product, actor=alice, data={"title": "x", "incidents": [earlier]}
    )
    again = open_incident(product, fingerprint="abc123")
    assert again.recurrence_of is None


def test_same_kind_and_a_shared_factor_is_a_recurrence(alice, bob, product):
    factor = {
        "category": "data",
        "ml_kind": "upstream_data_change",
        "description": "A source renamed a column.",
    }
    earlier = resolved_incident(product, bob)
    publish(earlier, alice, bob, factor=factor)
    again = open_incident(product)
    assert again.recurrence_of is None  # no factor of its own yet
    draft = postmortem_create(
        product=product, actor=alice, data={"title": "Again", "incidents": [again]}
    )
    factor_add(postmortem=draft, actor=alice, data=factor)
    again.refresh_from_db()
    assert (again.recurrence_of, again.recurrence_rule) == (earlier, "kind_and_factor")


def test_the_incident_page_lists_the_earlier_fixes_and_their_state(
    alice, bob, alice_client, product
):
    earlier = resolved_incident(product, bob)
    earlier.fingerprint = "abc123"
    earlier.save()
    publish(earlier, alice, bob)
    again = open_incident(product, fingerprint="abc123")
    page = alice_client.get(again.get_absolute_url()).content.decode()
    assert "This happened before" in page
    assert f"incident #{earlier.pk}" in page
    assert "Alert on input null rates" in page
    assert "not done yet" in page
    assert "Lesson: The lessons" in page
