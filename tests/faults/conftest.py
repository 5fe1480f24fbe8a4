"""Fixtures for the fault and load tests: the app under gunicorn against this
test's PostgreSQL database (directly or through a TcpProxy that can be cut),
Redis behind a proxy, and the scale and outcome counts that
benchmarks/faults_and_load.py turns up and prints.

Sizes are small by default (CI runs these on every change); FAULTS_<NAME>
environment variables enlarge them within bounds, and FAULTS_REPORT names a
file each scenario appends its outcome counts to, one JSON line each.
"""

import json
import os
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.faults.app_server import AppServer
from tests.faults.proxy import TcpProxy
from tests.incidents.conftest import am, owned  # noqa: F401  (fixtures used here)


def scale(name: str, default: int, maximum: int = 100_000) -> int:
    """FAULTS_<NAME> from the environment, else `default`; at least 1."""
    value = int(os.environ.get(f"FAULTS_{name}", default))
    return max(1, min(value, maximum))


@pytest.fixture
def report():
    """report(scenario, **counts): asserted by the test, printed by the
    benchmark."""

    def write(scenario: str, **counts) -> None:
        path = os.environ.get("FAULTS_REPORT")
        if path:
            with open(path, "a") as out:
                out.write(json.dumps({"scenario": scenario, **counts}) + "\n")

    return write


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The URL of the database this test runs on (pytest-django's test_…
    database), optionally reached through another address."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    address = f"{host or db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}"
    return f"postgres://{auth}@{address}/{db['NAME']}"


def app_env(**env: str) -> dict[str, str]:
    """What the app subprocess needs beside tests/env.py's defaults: this
    test's secret key (tokens are keyed with it), no broker unless given, and
    mail kept in memory."""
    return {
        "SECRET_KEY": settings.SECRET_KEY,
        "REDIS_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        **env,
    }


@pytest.fixture
def db_proxy():
    """A cuttable TCP proxy in front of the test's PostgreSQL server."""
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def redis_proxy(settings):
    """A cuttable TCP proxy in front of the test's Redis; yields it and the
    broker URL through it."""
    url = urlsplit(settings.REDIS_URL)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 6379).start()
    yield proxy, f"redis://{proxy.address}{url.path or '/0'}"
    proxy.stop()


@pytest.fixture
def app_through(db_proxy):
    """Start the app (one worker, one thread: one pooled connection) with its
    database behind `db_proxy`."""
    servers = []

    def start(**env: str) -> AppServer:
        url = database_url(host="127.0.0.1", port=db_proxy.port)
        server = AppServer(env=app_env(DATABASE_URL=url, **env)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
