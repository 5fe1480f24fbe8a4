"""End to end through a real Redis broker and a real Celery worker on PostgreSQL:
a page that finds its stored figures old queues their refresh, and the worker
computes them again for the next request."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.broker import WAIT_SECONDS, worker
from tests.postmortems.conftest import resolved_incident
from tracker.reports.models import StoredFigures

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _recomputed(since) -> StoredFigures:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        row = StoredFigures.objects.get()
        if row.computed_at > since:
            return row
        time.sleep(0.1)
    raise AssertionError("the stored figures were not computed again")


def test_a_worker_computes_old_figures_again(broker, alice_client, product, bob):
    resolved_incident(product, bob, severity="sev1")
    first = alice_client.get("/api/v1/insights/").json()
    assert first["time_by_severity"][0]["incidents"] == 1
    old = timezone.now() - timedelta(minutes=6)
    StoredFigures.objects.update(computed_at=old)
    resolved_incident(product, bob, severity="sev1")
    with worker(broker):
        stale = alice_client.get("/api/v1/insights/").json()
        assert stale["time_by_severity"][0]["incidents"] == 1  # read as kept
        row = _recomputed(old)
    assert row.figures["by_severity"][0]["incidents"] == 2
    fresh = alice_client.get("/api/v1/insights/").json()
    assert fresh["time_by_severity"][0]["incidents"] == 2
    assert fresh["as_of"] > stale["as_of"]
