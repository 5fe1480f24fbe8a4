"""What alerts do to incidents: open, update, resolve, route; and that repeating
a delivery changes nothing."""

from datetime import UTC, datetime

import pytest

from tests.factories import ProductFactory, TeamFactory
from tests.incidents.conftest import (
    alert_payload,
    deliver,
    load_payload,
    make_integration,
    outcome,
)
from tracker.incidents.models import AlertDelivery, Incident, TimelineEntry
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_resolve,
    incident_update,
)
from tracker.incidents.services.ingest import alerts_ingest


def _state():
    """Everything a repeated delivery must leave alone."""
    return (
        list(Incident.objects.order_by("pk").values()),
        list(TimelineEntry.objects.order_by("pk").values()),
    )


def test_firing_alert_opens_an_incident(am, product):
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    incident = Incident.objects.get()
    assert incident.product == product  # from the `product` label
    assert incident.status == "open"
    assert incident.source == "alertmanager"
    assert incident.integration == am
    assert incident.fingerprint == "5e1f0a9c2b7d4e33"
    assert incident.kind == "data_quality"
    assert incident.severity == "sev3"
    assert incident.title == "Null rate of merchant_country above 5% for 15m"
    assert incident.started_at == datetime(2026, 10, 2, 14, 5, tzinfo=UTC)
    assert incident.detected_at >= incident.started_at
    assert incident.labels["feature"] == "merchant_country"
    assert incident.runbook_url == "https://runbooks.example.org/null-rate"
    [entry] = incident.timeline.all()
    assert (entry.kind, entry.new_value, entry.actor, entry.source) == (
        "opened",
        "open",
        None,
        "alertmanager",
    )


def test_repeated_delivery_changes_and_creates_nothing(am, product):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    before = _state()
    response = deliver(am, payload)
    assert outcome(response)["unchanged"] == 1
    assert outcome(response)["opened"] == 0
    assert _state() == before
    # The delivery itself is kept, raw.
    assert AlertDelivery.objects.count() == 2


def test_resolved_alert_resolves_with_its_end_time(am, product):
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    response = deliver(am, load_payload("alertmanager-v4-resolved.json"))
    assert outcome(response)["resolved"] == 1
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.resolved_at == datetime(2026, 10, 2, 15, 20, tzinfo=UTC)
    assert incident.time_to_resolve.total_seconds() == 75 * 60
    entry = incident.timeline.last()
    assert (entry.kind, entry.old_value, entry.new_value) == (
        "status",
        "open",
        "resolved",
    )
    # Dated on arrival so the timeline reads in order; the note has the end.
    assert entry.at >= incident.detected_at
    assert "2026-10-02 15:20" in entry.note


def test_repeated_resolved_delivery_changes_nothing(am, product):
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    deliver(am, load_payload("alertmanager-v4-resolved.json"))
    before = _state()
    assert (
        outcome(deliver(am, load_payload("alertmanager-v4-resolved.json")))["unchanged"]
        == 1
    )
    assert _state() == before


def test_resolved_alert_never_seen_creates_nothing(am, product):
    response = deliver(am, load_payload("alertmanager-v4-resolved.json"))
    assert response.status_code == 202
    assert outcome(response)["unchanged"] == 1
    assert not Incident.objects.exists()


def test_late_firing_after_resolution_does_not_reopen(am, product):
    """A retried firing delivery arriving after the resolved one is the same
    occurrence (same startsAt): it must not open a second incident."""
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    deliver(am, load_payload("alertmanager-v4-resolved.json"))
    before = _state()
    assert (
        outcome(deliver(am, load_payload("alertmanager-v4-firing.json")))["unchanged"]
        == 1
    )
    assert _state() == before


def test_alert_firing_again_later_opens_a_new_incident(am, product):
    deliver(am, load_payload("alertmanager-v4-firing.json"))
    deliver(am, load_payload("alertmanager-v4-resolved.json"))
    again = load_payload("alertmanager-v4-firing.json")
    again["alerts"][0]["startsAt"] = "2026-10-09T10:00:00Z"
    assert outcome(deliver(am, again))["opened"] == 1
    assert Incident.objects.filter(status="open").count() == 1
    assert Incident.objects.count() == 2


def test_person_resolving_keeps_a_still_firing_alert_closed(am, product, alice):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    incident_resolve(incident=Incident.objects.get(), actor=alice)
    before = _state()
    deliver(am, payload)  # Alertmanager's repeat_interval resend
    assert _state() == before


def test_several_alerts_in_one_delivery(am, product):
    response = deliver(am, load_payload("alertmanager-v4-group-truncated.json"))
    body = outcome(response)
    assert (body["alerts"], body["opened"], body["truncated_alerts"]) == (3, 3, 2)
    incidents = Incident.objects.order_by("fingerprint")
    assert [i.severity for i in incidents] == ["sev1", "sev1", "sev3"]
    assert {i.kind for i in incidents} == {"outage"}
    assert incidents[0].generator_url.startswith("http://prometheus-0:9090/")
    delivery = AlertDelivery.objects.get()
    assert (delivery.alerts, delivery.truncated_alerts, delivery.opened) == (3, 2, 3)
    assert '"truncatedAlerts": 2' in delivery.body


def test_group_with_one_alert_resolved(am, product):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    deliver(am, payload)
    payload["alerts"][1]["status"] = "resolved"
    payload["alerts"][1]["endsAt"] = "2026-10-03T08:30:00Z"
    body = outcome(deliver(am, payload))
    assert (body["resolved"], body["unchanged"]) == (1, 2)
    assert Incident.objects.filter(status="resolved").count() == 1


def test_grafana_firing_then_resolved(grafana, product):
    deliver(grafana, load_payload("grafana-firing.json"))
    incident = Incident.objects.get()
    assert incident.source == "grafana"
    assert incident.severity == "sev1"
    assert incident.dashboard_url.endswith("viewPanel=4")
    assert incident.product == product
    deliver(grafana, load_payload("grafana-resolved.json"))
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at == datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


def test_grafana_repeat_with_new_values_changes_nothing(grafana, product):
    # Grafana resends with fresh query values; they are not part of the alert.
    deliver(grafana, load_payload("grafana-firing.json"))
    before = _state()
    payload = load_payload("grafana-firing.json")
    payload["alerts"][0]["values"] = {"A": 16.9, "B": 1}
    payload["message"] = "**Firing**\n\nValue: A=16.9\n"
    deliver(grafana, payload)
    assert _state() == before


def test_same_fingerprint_on_two_integrations_is_two_incidents(am, grafana, product):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    deliver(grafana, {**payload, "version": "1"})
    assert Incident.objects.count() == 2


# --- Routing ----------------------------------------------------------------------


def test_unknown_product_label_waits_in_the_inbox_with_the_reason(alice, team):
    """Not the default product: an unknown slug must read exactly like a
    private product's, or the answer would tell which private products exist."""
    default = ProductFactory(slug="churn", team=team)
    integration = make_integration(alice, product=default)
    payload = load_payload("alertmanager-v4-firing.json")
    payload["alerts"][0]["labels"]["product"] = "no-such-product"
    deliver(integration, payload)
    incident = Incident.objects.get()
    assert incident.product is None
    assert "“no-such-product”, which this integration may not route to" in (
        incident.timeline.get(kind="note").note
    )


def test_outsiders_integration_cannot_route_to_a_private_product(carol, alice):
    """Anyone may create an integration; it opens incidents only on products
    its creator may edit. A private team's product named in a label is never
    touched, and its owners hear nothing."""
    private = ProductFactory(
        slug="private-scoring", team=TeamFactory(visibility="private"), pm_owner=alice
    )
    integration = make_integration(carol)
    deliver(integration, alert_payload("fp-private", product=private.slug))
    incident = Incident.objects.get()
    assert incident.product is None
    assert not private.incidents.exists()
    note = incident.timeline.get(kind="note").note
    assert note == _refusal("private-scoring")
    # The same words as for a product that does not exist at all.
    deliver(integration, alert_payload("fp-nowhere", product="nowhere"))
    assert Incident.objects.get(fingerprint="fp-nowhere").timeline.get(
        kind="note"
    ).note == _refusal("nowhere")


def test_outsiders_integration_cannot_route_to_another_teams_product(carol, product):
    integration = make_integration(carol)
    response = deliver(integration, alert_payload("fp-x", product=product.slug))
    assert outcome(response)["opened"] == 1
    assert Incident.objects.get().product is None
    assert not product.incidents.exists()


def test_refusal_is_noted_once_however_often_the_alert_repeats(carol, product):
    integration = make_integration(carol)
    payload = alert_payload("fp-x", product=product.slug)
    deliver(integration, payload)
    payload["alerts"][0]["annotations"]["description"] = "still broken"
    deliver(integration, payload)
    assert Incident.objects.get().timeline.filter(kind="note").count() == 1


def _refusal(slug: str) -> str:
    return (
        f"The alert names product “{slug}”, which this integration may not route "
        "to: no such product, or not one its creator's team owns. It waits here "
        "for triage."
    )


def test_product_label_wins_over_the_default(alice, team, product):
    integration = make_integration(alice, product=ProductFactory(team=team))
    deliver(integration, load_payload("alertmanager-v4-firing.json"))
    assert Incident.objects.get().product == product


def test_no_product_anywhere_goes_to_the_inbox(am):
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["labels"]["product"]
    deliver(am, payload)
    assert Incident.objects.get().product is None


# --- Following a firing alert -----------------------------------------------------


def test_alert_severity_change_is_recorded(am, product):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    payload["alerts"][0]["labels"]["severity"] = "critical"
    assert outcome(deliver(am, payload))["updated"] == 1
    incident = Incident.objects.get()
    assert incident.severity == "sev1"
    entry = incident.timeline.get(kind="severity")
    assert (entry.old_value, entry.new_value, entry.actor) == ("sev3", "sev1", None)
    assert entry.source == "alertmanager"


def test_person_override_survives_repeats(am, product, alice):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    incident = Incident.objects.get()
    incident_update(incident=incident, actor=alice, data={"severity": "sev1"})
    payload["alerts"][0]["annotations"]["description"] = "Confirmed upstream"
    deliver(am, payload)  # the alert changed, but not its severity
    incident.refresh_from_db()
    assert incident.severity == "sev1"
    assert incident.description == "Confirmed upstream"


def test_untriaged_incident_is_routed_when_the_alert_gains_a_product(am, product):
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["labels"]["product"]
    deliver(am, payload)
    payload["alerts"][0]["labels"]["product"] = "fraud-score"
    deliver(am, payload)
    incident = Incident.objects.get()
    assert incident.product == product
    entry = incident.timeline.get(kind="product")
    assert (entry.old_value, entry.new_value) == ("", "Fraud score")


def test_acknowledged_incident_stays_acknowledged_while_firing(am, product, alice):
    payload = load_payload("alertmanager-v4-firing.json")
    deliver(am, payload)
    incident_acknowledge(incident=Incident.objects.get(), actor=alice)
    deliver(am, payload)
    assert Incident.objects.get().status == "acknowledged"


def test_starts_at_in_the_future_is_clamped(am, product):
    payload = load_payload("alertmanager-v4-firing.json")
    payload["alerts"][0]["startsAt"] = "2099-01-01T00:00:00Z"
    deliver(am, payload)
    incident = Incident.objects.get()
    assert incident.started_at == incident.detected_at


def test_generic_integration(alice, product):
    integration = make_integration(alice, kind="generic")
    body = {
        "fingerprint": "nightly-17",
        "title": "Nightly scoring job failed",
        "severity": "error",
        "kind": "outage",
        "product": "fraud-score",
    }
    assert outcome(deliver(integration, body))["opened"] == 1
    assert outcome(deliver(integration, body))["unchanged"] == 1
    body["status"] = "resolved"
    assert outcome(deliver(integration, body))["resolved"] == 1
    incident = Incident.objects.get()
    assert (incident.source, incident.severity, incident.status) == (
        "generic",
        "sev2",
        "resolved",
    )


@pytest.mark.parametrize("fixture", ["alertmanager-v4-firing.json"])
def test_ingest_service_without_http(am, product, fixture):
    import json

    body = json.dumps(load_payload(fixture)).encode()
    delivery = alerts_ingest(integration=am, body=body)
    assert delivery.opened == 1
    assert alerts_ingest(integration=am, body=body).unchanged == 1
