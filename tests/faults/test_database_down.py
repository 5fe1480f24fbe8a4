"""PostgreSQL goes away under a running app and comes back: the API answers 503
with its error shape and Retry-After, pages show a friendly 503, the health
check fails; once the database is reachable again the same processes serve
200s, with no restart, and writes refused during the outage, sent again as
Retry-After says, are stored once. Real PostgreSQL, a real gunicorn, a TCP
proxy cut in between (tests/faults/proxy.py)."""

import hashlib
import json
import time

import pytest
from django.db import transaction

from tests.faults.conftest import scale
from tests.incidents.conftest import alert_payload, make_integration
from tracker.accounts.services import token_create
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.incidents.models import AlertDelivery, Incident

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API, PAGE = "/api/v1/products/", "/products/"
WRITES = scale("DATABASE_DOWN_WRITES", 4, maximum=1000)
UNAVAILABLE = {
    "error": {
        "code": "service_unavailable",
        "message": "The database is unavailable; retry in a moment.",
        "fields": {},
    }
}


@pytest.fixture
def credentials(client, alice, owned):
    """An API token and a signed-in session cookie for alice."""
    client.force_login(alice)
    return (
        {"Authorization": f"Bearer {token_create(user=alice, name='cli')[1]}"},
        {"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
    )


@pytest.fixture
def writes(alice, owned):
    """send(server) -> statuses: WRITES CI statuses and WRITES alert
    deliveries, each a new one, as CI and Alertmanager would post them."""
    ci_token = token_create(user=alice, name="ci", product=owned)[1]
    ci = {"Authorization": f"Bearer {ci_token}"}
    integration = make_integration(alice)
    hook = {"Authorization": f"Bearer {integration.secret}"}
    requests = []
    for i in range(WRITES):
        sha = hashlib.sha1(str(i).encode()).hexdigest()
        status = {"sha": sha, "context": "train", "state": "success"}
        requests.append((f"{API}{owned.slug}/ci-status/", status, ci))
        alert = json.dumps(alert_payload(f"outage-{i}")).encode()
        requests.append((f"/hooks/alerts/{integration.pk}/", alert, hook))

    def send(server) -> list:
        return [server.request("POST", *r[:2], headers=r[2]) for r in requests]

    return send


def _all_ok(server, api, page) -> None:
    assert server.request("GET", API, headers=api).status == 200
    assert server.request("GET", PAGE, headers=page).status == 200
    assert server.request("GET", "/healthz").status == 200


def test_outage_is_503_and_recovery_needs_no_restart(
    app_through, db_proxy, credentials, writes, report
):
    api, page = credentials
    server = app_through(DATABASE_CONNECT_TIMEOUT="2")
    _all_ok(server, api, page)  # the worker now holds a pooled connection
    workers = server.worker_pids()

    db_proxy.cut()
    reply = server.request("GET", API, headers=api)
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")
    assert reply.json() == UNAVAILABLE
    reply = server.request("GET", PAGE, headers=page)
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"The tracker is temporarily unavailable" in reply.body
    reply = server.request("GET", "/healthz")
    assert (reply.status, reply.body) == (503, b"database unavailable")
    refused = writes(server)
    assert {(r.status, r.headers["Retry-After"]) for r in refused} == {(503, "30")}

    # A server that accepts connections and never answers: the connect
    # timeout (2 s here) turns it into a 503 instead of a request that hangs.
    db_proxy.stall()
    reply = server.request("GET", API, headers=api, timeout=15)
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")

    db_proxy.restore()
    _all_ok(server, api, page)
    assert server.worker_pids() == workers  # the same processes, not restarted
    retried = writes(server)  # what CI and Alertmanager do after a 5xx
    outcome = {
        "sent": len(refused),
        "refused": sum(r.status == 503 for r in refused),
        "stored": CIStatus.objects.count() + AlertDelivery.objects.count(),
        "duplicated": CIStatusEvent.objects.count() - CIStatus.objects.count(),
        "lost": len(refused) - sum(r.status in (200, 201, 202) for r in retried),
    }
    report("postgresql down, then retried", **outcome)
    assert outcome == {
        "sent": 2 * WRITES,
        "refused": 2 * WRITES,
        "stored": 2 * WRITES,
        "duplicated": 0,
        "lost": 0,
    }
    assert Incident.objects.count() == WRITES


def test_a_statement_stuck_on_a_lock_is_a_quick_503(app_through, alice, owned):
    """A database too busy or locked to answer: the server cancels the
    statement after DATABASE_STATEMENT_TIMEOUT, and the request gets the 503
    with Retry-After in seconds instead of waiting as long as the lock."""
    token = token_create(user=alice, name="ci", product=owned)[1]
    ci = {"Authorization": f"Bearer {token}"}
    report = {"sha": "a" * 40, "context": "train", "state": "pending"}
    path = f"{API}{owned.slug}/ci-status/"
    server = app_through(DATABASE_STATEMENT_TIMEOUT="1")
    assert server.request("POST", path, report, headers=ci).status == 201
    with transaction.atomic():  # another session holds the stage's row
        CIStatus.objects.select_for_update().get(sha=report["sha"])
        started = time.monotonic()
        reply = server.request(
            "POST", path, {**report, "state": "success"}, headers=ci, timeout=15
        )
        waited = time.monotonic() - started
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")
    assert reply.json() == UNAVAILABLE
    assert waited < 5
    # The lock gone, the same report goes through: nothing was half-written.
    reply = server.request("POST", path, {**report, "state": "success"}, headers=ci)
    assert reply.status == 200
    assert CIStatus.objects.get().state == "success"
