"""Fixtures for the fault and load tests: the app under gunicorn against this
test's PostgreSQL database (directly or through a TcpProxy that can be cut)."""

import pytest
from django.conf import settings
from django.db import connection

from tests.faults.app_server import AppServer
from tests.faults.proxy import TcpProxy


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The URL of the database this test runs on (pytest-django's test_…
    database), optionally reached through another address."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    address = f"{host or db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}"
    return f"postgres://{auth}@{address}/{db['NAME']}"


def app_env(**env: str) -> dict[str, str]:
    """What the app subprocess needs beside tests/env.py's defaults: this
    test's secret key (tokens are keyed with it) and no broker unless given."""
    return {"SECRET_KEY": settings.SECRET_KEY, "REDIS_URL": "", **env}


@pytest.fixture
def db_proxy():
    """A cuttable TCP proxy in front of the test's PostgreSQL server."""
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).start()
    yield proxy
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
