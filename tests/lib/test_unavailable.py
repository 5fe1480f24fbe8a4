"""An unreachable database is a 503 with Retry-After wherever the failure
surfaces (middleware, API authentication, a view), never a 500; other database
errors stay 500s. (Against a real PostgreSQL taken away and given back:
tests/faults/test_database_down.py.)"""

import sqlite3
from unittest import mock

import psycopg
import pytest
from django.db import DatabaseError, InterfaceError, OperationalError
from django.test import Client

from tracker.lib.unavailable import database_unavailable


def _wrapped(cause: Exception) -> OperationalError:
    """An OperationalError as Django raises it: the driver's error as cause."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as exc:
        return exc


def _server_error(sqlstate: str) -> psycopg.Error:
    """psycopg's own exception class for a SQLSTATE."""
    return psycopg.errors.lookup(sqlstate)(sqlstate)


def _sqlite(name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(name)
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(
    ("exc", "unavailable"),
    [
        (_wrapped(psycopg.OperationalError("connection failed: refused")), True),
        (_wrapped(_server_error("08006")), True),  # connection failure
        (_wrapped(_server_error("57P01")), True),  # admin shutdown
        (_wrapped(_server_error("53300")), True),  # too many connections
        (_wrapped(_server_error("40P01")), False),  # deadlock: a bug to see
        (_wrapped(_server_error("57014")), True),  # cancelled: statement timeout
        (_wrapped(_sqlite("SQLITE_BUSY")), True),
        (_wrapped(_sqlite("SQLITE_ERROR")), False),  # e.g. no such table
        (InterfaceError("connection already closed"), True),
        (DatabaseError("something else"), False),
        (ValueError("not the database"), False),
    ],
)
def test_only_connection_failures_count_as_unavailable(exc, unavailable):
    assert database_unavailable(exc) is unavailable


DOWN = OperationalError("connection failed: Connection refused")


@pytest.fixture
def signed_in(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def test_page_is_503_when_the_session_middleware_cannot_reach_it(signed_in):
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=DOWN
    ):
        response = signed_in.get("/products/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"The tracker is temporarily unavailable" in response.content


def test_api_is_503_with_the_error_shape_when_authentication_fails(alice):
    client = Client(raise_request_exception=False)
    with mock.patch(
        "tracker.accounts.authentication.BearerTokenAuthentication.authenticate",
        side_effect=DOWN,
    ):
        response = client.get(
            "/api/v1/products/", headers={"Authorization": "Bearer trk_x"}
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["fields"] == {}


def test_api_is_503_when_a_session_fails_before_drf_runs(signed_in):
    """A failure in middleware, outside DRF's own handler, still answers in
    the API's error shape."""
    with (
        mock.patch(
            "django.contrib.sessions.backends.db.SessionStore.load", side_effect=DOWN
        ),
        mock.patch(
            "django.contrib.auth.middleware.AuthenticationMiddleware.process_request",
            side_effect=DOWN,
        ),
    ):
        response = signed_in.get("/api/v1/products/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_alert_receiver_is_503_in_its_own_shape(db):
    client = Client(raise_request_exception=False)
    with mock.patch(
        "tracker.incidents.selectors.integration_for_delivery", side_effect=DOWN
    ):
        response = client.post("/hooks/alerts/1/", b"{}", "application/json")
    assert response.status_code == 503  # Alertmanager and Grafana retry 5xx
    assert response.json() == {
        "error": "The database is unavailable; retry in a moment."
    }


def test_other_database_errors_stay_500(signed_in):
    broken = _wrapped(_sqlite("SQLITE_ERROR"))
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.load", side_effect=broken
    ):
        response = signed_in.get("/products/")
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_health_check_is_503_when_a_query_fails(db):
    client = Client(raise_request_exception=False)
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=DOWN):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
