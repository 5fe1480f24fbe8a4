"""When the database cannot be reached: 503 with `Retry-After`, never a 500.

A connection-level failure (the server is down, restarting or refusing
connections, or it dropped the connection mid-request) surfaces as an
OperationalError or InterfaceError wherever the database is first touched: the
session and authentication middleware, an API authenticator, a view, a
template. Django hands any exception it did not expect to the 500 handler, so
`server_error` (handler500 in tracker/urls.py) is the one place that sees them
all; the API's exception handler (tracker.lib.api) answers the same for DRF
views, in DRF's renderer.

Recovery needs no restart: Django drops a connection that raised (and
CONN_HEALTH_CHECKS re-checks a pooled one before each request uses it), so the
first request after the database is back opens a fresh connection.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30
MESSAGE = "The database is unavailable; retry in a moment."
# SQLSTATE classes of connection trouble: 08 connection exception, 53
# insufficient resources (too many connections), 57P operator intervention
# (shutdown, crash, starting up), and 57014 a statement the server cancelled
# (DATABASE_STATEMENT_TIMEOUT: the database is too busy or locked to answer).
UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "57014")
# SQLite's equivalents: the file is busy, locked or cannot be opened.
UNAVAILABLE_SQLITE = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN"}


def database_unavailable(exc: BaseException | None) -> bool:
    """True for a failure to reach the database, False for errors in a query
    (a missing table or a deadlock stays a 500: retrying will not fix a bug)."""
    if isinstance(exc, InterfaceError):  # "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(UNAVAILABLE_SQLSTATES)
    sqlite_error = getattr(cause, "sqlite_errorname", None)
    if sqlite_error is not None:
        return sqlite_error in UNAVAILABLE_SQLITE
    # psycopg reports a refused, failed or dropped connection without a SQLSTATE.
    return True


def _error_body(path: str) -> dict:
    """The JSON body for `path`: the API's error shape, or the alert
    receiver's ({"error": reason}, tracker/incidents/receiver.py)."""
    if path.startswith("/hooks/"):
        return {"error": MESSAGE}
    return {"error": {"code": "service_unavailable", "message": MESSAGE, "fields": {}}}


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 + Retry-After: JSON for API clients and monitoring tools, a page for
    people. The page is rendered without a request, so no context processor
    (the notification bell) touches the database."""
    if request.path.startswith(("/api/", "/hooks/")):
        response = JsonResponse(_error_body(request.path), status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 when the database could not be reached, else the usual
    500 page. Django calls it inside its `except` block (django.core.handlers.
    exception.response_for_exception), where the exception is still current."""
    if database_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return defaults.server_error(request)
