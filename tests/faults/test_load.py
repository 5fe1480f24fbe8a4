"""Load on loopback: CI statuses and alert deliveries posted concurrently to the
app under gunicorn (2 workers) on PostgreSQL, with Redis as the broker (no
worker: queued work waits; the deliveries are ingested after the load, as a
worker would). No request may fail, and every acknowledged request must be in
the database exactly once: a CI key has one current row and one history row
per accepted report; every accepted delivery is one stored delivery, and a
fingerprint one incident, however often sent.

Bounded: FAULTS_LOAD_REQUESTS requests (400), FAULTS_LOAD_SECONDS (12) at most. The
benchmark (benchmarks/faults_and_load.py) runs this test at a larger scale and prints
the rate held."""

import uuid
from collections import Counter

import pytest
import redis
from django.db.models import Count, Sum

from tests.faults.app_server import AppServer
from tests.faults.conftest import app_env, database_url, scale
from tests.faults.load import fire, jobs
from tests.incidents.conftest import make_integration
from tracker.accounts.services import token_create
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.incidents.models import AlertDelivery, Incident
from tracker.incidents.tasks import delivery_ingest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

REQUESTS = scale("LOAD_REQUESTS", 400, maximum=50_000)
SECONDS = scale("LOAD_SECONDS", 12, maximum=3600)
CLIENTS = scale("LOAD_CLIENTS", 12, maximum=256)


@pytest.fixture
def app(settings):
    """The app with 2 gunicorn workers, on Redis keys of its own."""
    prefix = f"test-{uuid.uuid4().hex}:"
    env = app_env(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_KEY_PREFIX=prefix,
        API_RATE_CI="1000000/min",  # the load is one CI token: not throttled
    )
    with AppServer(env=env, workers=2, threads=4) as server:
        yield server
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def test_concurrent_ci_statuses_and_alerts_are_each_stored_once(
    app, owned, alice, report
):
    ci_token = token_create(user=alice, name="load", product=owned)[1]
    integration = make_integration(alice)
    work = jobs(
        count=REQUESTS,
        ci=(owned.slug, ci_token),
        alerts=(integration.pk, integration.secret),
    )
    outcome = fire(app, work, clients=CLIENTS, seconds=SECONDS)

    report(
        "load",
        requests=outcome.requests,
        seconds=round(outcome.seconds, 2),
        per_second=round(outcome.requests / outcome.seconds, 1),
        statuses=dict(outcome.statuses),
    )
    assert outcome.requests > 0
    assert set(outcome.statuses) <= {200, 201, 202}, outcome.statuses  # no 5xx, no 4xx

    # CI: one current row per acknowledged key, created once; one history row
    # per acknowledged report.
    ci_keys = outcome.keys("ci")
    assert set(CIStatus.objects.values_list("sha", "context")) == ci_keys
    assert all(outcome.created[("ci", key)] == 1 for key in ci_keys)
    events = Counter(
        {
            (row["status__sha"], row["status__context"]): row["n"]
            for row in CIStatusEvent.objects.values(
                "status__sha", "status__context"
            ).annotate(n=Count("id"))
        }
    )
    assert events == Counter({key: outcome.accepted[("ci", key)] for key in ci_keys})

    # Alerts: every acknowledged delivery stored, one incident per fingerprint,
    # opened exactly once among all the deliveries' ingestions.
    fingerprints = {key[0] for key in outcome.keys("alert")}
    assert AlertDelivery.objects.count() == outcome.count("alert")
    pending = AlertDelivery.objects.filter(state="pending")
    for pk in pending.values_list("pk", flat=True):
        delivery_ingest(pk)
    assert set(Incident.objects.values_list("fingerprint", flat=True)) == fingerprints
    opened = AlertDelivery.objects.aggregate(n=Sum("opened"))["n"]
    assert Incident.objects.count() == len(fingerprints) == opened
