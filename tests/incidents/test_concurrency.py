"""Concurrent deliveries against PostgreSQL: the open-incident upsert must hold
under real row locks and unique-index waits (SQLite serialises everything, so
these run only on PostgreSQL; conftest skips them locally, fails them in CI)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import SLAFactory
from tests.incidents.conftest import deliver, load_payload, make_integration, outcome
from tracker.incidents.models import AlertDelivery, Incident, TimelineEntry
from tracker.incidents.services.sla import sla_check_submit

THREADS = 32  # below PostgreSQL's default 100 connections, with room to spare
DELIVERIES = 96

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _concurrently(func, count: int = DELIVERIES) -> list:
    """Run func(i) `count` times on THREADS threads, all released at once."""
    start = threading.Event()

    def run(i):
        start.wait()
        try:
            return func(i)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        start.set()
        return [future.result(timeout=120) for future in futures]


@pytest.fixture
def integration(alice, team, product):
    return make_integration(alice)


def test_identical_deliveries_open_exactly_one_incident(integration):
    body = json.dumps(load_payload("alertmanager-v4-firing.json")).encode()
    responses = _concurrently(lambda i: deliver(integration, body))
    assert {r.status_code for r in responses} == {202}
    assert sum(outcome(r)["opened"] for r in responses) == 1
    assert sum(outcome(r)["unchanged"] for r in responses) == DELIVERIES - 1
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.count() == 1
    assert AlertDelivery.objects.count() == DELIVERIES


def test_groups_in_opposite_orders_neither_deadlock_nor_duplicate(integration):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    forward = json.dumps(payload).encode()
    payload["alerts"].reverse()
    backward = json.dumps(payload).encode()
    responses = _concurrently(
        lambda i: deliver(integration, forward if i % 2 else backward)
    )
    assert {r.status_code for r in responses} == {202}
    assert Incident.objects.count() == 3
    assert TimelineEntry.objects.count() == 3


def test_concurrent_resolved_deliveries_resolve_once(integration):
    deliver(integration, load_payload("alertmanager-v4-firing.json"))
    body = json.dumps(load_payload("alertmanager-v4-resolved.json")).encode()
    responses = _concurrently(lambda i: deliver(integration, body))
    assert {r.status_code for r in responses} == {202}
    assert sum(outcome(r)["resolved"] for r in responses) == 1
    assert Incident.objects.get().status == "resolved"
    assert TimelineEntry.objects.filter(kind="status").count() == 1


def test_firing_and_resolved_racing_leave_a_consistent_incident(integration):
    firing = json.dumps(load_payload("alertmanager-v4-firing.json")).encode()
    resolved = json.dumps(load_payload("alertmanager-v4-resolved.json")).encode()
    responses = _concurrently(
        lambda i: deliver(integration, resolved if i % 3 == 0 else firing)
    )
    assert {r.status_code for r in responses} == {202}
    # Whatever the interleaving: one incident for this occurrence, its timeline
    # rows match its state, and the late firings did not reopen it.
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    statuses = list(incident.timeline.filter(kind="status").values_list("new_value"))
    assert len(statuses) == (1 if incident.status == "resolved" else 0)


def test_concurrent_breaching_checks_open_one_sla_incident(product):
    sla = SLAFactory(product=product, threshold=100)
    now = timezone.now()
    _concurrently(
        lambda i: sla_check_submit(
            sla=sla,
            value=500 + i,
            checked_at=now - timedelta(seconds=i),
            actor=None,
            source="api",
        ),
        count=40,
    )
    assert Incident.objects.filter(sla=sla).count() == 1


def test_overlapping_groups_open_each_alert_once(integration):
    """Deliveries sharing half their new alerts with the one before (a group
    re-sent as it grows), all at once: every alert opens exactly one incident,
    whichever delivery gets to it first, and the others follow it."""
    template = load_payload("alertmanager-v4-firing.json")

    def body(d: int) -> bytes:
        payload = json.loads(json.dumps(template))
        alert = payload["alerts"][0]
        payload["alerts"] = []
        for n in range(2 * d, 2 * d + 4):
            one = json.loads(json.dumps(alert))
            one["fingerprint"] = f"overlap-{n}"
            one["labels"]["instance"] = f"overlap-{n}"
            payload["alerts"].append(one)
        return json.dumps(payload).encode()

    responses = _concurrently(lambda d: deliver(integration, body(d)), count=48)
    distinct = 2 * 47 + 4
    done = [outcome(r) for r in responses]
    assert sum(d["opened"] for d in done) == distinct
    assert sum(d["opened"] + d["unchanged"] for d in done) == 48 * 4
    assert sum(d["rejected"] for d in done) == 0
    assert Incident.objects.count() == distinct
    assert TimelineEntry.objects.count() == distinct
