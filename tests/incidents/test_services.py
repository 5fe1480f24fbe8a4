"""Incident services: the status machine, the timeline rows every change leaves,
and SLA breaches opening and resolving incidents."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import IncidentFactory, ProductFactory, SLAFactory
from tracker.incidents.models import Incident
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_note_add,
    incident_open,
    incident_resolve,
    incident_update,
)
from tracker.incidents.services.sla import sla_check_submit


@pytest.fixture
def incident(product, alice):
    return incident_open(
        actor=alice,
        data={"product": product, "title": "Scores drifting", "kind": "drift"},
    )


def test_open_records_who_and_when(incident, alice):
    [entry] = incident.timeline.all()
    assert (entry.kind, entry.actor, entry.source) == ("opened", alice, "ui")
    assert incident.status == "open"
    assert incident.detected_at == entry.at
    assert incident.time_to_detect == timedelta(0)


def test_acknowledge_then_resolve(incident, bob):
    assert incident_acknowledge(incident=incident, actor=bob)
    assert incident_resolve(incident=incident, actor=bob, note="Rolled back")
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.acknowledged_at <= incident.resolved_at
    assert incident.time_to_acknowledge is not None
    entries = list(incident.timeline.values_list("kind", "old_value", "new_value"))
    assert entries == [
        ("opened", "", "open"),
        ("status", "open", "acknowledged"),
        ("status", "acknowledged", "resolved"),
    ]
    assert incident.timeline.last().note == "Rolled back"
    assert incident.timeline.last().actor == bob


def test_repeating_an_action_records_nothing(incident, bob):
    incident_acknowledge(incident=incident, actor=bob)
    assert not incident_acknowledge(incident=incident, actor=bob)
    incident_resolve(incident=incident, actor=bob)
    assert not incident_resolve(incident=incident, actor=bob)
    assert incident.timeline.count() == 3


def test_resolved_cannot_be_acknowledged_or_reopened(incident, bob):
    incident_resolve(incident=incident, actor=bob)
    with pytest.raises(ValidationError):
        incident_acknowledge(incident=incident, actor=bob)
    with pytest.raises(ValidationError):
        incident_update(incident=incident, actor=bob, data={"status": "open"})
    assert incident.timeline.count() == 2


def test_update_records_each_change_with_old_and_new(incident, bob, team):
    other = ProductFactory(name="Churn warning", team=team)
    changed = incident_update(
        incident=incident,
        actor=bob,
        data={
            "severity": "sev1",
            "title": "Scores drifting badly",
            "product": other,
            "kind": "drift",  # unchanged: no row
        },
    )
    assert sorted(changed) == ["product", "severity", "title"]
    rows = {
        e.kind: (e.old_value, e.new_value, e.actor)
        for e in incident.timeline.exclude(kind="opened")
    }
    assert rows == {
        "severity": ("sev3", "sev1", bob),
        "title": ("Scores drifting", "Scores drifting badly", bob),
        "product": ("Fraud score", "Churn warning", bob),
    }


def test_update_with_nothing_new_records_nothing(incident, bob):
    assert incident_update(incident=incident, actor=bob, data={}) == []
    assert (
        incident_update(incident=incident, actor=bob, data={"severity": "sev3"}) == []
    )
    assert incident.timeline.count() == 1


def test_triaged_incident_cannot_go_back_to_the_inbox(incident, bob):
    with pytest.raises(ValidationError):
        incident_update(incident=incident, actor=bob, data={"product": None})


def test_notes_are_timeline_rows(incident, bob):
    incident_note_add(incident=incident, actor=bob, text="  Paged Dan.  ")
    entry = incident.timeline.last()
    assert (entry.kind, entry.note, entry.actor) == ("note", "Paged Dan.", bob)
    with pytest.raises(ValidationError):
        incident_note_add(incident=incident, actor=bob, text="   ")


def test_started_in_the_future_is_taken_as_now(product, alice):
    incident = incident_open(
        actor=alice,
        data={
            "product": product,
            "title": "x",
            "started_at": timezone.now() + timedelta(hours=1),
        },
    )
    assert incident.started_at == incident.detected_at


# --- Database invariants ----------------------------------------------------------


def test_one_active_incident_per_alert_in_the_database(am, product):
    IncidentFactory(integration=am, fingerprint="abc", product=product)
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(integration=am, fingerprint="abc", product=product)
    # Resolved ones do not count.
    IncidentFactory(
        integration=am,
        fingerprint="abc",
        status="resolved",
        resolved_at=timezone.now(),
    )


def test_one_active_incident_per_sla_in_the_database(product):
    sla = SLAFactory(product=product)
    IncidentFactory(sla=sla, product=product)
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(sla=sla, product=product, status="acknowledged",
                        acknowledged_at=timezone.now())  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "resolved"},  # without resolved_at
        {"status": "acknowledged"},  # without acknowledged_at
        {"severity": "sev9"},
        {"kind": "gremlins"},
        {"detected_at": timezone.now() - timedelta(days=30)},  # before started_at
    ],
)
def test_check_constraints_refuse_inconsistent_rows(product, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(product=product, **fields)


# --- SLA breaches -----------------------------------------------------------------


@pytest.fixture
def sla(product):
    return SLAFactory(product=product, name="Scoring latency", threshold=100)


def _check(sla, value, minutes_ago=0, actor=None):
    return sla_check_submit(
        sla=sla,
        value=value,
        checked_at=timezone.now() - timedelta(minutes=minutes_ago),
        actor=actor,
        source="api",
    )


def test_breach_opens_an_sla_incident(sla, product):
    _check(sla, 180, actor=None)
    incident = Incident.objects.get()
    assert (incident.kind, incident.source, incident.sla, incident.product) == (
        "sla_breach",
        "sla",
        sla,
        product,
    )
    assert "Scoring latency" in incident.title
    assert "180" in incident.title


def test_repeated_breaches_keep_one_incident(sla):
    _check(sla, 180, minutes_ago=10)
    _check(sla, 190, minutes_ago=5)
    _check(sla, 200)
    assert Incident.objects.count() == 1
    assert Incident.objects.get().timeline.count() == 1


def test_passing_check_resolves_when_auto_resolve(sla):
    _check(sla, 180, minutes_ago=5)
    _check(sla, 40)
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    entry = incident.timeline.last()
    assert (entry.kind, entry.new_value, entry.source) == ("status", "resolved", "sla")
    assert "40" in entry.note


def test_passing_check_leaves_it_open_without_auto_resolve(sla):
    sla.auto_resolve = False
    sla.save()
    _check(sla, 180, minutes_ago=5)
    _check(sla, 40)
    assert Incident.objects.get().status == "open"


def test_backfilled_old_check_changes_nothing(sla):
    _check(sla, 40)
    _check(sla, 180, minutes_ago=60)  # older than the newest check
    assert not Incident.objects.exists()


def test_breach_after_resolution_opens_a_new_incident(sla):
    _check(sla, 180, minutes_ago=10)
    _check(sla, 40, minutes_ago=5)
    _check(sla, 180)
    assert Incident.objects.count() == 2
    assert Incident.objects.filter(status="open").count() == 1


def test_breach_severity_follows_risk_tier(team):
    risky = SLAFactory(product=ProductFactory(team=team, risk_tier="critical"))
    _check(risky, 500)
    assert Incident.objects.get().severity == "sev2"


def test_new_slas_auto_resolve_by_default(sla):
    assert sla.auto_resolve is True
