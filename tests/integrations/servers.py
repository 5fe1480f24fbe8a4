"""Real servers the integration tests start, each bound to 127.0.0.1 on a free
port and stopped by its own process id: Prometheus (Debian's `prometheus`)
scraping a tiny exporter (prometheus_client) this process runs."""

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from tests.conftest import require

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up in {seconds} s")


@contextmanager
def prometheus_scraping(values: dict[str, float]) -> Iterator[str]:
    """A real Prometheus scraping an exporter whose gauge
    `tracker_test_latency_ms{product=…}` has `values`; yields its base URL once
    every series is queryable."""
    require(Path(PROMETHEUS).exists(), "needs Prometheus (apt-get install prometheus)")
    registry = CollectorRegistry()
    gauge = Gauge(
        "tracker_test_latency_ms", "p99 latency", ["product"], registry=registry
    )
    for product, value in values.items():
        gauge.labels(product=product).set(value)
    exporter_port, port = free_port(), free_port()
    server, _thread = start_http_server(
        exporter_port, addr="127.0.0.1", registry=registry
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "prometheus.yml")
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: exporter\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
        )
        process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp}/data",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(
                lambda: len(_series(url, "tracker_test_latency_ms")) == len(values),
                30,
                "Prometheus with every series",
            )
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
            server.shutdown()


def _series(url: str, query: str) -> list:
    answer = requests.get(f"{url}/api/v1/query", params={"query": query}, timeout=2)
    return answer.json()["data"]["result"]
