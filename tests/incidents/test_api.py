"""The incidents and integrations API under /api/v1/."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import IncidentFactory, ProductFactory
from tests.incidents.conftest import deliver, load_payload, make_integration
from tracker.incidents.models import AlertIntegration, Incident
from tracker.incidents.services.incidents import incident_open, incident_resolve


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def incident(product, alice):
    return incident_open(
        actor=alice, data={"product": product, "title": "Scores drifting"}
    )


def test_anonymous_gets_403(db):
    # Session authentication answers 403 without credentials; Bearer tokens
    # (the API foundation) will make this 401.
    assert APIClient().get("/api/v1/incidents/").status_code in (401, 403)


def test_list_has_the_contract_fields(alice, incident):
    response = api_as(alice).get("/api/v1/incidents/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    for field in (
        "id",
        "title",
        "product",
        "kind",
        "severity",
        "status",
        "fingerprint",
        "started_at",
        "resolved_at",
        "html_url",
    ):
        assert field in row
    assert row["product"] == "fraud-score"
    assert row["team"] == "risk"
    assert row["severity"] == "sev3"
    assert row["status"] == "open"
    assert row["resolved_at"] is None
    assert row["html_url"] == f"http://testserver/incidents/{incident.pk}/"


def test_outsider_can_read(carol, incident):
    client = api_as(carol)
    assert client.get("/api/v1/incidents/").status_code == 200
    response = client.get(f"/api/v1/incidents/{incident.pk}/")
    assert response.status_code == 200
    assert response.json()["timeline"][0]["kind"] == "opened"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("product=fraud-score", ["Ours"]),
        ("team=risk", ["Ours"]),
        ("status=resolved", ["Theirs"]),
        ("status=active", ["Ours"]),
        ("severity=sev1", ["Ours"]),
        ("kind=outage", ["Theirs"]),
    ],
)
def test_list_filters(alice, product, query, expected):
    IncidentFactory(product=product, title="Ours", severity="sev1")
    IncidentFactory(
        product=ProductFactory(),
        title="Theirs",
        kind="outage",
        status="resolved",
        resolved_at=timezone.now(),
    )
    response = api_as(alice).get(f"/api/v1/incidents/?{query}")
    assert [row["title"] for row in response.json()["results"]] == expected


def test_bad_filter_is_400(alice, db):
    response = api_as(alice).get("/api/v1/incidents/?severity=sev9")
    assert response.status_code == 400
    assert "severity" in response.json()["error"]["fields"]


def test_list_query_count_does_not_grow(alice, product, am):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api_as(alice).get("/api/v1/incidents/").status_code == 200
        return len(ctx.captured_queries)

    IncidentFactory(product=product, integration=am)
    IncidentFactory(product=None)
    small = count()
    for _ in range(10):
        IncidentFactory(product=product, integration=am)
        IncidentFactory(product=None)
    assert count() == small


def test_create(bob, product):
    response = api_as(bob).post(
        "/api/v1/incidents/",
        {
            "title": "Scores all zero",
            "product": "fraud-score",
            "kind": "bad_predictions",
            "severity": "sev2",
            "labels": {"region": "eu"},
            "runbook_url": "https://runbooks.example.org/zero",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert (incident.source, incident.created_by, incident.product) == (
        "api",
        bob,
        product,
    )
    assert body["timeline"][0]["actor"] == "bob"
    assert body["labels"] == {"region": "eu"}


def test_create_untriaged_needs_a_team(bob, team):
    from tests.factories import UserFactory

    response = api_as(bob).post("/api/v1/incidents/", {"title": "Who owns this?"})
    assert response.status_code == 201
    assert response.json()["product"] is None
    loner = api_as(UserFactory(username="dave"))
    assert loner.post("/api/v1/incidents/", {"title": "x"}).status_code == 403


def test_outsider_cannot_create_on_our_product(carol, other_team, product):
    response = api_as(carol).post(
        "/api/v1/incidents/", {"title": "x", "product": "fraud-score"}
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": "x", "severity": "SEV1"},
        {"title": "x", "kind": "gremlins"},
        {"title": "x", "product": "no-such-product"},
        {"title": "x", "runbook_url": "javascript:alert(1)"},
    ],
)
def test_create_validation(bob, product, payload):
    response = api_as(bob).post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400


def test_status_change_through_services(bob, incident):
    client = api_as(bob)
    response = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "acknowledged"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    response = client.patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"status": "resolved", "note": "Rolled back to v41"},
        format="json",
    )
    body = response.json()
    assert body["status"] == "resolved"
    assert body["resolved_at"] is not None
    assert body["time_to_resolve_seconds"] is not None
    statuses = [(e["old_value"], e["new_value"]) for e in body["timeline"][1:]]
    assert statuses == [("open", "acknowledged"), ("acknowledged", "resolved")]
    assert body["timeline"][-1]["note"] == "Rolled back to v41"
    assert {e["source"] for e in body["timeline"][1:]} == {"api"}


def test_invalid_transition_is_400(bob, incident):
    incident_resolve(incident=incident, actor=bob)
    response = api_as(bob).patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "open"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_patch_severity_and_title_records_timeline(bob, incident):
    response = api_as(bob).patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"severity": "sev1", "title": "Scores drifting fast"},
        format="json",
    )
    kinds = [e["kind"] for e in response.json()["timeline"]]
    assert kinds == ["opened", "title", "severity"]


def test_outsider_gets_403_on_update_and_notes(carol, other_team, incident):
    client = api_as(carol)
    response = client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 403
    response = client.post(f"/api/v1/incidents/{incident.pk}/notes/", {"text": "hi"})
    assert response.status_code == 403
    assert incident.timeline.count() == 1


def test_unknown_incident_is_404(alice, db):
    assert api_as(alice).get("/api/v1/incidents/424242/").status_code == 404


def test_notes(bob, incident):
    response = api_as(bob).post(
        f"/api/v1/incidents/{incident.pk}/notes/", {"text": "Paged the ML owner"}
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert incident.timeline.last().note == "Paged the ML owner"
    empty = api_as(bob).post(f"/api/v1/incidents/{incident.pk}/notes/", {"text": ""})
    assert empty.status_code == 400


def test_triage_untriaged_onto_own_product_only(bob, carol, other_team, am, product):
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["labels"]["product"]
    deliver(am, payload)
    incident = Incident.objects.get()
    url = f"/api/v1/incidents/{incident.pk}/"
    refused = api_as(carol).patch(url, {"product": "fraud-score"}, format="json")
    assert refused.status_code == 403
    accepted = api_as(bob).patch(url, {"product": "fraud-score"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["product"] == "fraud-score"


# --- Integrations ------------------------------------------------------------------


def test_create_integration_returns_url_and_secret_once(alice, product):
    client = api_as(alice)
    response = client.post(
        "/api/v1/integrations/",
        {
            "name": "Prometheus prod",
            "kind": "alertmanager",
            "product": "fraud-score",
            "hmac_secret": "shh",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    integration = AlertIntegration.objects.get(pk=body["id"])
    assert body["url"] == f"http://testserver/hooks/alerts/{integration.pk}/"
    assert body["secret"].startswith("tka_")
    assert body["product"] == "fraud-score"
    assert body["has_hmac_secret"] is True
    assert "hmac_secret" not in body
    again = client.get(f"/api/v1/integrations/{integration.pk}/").json()
    assert "secret" not in again
    listed = client.get("/api/v1/integrations/").json()["results"]
    assert [row["id"] for row in listed] == [integration.pk]
    assert "secret" not in listed[0]
    # The secret works at the receiver.
    integration.secret = body["secret"]
    assert (
        deliver(integration, load_payload("alertmanager-v4-firing.json")).status_code
        == 202
    )


def test_integration_validation(alice, product):
    response = api_as(alice).post(
        "/api/v1/integrations/", {"name": "x", "kind": "nagios"}, format="json"
    )
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]


def test_outsider_cannot_create_integration_for_our_product(carol, other_team, product):
    response = api_as(carol).post(
        "/api/v1/integrations/",
        {"name": "x", "kind": "grafana", "product": "fraud-score"},
        format="json",
    )
    assert response.status_code == 403


def test_user_without_team_cannot_create_integration(db):
    from tests.factories import UserFactory

    response = api_as(UserFactory(username="dave")).post(
        "/api/v1/integrations/", {"name": "x", "kind": "grafana"}, format="json"
    )
    assert response.status_code == 403


def test_delete_revokes(alice, am):
    client = api_as(alice)
    assert client.delete(f"/api/v1/integrations/{am.pk}/").status_code == 204
    assert client.get(f"/api/v1/integrations/{am.pk}/").status_code == 404
    assert AlertIntegration.objects.get(pk=am.pk).revoked_at is not None
    assert deliver(am, load_payload("alertmanager-v4-firing.json")).status_code == 404


def test_outsider_cannot_delete(carol, other_team, alice, product):
    integration = make_integration(alice, product=product)
    response = api_as(carol).delete(f"/api/v1/integrations/{integration.pk}/")
    assert response.status_code == 403
    assert AlertIntegration.objects.get().revoked_at is None


def test_team_of_default_product_may_delete(bob, alice, product):
    integration = make_integration(alice, product=product)
    assert (
        api_as(bob).delete(f"/api/v1/integrations/{integration.pk}/").status_code == 204
    )
