"""A request line over gunicorn's limit (--limit-request-line, 4094 bytes by
default) is refused by gunicorn itself, 414 URI Too Long, before the app: what
docs/api.md ("Input the API refuses") tells clients to expect. A real gunicorn,
as the Dockerfile and the compose file run it."""

import socket

import pytest

from tests.faults.app_server import AppServer
from tests.faults.conftest import app_env, database_url
from tests.faults.proxy import HOST

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _raw_get(port: int, target: str) -> bytes:
    request = f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(request.encode())
        answer = b""
        while chunk := sock.recv(65536):  # until the server closes it
            answer += chunk
    return answer


def test_request_line_over_the_limit_is_gunicorns_400():
    with AppServer(env=app_env(DATABASE_URL=database_url())) as server:
        target = "/api/v1/products/?q=" + "a" * 5000
        answer = _raw_get(server.port, target)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 414 URI Too Long")
        assert b"Content-Type: text/html" in head
        assert b"Request Line is too large" in body
        # Just under the limit the app answers, in its own shape (no token: 401).
        fits = "/api/v1/products/?q=" + "a" * 4000
        assert _raw_get(server.port, fits).startswith(b"HTTP/1.1 401")
