"""PostgreSQL goes away under a running app and comes back: the API answers 503
with its error shape and Retry-After, pages show a friendly 503, the health
check fails; once the database is reachable again the same processes serve
200s, with no restart. Real PostgreSQL, a real gunicorn, a TCP proxy cut in
between (tests/faults/proxy.py)."""

import pytest

from tracker.accounts.services import token_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

API, PAGE = "/api/v1/products/", "/products/"


@pytest.fixture
def credentials(client, alice, team):
    """An API token and a signed-in session cookie for alice."""
    client.force_login(alice)
    return (
        {"Authorization": f"Bearer {token_create(user=alice, name='cli')[1]}"},
        {"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
    )


def _all_ok(server, api, page) -> None:
    assert server.request("GET", API, headers=api).status == 200
    assert server.request("GET", PAGE, headers=page).status == 200
    assert server.request("GET", "/healthz").status == 200


def test_outage_is_503_and_recovery_needs_no_restart(
    app_through, db_proxy, credentials
):
    api, page = credentials
    server = app_through(DATABASE_CONNECT_TIMEOUT="2")
    _all_ok(server, api, page)  # the worker now holds a pooled connection
    workers = server.worker_pids()

    db_proxy.cut()
    reply = server.request("GET", API, headers=api)
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "30"
    assert reply.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The database is unavailable; retry in a moment.",
            "fields": {},
        }
    }
    reply = server.request("GET", PAGE, headers=page)
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "30"
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"The tracker is temporarily unavailable" in reply.body
    reply = server.request("GET", "/healthz")
    assert (reply.status, reply.body) == (503, b"database unavailable")

    # A server that accepts connections and never answers: the connect
    # timeout (2 s here) turns it into a 503 instead of a request that hangs.
    db_proxy.stall()
    reply = server.request("GET", API, headers=api, timeout=15)
    assert (reply.status, reply.headers["Retry-After"]) == (503, "30")

    db_proxy.restore()
    _all_ok(server, api, page)
    assert server.worker_pids() == workers  # the same processes, not restarted
