"""The app under gunicorn on loopback, in a subprocess, for tests and
benchmarks that need real processes: a database connection pool of its own,
connections the server can drop, concurrent requests on several workers."""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.faults.proxy import HOST

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60  # a cold Django import on a busy 2-core machine
REQUEST_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class AppServer:
    """`gunicorn tests.faults.wsgi:application` with `env` on top of ours."""

    env: dict[str, str]
    workers: int = 1
    threads: int = 1
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> "AppServer":
        self.port = self.port or free_port()
        command = [sys.executable, "-m", "gunicorn", "tests.faults.wsgi:application"]
        command += [f"--bind={HOST}:{self.port}", f"--workers={self.workers}"]
        command += [f"--threads={self.threads}", "--worker-class=gthread"]
        command += ["--backlog=2048", "--log-level=warning", "--timeout=60"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "LOG_LEVEL": "ERROR", **self.env},
            start_new_session=True,  # its own process group, stopped as one
        )
        self._wait_until_serving()
        return self

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            with contextlib.suppress(OSError):
                self.request("GET", "/healthz", timeout=5)
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {START_SECONDS} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def worker_pids(self) -> set[int]:
        """The worker processes now serving (a worker that crashed and was
        replaced shows up as a new pid)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in path.read_text().split()}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = REQUEST_SECONDS,
        connection: http.client.HTTPConnection | None = None,
    ) -> Reply:
        """One request; raises OSError when the server cannot be reached. Pass
        `connection` to reuse a keep-alive connection."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = connection or http.client.HTTPConnection(
            HOST, self.port, timeout=timeout
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, dict(response.headers), response.read())
        finally:
            if connection is None:
                conn.close()

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
