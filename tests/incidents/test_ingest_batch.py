"""A delivery's new alerts open together: a fixed number of statements however
many there are, each with its timeline row and audit event. Opening is one
way, under the integration's lock: an alert another delivery opened since the
look is followed as a change; when the database refuses the batch, each alert
is opened alone and only the bad one is rejected."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.incidents.conftest import deliver, load_payload, outcome
from tests.postmortems.conftest import publish, resolved_incident
from tracker.audit.models import AuditEvent
from tracker.incidents import tasks
from tracker.incidents.models import AlertIntegration, Incident, TimelineEntry
from tracker.incidents.services import alert_apply


def _delivery(prefix: str, alerts: int, *, product: str = "fraud-score") -> dict:
    """One Alertmanager delivery of `alerts` distinct firing alerts."""
    payload = load_payload("alertmanager-v4-firing.json")
    template = payload["alerts"][0]
    payload["alerts"] = []
    for i in range(alerts):
        alert = json.loads(json.dumps(template))
        alert["fingerprint"] = f"{prefix}-{i}"
        alert["labels"].update(product=product, instance=f"{prefix}-{i}")
        payload["alerts"].append(alert)
    return payload


def _ingest_statements(am, payload) -> tuple[int, dict]:
    """Statements the task runs to ingest this delivery, and what it did."""
    response = deliver(am, payload, ingest=False)
    # Each measured ingestion refreshes the integration's last delivery (it is
    # refreshed at most once a minute), so the counts compare like with like.
    AlertIntegration.objects.filter(pk=am.pk).update(last_delivery_at=None)
    with CaptureQueriesContext(connection) as queries:
        tasks.delivery_ingest(response.json()["delivery"])
    return len(queries), outcome(response)


def test_new_alerts_open_in_statements_independent_of_their_number(am, product):
    few, done_few = _ingest_statements(am, _delivery("few", 2))
    many, done_many = _ingest_statements(am, _delivery("many", 40))
    assert (done_few["opened"], done_many["opened"]) == (2, 40)
    assert many == few
    assert many <= 16
    for incident in Incident.objects.all():
        [entry] = incident.timeline.all()
        assert (entry.kind, entry.new_value, entry.source) == (
            "opened",
            "open",
            "alertmanager",
        )
    audited = AuditEvent.objects.filter(
        action="create", object_type="incidents.incident"
    )
    assert audited.count() == 42


def test_a_repeated_delivery_reads_its_alerts_once(am, product):
    _ingest_statements(am, _delivery("few", 2))
    _ingest_statements(am, _delivery("many", 40))
    few, done_few = _ingest_statements(am, _delivery("few", 2))
    many, done_many = _ingest_statements(am, _delivery("many", 40))
    assert (done_few["unchanged"], done_many["unchanged"]) == (2, 40)
    assert many == few <= 6
    assert Incident.objects.count() == 42


def test_inbox_alerts_of_a_batch_say_why_once(am, product):
    deliver(am, _delivery("lost", 3, product="no-such-product"))
    incidents = Incident.objects.all()
    assert len(incidents) == 3
    for incident in incidents:
        assert incident.product is None
        assert [e.kind for e in incident.timeline.order_by("pk")] == ["opened", "note"]
        assert "no-such-product" in incident.timeline.get(kind="note").note


def test_an_alert_opened_concurrently_is_sorted_out_alone(am, product, monkeypatch):
    """Under the integration's lock the batch finds an incident opened since
    its look (as a concurrent delivery's would be): it opens the others, and
    that alert is followed as a repeat of its incident, not opened twice."""
    deliver(am, _delivery("fp", 1))
    [first] = Incident.objects.all()
    monkeypatch.setattr(alert_apply, "_active_incidents", lambda *args: {})
    done = outcome(deliver(am, _delivery("fp", 3)))
    assert (done["opened"], done["unchanged"], done["rejected"]) == (2, 1, 0)
    assert Incident.objects.count() == 3
    assert first.timeline.count() == 1
    assert TimelineEntry.objects.count() == 3


def test_a_resolved_occurrence_in_a_batch_is_not_reopened(am, product):
    """fp-1 fired and resolved; a late delivery of the same firing beside two
    new alerts opens only the two."""
    payload = _delivery("fp", 3)
    deliver(am, {**payload, "alerts": [payload["alerts"][1]]})
    resolved = json.loads(json.dumps(payload["alerts"][1]))
    resolved.update(status="resolved", endsAt="2026-10-02T15:00:00Z")
    deliver(am, {**payload, "status": "resolved", "alerts": [resolved]})
    done = outcome(deliver(am, payload))
    assert (done["opened"], done["unchanged"]) == (2, 1)
    assert Incident.objects.filter(fingerprint="fp-1").count() == 1
    assert Incident.objects.filter(status="open").count() == 2


def test_new_alerts_of_a_batch_are_marked_recurrences(am, product, alice, bob):
    by_fingerprint = resolved_incident(product, bob)
    by_fingerprint.fingerprint = "fp-0"
    by_fingerprint.save()
    publish(by_fingerprint, alice, bob)
    by_name = resolved_incident(product, bob)
    by_name.labels = {"alertname": "Elsewhere"}
    by_name.save()
    publish(by_name, alice, bob)
    payload = _delivery("fp", 3)
    payload["alerts"][1]["labels"]["alertname"] = "Elsewhere"
    started = (timezone.now() - timedelta(hours=1)).isoformat()
    for alert in payload["alerts"]:
        alert["startsAt"] = started  # after the earlier incidents
    assert outcome(deliver(am, payload))["opened"] == 3
    marks = {
        i.fingerprint: (i.recurrence_of_id, i.recurrence_rule)
        for i in Incident.objects.filter(integration=am)
    }
    assert marks == {
        "fp-0": (by_fingerprint.pk, "fingerprint"),
        "fp-1": (by_name.pk, "alert_name"),
        "fp-2": (None, ""),
    }


@pytest.mark.postgres  # SQLite does not enforce a column's length
def test_a_value_the_database_refuses_rejects_only_its_alert(am, product, monkeypatch):
    """A value past the field checks that the database cannot store (here a
    title longer than its column, the checks switched off) fails the batch;
    each alert is then opened alone, and only that one is rejected, with the
    database's reason."""
    monkeypatch.setattr(alert_apply, "_check", lambda incident: None)
    monkeypatch.setattr(
        alert_apply,
        "_incident_data",
        _with_title(alert_apply._incident_data, "fp-1", "y" * 300),
    )
    done = outcome(deliver(am, _delivery("fp", 3)))
    assert (done["opened"], done["rejected"]) == (2, 1)
    [rejection] = done["rejections"]
    assert rejection["alert"] == 1
    assert rejection["reason"].startswith("The database refused the alert")
    assert sorted(Incident.objects.values_list("fingerprint", flat=True)) == [
        "fp-0",
        "fp-2",
    ]
    assert TimelineEntry.objects.count() == 2


def _with_title(incident_data, fingerprint: str, title: str):
    def data(event, route, integration):
        found = incident_data(event, route, integration)
        return {**found, "title": title} if event.fingerprint == fingerprint else found

    return data
