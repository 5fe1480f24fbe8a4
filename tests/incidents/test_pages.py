"""Incident pages: reading, acting, triaging, permissions (alice owns, bob is on
the team, carol is an outsider) and query-count guards."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import IncidentFactory, ProductFactory
from tests.incidents.conftest import deliver, load_payload
from tracker.incidents.models import AlertIntegration, Incident
from tracker.incidents.services.incidents import incident_open, incident_resolve


@pytest.fixture
def incident(product, alice):
    return incident_open(
        actor=alice,
        data={"product": product, "title": "Scores drifting", "kind": "drift"},
    )


@pytest.fixture
def untriaged(am):
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["labels"]["product"]
    deliver(am, payload)
    return Incident.objects.get(product__isnull=True)


# --- Reading ----------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, incident):
    for url in ("/incidents/", "/incidents/inbox/", incident.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_outsider_can_read(carol_client, incident):
    assert carol_client.get("/incidents/").status_code == 200
    response = carol_client.get(incident.get_absolute_url())
    assert response.status_code == 200
    assert b"Scores drifting" in response.content
    # …but is offered no actions.
    assert b"Acknowledge" not in response.content
    assert b"Add note" not in response.content


def test_detail_shows_timeline_and_actions(bob_client, incident):
    response = bob_client.get(incident.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "opened the incident" in html
    assert "Acknowledge" in html
    assert "Reassign" in html


def test_unknown_incident_is_404(alice_client):
    assert alice_client.get("/incidents/999999/").status_code == 404


def test_list_puts_open_first(alice_client, product):
    IncidentFactory(product=product, title="Old and resolved", status="resolved",
                    resolved_at=timezone.now())  # fmt: skip
    IncidentFactory(product=product, title="Still open")
    html = alice_client.get("/incidents/").content.decode()
    assert html.index("Still open") < html.index("Old and resolved")


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=open", "Drift alpha", "Outage beta"),
        ("status=active", "Drift alpha", "Outage beta"),
        ("status=resolved", "Outage beta", "Drift alpha"),
        ("severity=sev1", "Drift alpha", "Outage beta"),
        ("kind=outage", "Outage beta", "Drift alpha"),
        ("product=fraud-score", "Drift alpha", "Outage beta"),
        ("team=risk", "Drift alpha", "Outage beta"),
        ("period=7d", "Drift alpha", "Outage beta"),
        ("q=drift+alpha", "Drift alpha", "Outage beta"),
    ],
)
def test_list_filters(alice_client, product, team, query, shown, hidden):
    IncidentFactory(product=product, title="Drift alpha", severity="sev1")
    elsewhere = ProductFactory(team=ProductFactory().team)
    IncidentFactory(
        product=elsewhere,
        title="Outage beta",
        kind="outage",
        status="resolved",
        started_at=timezone.now() - timedelta(days=40),
        detected_at=timezone.now() - timedelta(days=40),
        resolved_at=timezone.now(),
    )
    html = alice_client.get(f"/incidents/?{query}").content.decode()
    assert shown in html
    assert hidden not in html


def test_bad_filter_value_is_shown_not_a_500(alice_client):
    response = alice_client.get("/incidents/?severity=sev9&product=nope")
    assert response.status_code == 200
    assert b"alert-error" in response.content


def test_htmx_gets_only_the_rows(alice_client, incident):
    response = alice_client.get("/incidents/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Scores drifting" in response.content


def test_inbox_lists_only_untriaged(alice_client, incident, untriaged):
    html = alice_client.get("/incidents/inbox/").content.decode()
    assert untriaged.title in html
    assert "Scores drifting" not in html
    assert 'name="product"' in html  # the inline triage form


def test_product_page_lists_its_open_incidents(alice_client, product, incident):
    IncidentFactory(product=product, title="Long gone", status="resolved",
                    resolved_at=timezone.now())  # fmt: skip
    html = alice_client.get(product.get_absolute_url()).content.decode()
    assert "Open incidents" in html
    assert "Scores drifting" in html
    assert "Long gone" not in html
    assert "/incidents/integrations/" in html


def test_nav_has_incidents(alice_client):
    html = alice_client.get("/incidents/").content.decode()
    assert re.search(r'href="/incidents/"[^>]*aria-current="page"', html)


# --- Acting -----------------------------------------------------------------------


def test_team_member_acknowledges_and_resolves(bob_client, incident, bob):
    assert bob_client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 302
    response = bob_client.post(
        f"/incidents/{incident.pk}/resolve/", {"note": "Retrained on fresh data"}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.timeline.last().actor == bob
    assert incident.timeline.last().note == "Retrained on fresh data"


def test_acknowledging_a_resolved_incident_is_a_message(bob_client, incident, bob):
    incident_resolve(incident=incident, actor=bob)
    response = bob_client.post(f"/incidents/{incident.pk}/acknowledge/", follow=True)
    assert response.status_code == 200
    assert b"cannot become acknowledged" in response.content


def test_team_member_reassigns_severity(bob_client, incident):
    response = bob_client.post(
        f"/incidents/{incident.pk}/change/",
        {"product": incident.product.pk, "severity": "sev1", "kind": "drift",
         "title": "Scores drifting"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = incident.timeline.get(kind="severity")
    assert (entry.old_value, entry.new_value) == ("sev3", "sev1")


def test_team_member_adds_a_note(bob_client, incident):
    response = bob_client.post(f"/incidents/{incident.pk}/notes/", {"text": "Paged"})
    assert response.status_code == 302
    assert incident.timeline.filter(kind="note", note="Paged").exists()


def test_empty_note_is_a_400_with_the_form(bob_client, incident):
    response = bob_client.post(f"/incidents/{incident.pk}/notes/", {"text": ""})
    assert response.status_code == 400
    assert incident.timeline.count() == 1


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("acknowledge", {}),
        ("resolve", {"note": "nope"}),
        ("notes", {"text": "hello"}),
        ("change", {"severity": "sev1"}),
    ],
)
def test_outsider_gets_403_on_writes(carol_client, incident, action, data):
    response = carol_client.post(f"/incidents/{incident.pk}/{action}/", data)
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "open"
    assert incident.severity == "sev3"
    assert incident.timeline.count() == 1


def test_outsider_cannot_report_incidents(carol_client):
    assert carol_client.get("/incidents/new/").status_code == 403


def test_reporting_an_incident(bob_client, product, bob):
    response = bob_client.get(f"/incidents/new/?product={product.slug}")
    assert response.status_code == 200
    response = bob_client.post(
        "/incidents/new/",
        {
            "title": "Predictions all zero for FR merchants",
            "product": product.pk,
            "kind": "bad_predictions",
            "severity": "sev2",
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "description": "Support noticed it.",
            "runbook_url": "https://runbooks.example.org/fr",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == incident.get_absolute_url()
    assert (incident.source, incident.created_by, incident.severity) == (
        "ui",
        bob,
        "sev2",
    )


def test_reporting_on_someone_elses_product_is_refused(carol_client, product):
    response = carol_client.post(
        "/incidents/new/", {"title": "x", "product": product.pk}
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_javascript_runbook_link_is_refused(bob_client, product):
    response = bob_client.post(
        "/incidents/new/",
        {"title": "x", "product": product.pk, "kind": "other", "severity": "sev3",
         "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
         "runbook_url": "javascript:alert(1)"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Incident.objects.exists()


# --- Triage -----------------------------------------------------------------------


def test_team_member_triages_onto_their_product(bob_client, untriaged, product, bob):
    response = bob_client.post(
        f"/incidents/{untriaged.pk}/change/",
        {"product": product.pk, "severity": "sev2", "next": "/incidents/inbox/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/incidents/inbox/"
    untriaged.refresh_from_db()
    assert untriaged.product == product
    assert untriaged.severity == "sev2"
    entry = untriaged.timeline.get(kind="product")
    assert (entry.old_value, entry.new_value, entry.actor) == ("", product.name, bob)


def test_member_of_another_team_cannot_triage_onto_our_product(
    carol_client, untriaged, product
):
    response = carol_client.post(
        f"/incidents/{untriaged.pk}/change/", {"product": product.pk}
    )
    assert response.status_code == 403
    untriaged.refresh_from_db()
    assert untriaged.product is None


def test_member_of_another_team_triages_onto_their_own_product(
    carol_client, untriaged, other_team
):
    theirs = ProductFactory(team=other_team)
    response = carol_client.post(
        f"/incidents/{untriaged.pk}/change/", {"product": theirs.pk}
    )
    assert response.status_code == 302
    untriaged.refresh_from_db()
    assert untriaged.product == theirs


def test_triage_needs_a_product(bob_client, untriaged):
    response = bob_client.post(
        f"/incidents/{untriaged.pk}/change/", {"severity": "sev1"}
    )
    assert response.status_code == 400


def test_next_url_must_stay_on_site(bob_client, untriaged, product):
    response = bob_client.post(
        f"/incidents/{untriaged.pk}/change/",
        {"product": product.pk, "next": "https://evil.example.org/"},
    )
    assert response["Location"] == untriaged.get_absolute_url()


def test_user_without_team_cannot_touch_the_inbox(client, untriaged, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="dave"))
    response = client.post(f"/incidents/{untriaged.pk}/acknowledge/")
    assert response.status_code == 403


# --- Integrations -----------------------------------------------------------------


def test_creating_an_integration_shows_the_secret_once(alice_client, product):
    response = alice_client.post(
        "/incidents/integrations/new/",
        {"name": "Prometheus prod", "kind": "alertmanager", "product": product.pk},
    )
    assert response.status_code == 200
    integration = AlertIntegration.objects.get()
    secret = re.search(r"tka_[A-Za-z0-9_-]+", response.content.decode()).group(0)
    assert secret[-4:] == integration.secret_hint
    assert "no-store" in response["Cache-Control"]
    assert (
        f"http://testserver/hooks/alerts/{integration.pk}/" in response.content.decode()
    )
    again = alice_client.get(integration.get_absolute_url()).content.decode()
    assert secret not in again
    # And it works.
    integration.secret = secret
    assert (
        deliver(integration, load_payload("alertmanager-v4-firing.json")).status_code
        == 202
    )


def test_integration_pages_for_an_outsider(carol_client, am):
    assert carol_client.get("/incidents/integrations/").status_code == 200
    assert carol_client.get(am.get_absolute_url()).status_code == 200
    response = carol_client.post(f"/incidents/integrations/{am.pk}/revoke/")
    assert response.status_code == 403
    am.refresh_from_db()
    assert am.revoked_at is None


def test_outsider_cannot_point_an_integration_at_our_product(carol_client, product):
    response = carol_client.post(
        "/incidents/integrations/new/",
        {"name": "x", "kind": "grafana", "product": product.pk},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not AlertIntegration.objects.exists()


def test_creator_revokes(alice_client, am):
    response = alice_client.post(f"/incidents/integrations/{am.pk}/revoke/")
    assert response.status_code == 302
    am.refresh_from_db()
    assert am.revoked_at is not None
    assert alice_client.get(am.get_absolute_url()).status_code == 404


def test_integration_page_lists_deliveries(alice_client, am, product):
    deliver(am, load_payload("alertmanager-v4-group-truncated.json"))
    html = alice_client.get(am.get_absolute_url()).content.decode()
    assert "+2 truncated" in html
    assert "PredictionLatencyHigh" in html


# --- Query counts -----------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(product, am, count):
    for _ in range(count):
        IncidentFactory(product=product, integration=am)
        IncidentFactory(product=None)


@pytest.mark.parametrize("url", ["/incidents/", "/incidents/inbox/"])
def test_list_query_count_does_not_grow(alice_client, product, am, url):
    _grow(product, am, 2)
    small = _queries(alice_client, url)
    _grow(product, am, 10)
    assert _queries(alice_client, url) == small


def test_integration_list_query_count_does_not_grow(alice_client, alice, team):
    from tests.incidents.conftest import make_integration

    make_integration(alice)
    small = _queries(alice_client, "/incidents/integrations/")
    for _ in range(5):
        make_integration(alice, product=ProductFactory(team=team))
    assert _queries(alice_client, "/incidents/integrations/") == small


def test_admin_shows_incidents_read_only(client, alice, am, product):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    incident = Incident.objects.get()
    for url in (
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        f"/admin/incidents/alertintegration/{am.pk}/change/",
        "/admin/incidents/alertdelivery/",
    ):
        assert client.get(url).status_code == 200
    # An admin edit would leave no timeline row, so there is none.
    response = client.post(
        f"/admin/incidents/incident/{incident.pk}/change/", {"severity": "sev1"}
    )
    assert response.status_code == 403
    assert Incident.objects.get().severity == "sev3"
