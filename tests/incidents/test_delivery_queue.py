"""Accept, then process: a stored delivery is ingested once by whichever task
claims it, the sweep finds deliveries whose task never ran, and one bad alert
never holds back the rest of its group."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ProductFactory, TeamFactory
from tests.incidents.conftest import (
    alert_payload,
    deliver,
    load_payload,
    make_integration,
    outcome,
)
from tracker.incidents import tasks
from tracker.incidents.models import AlertDelivery, Incident
from tracker.incidents.services import ingest


def _pending(am) -> AlertDelivery:
    response = deliver(am, alert_payload("fp-1"), ingest=False)
    return AlertDelivery.objects.get(pk=response.json()["delivery"])


def test_a_delivery_is_ingested_once_however_often_its_task_runs(am, product):
    delivery = _pending(am)
    assert tasks.delivery_ingest(delivery.pk) == delivery.pk
    assert tasks.delivery_ingest(delivery.pk) is None  # nothing left to claim
    delivery.refresh_from_db()
    assert (delivery.state, delivery.opened) == ("processed", 1)
    assert Incident.objects.count() == 1


def test_a_claim_held_by_a_live_task_is_not_taken(am, product):
    delivery = _pending(am)
    now = timezone.now()
    AlertDelivery.objects.filter(pk=delivery.pk).update(claimed_at=now)
    assert ingest.delivery_ingest(delivery_id=delivery.pk, now=now) is None
    later = now + ingest.CLAIM_LEASE + timedelta(seconds=1)  # its worker died
    assert ingest.delivery_ingest(delivery_id=delivery.pk, now=later) is not None


def test_the_sweep_finds_what_no_task_ingested(am, product):
    fresh = _pending(am)
    now = timezone.now()
    assert ingest.deliveries_stale(now=now) == []  # its own task has a minute
    later = now + ingest.SWEEP_GRACE + timedelta(seconds=1)
    assert ingest.deliveries_stale(now=later) == [fresh.pk]
    ingest.delivery_ingest(delivery_id=fresh.pk, now=later)
    assert ingest.deliveries_stale(now=later) == []


def test_the_sweep_task_ingests_the_backlog(am, product, time_machine):
    deliveries = [deliver(am, alert_payload(f"fp-{i}"), ingest=False) for i in range(3)]
    time_machine.move_to(timezone.now() + timedelta(minutes=2))
    assert tasks.deliveries_sweep() == 3
    assert Incident.objects.count() == 3
    assert {outcome(r)["opened"] for r in deliveries} == {1}


def test_redelivery_of_the_same_group_duplicates_nothing(am, product):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    first, again = deliver(am, payload), deliver(am, payload)
    assert outcome(first)["opened"] == 3
    assert outcome(again)["unchanged"] == 3
    assert Incident.objects.count() == 3


@pytest.mark.parametrize(
    ("label", "reason"),
    [("x\x00y", "NUL"), ("\ud800", "lone surrogate")],
)
def test_bad_bytes_in_one_alert_reject_that_alert_only(am, product, label, reason):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    payload["alerts"][1]["labels"]["team"] = label
    body = json.dumps(payload).encode()  # ASCII: \\u0000, \\ud800 escapes
    done = outcome(deliver(am, body))
    assert (done["opened"], done["rejected"]) == (2, 1)
    [rejection] = done["rejections"]
    assert rejection["alert"] == 1 and reason in rejection["reason"]
    assert Incident.objects.count() == 2


def test_deliveries_over_the_api_say_what_happened(am, product, alice_client):
    deliver(am, alert_payload("fp-1"))
    deliver(am, b"{bad", secret="wrong")
    response = alice_client.get(f"/api/v1/integrations/{am.pk}/deliveries/")
    assert response.status_code == 200
    refused, accepted = response.json()["results"]
    assert (refused["state"], refused["http_status"]) == ("refused", 401)
    assert refused["reason"] == "The bearer secret is wrong."
    assert (accepted["state"], accepted["opened"], accepted["rejected"]) == (
        "processed",
        1,
        0,
    )
    assert "body" not in accepted
    only = alice_client.get(
        f"/api/v1/integrations/{am.pk}/deliveries/", {"state": "refused"}
    ).json()["results"]
    assert [row["id"] for row in only] == [refused["id"]]


def test_deliveries_page_shows_refusals_and_rejections(am, product, alice_client):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    payload["alerts"][0]["startsAt"] = "soon"
    deliver(am, payload)
    deliver(am, b"{}", secret="wrong")
    page = alice_client.get(am.get_absolute_url()).content.decode()
    assert "refused · 401" in page
    assert "The bearer secret is wrong." in page
    assert "alert 0: alerts[0].startsAt must be an RFC 3339 time." in page


def test_outsider_cannot_list_a_private_teams_deliveries(carol_client, alice):
    private = ProductFactory(team=TeamFactory(visibility="private", members=[alice]))
    integration = make_integration(alice, product=private)
    response = carol_client.get(f"/api/v1/integrations/{integration.pk}/deliveries/")
    assert response.status_code == 404
