"""The documented Alertmanager configuration, run for real: Debian's
`prometheus-alertmanager` loads the `alertmanager.yml` block of docs/alerting.md
(its receiver URL and secret pointed at this test's live server), `amtool
check-config` accepts it as written, and alerts added with `amtool` open and
resolve incidents, including one without a `product` label, which waits in the
untriaged inbox."""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import require
from tests.incidents.conftest import make_integration
from tracker.incidents.models import AlertDelivery, Incident

pytestmark = [pytest.mark.django_db(transaction=True)]

DOC = Path(__file__).resolve().parents[2] / "docs" / "alerting.md"
ALERTMANAGER = "prometheus-alertmanager"
WAIT_SECONDS = 30


def documented_config() -> str:
    """The YAML block docs/alerting.md marks as alertmanager.yml."""
    text = DOC.read_text()
    marker = text.index("<!-- alertmanager.yml:")
    match = re.search(r"```yaml\n(.*?)```", text[marker:], re.S)
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition, what: str) -> None:
    # A real server on its own clock: poll, bounded.
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def amtool():
    require(
        shutil.which(ALERTMANAGER) is not None and shutil.which("amtool") is not None,
        "needs Debian's prometheus-alertmanager (apt-get install it)",
    )
    return shutil.which("amtool")


def test_the_documented_config_passes_amtool_as_written(amtool, tmp_path):
    path = tmp_path / "alertmanager.yml"
    path.write_text(documented_config())
    # credentials_file must exist for the check: give it the documented path's role.
    config = yaml.safe_load(documented_config())
    secret = tmp_path / "tracker-secret"
    secret.write_text("tka_example")
    auth = config["receivers"][1]["webhook_configs"][0]["http_config"]["authorization"]
    auth["credentials_file"] = str(secret)
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [amtool, "check-config", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "route" in config and config["route"]["routes"][0]["receiver"] == "tracker"


@pytest.fixture
def alertmanager(amtool, live_server, tmp_path, alice, product):
    """A real Alertmanager on the documented config, sending to a live server."""
    integration = make_integration(alice)
    config = yaml.safe_load(documented_config())
    tracker = config["receivers"][1]["webhook_configs"][0]
    tracker["url"] = live_server.url + integration.receiver_path
    secret = tmp_path / "tracker-secret"
    secret.write_text(integration.secret)
    tracker["http_config"]["authorization"]["credentials_file"] = str(secret)
    # The documented timers, shortened so a test takes seconds.
    config["route"]["routes"][0].update(group_wait="1s", group_interval="2s")
    (tmp_path / "am.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={tmp_path / 'am.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            f"--web.external-url={url}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "am.log", "w"),  # noqa: SIM115 (closed with the process)
        env={**os.environ, "HOME": str(tmp_path)},
    )
    try:
        _wait(lambda: _ready(url), "Alertmanager to start")
        yield url, amtool, integration
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def _add(url: str, amtool: str, *labels: str, end: datetime | None = None) -> None:
    command = [amtool, f"--alertmanager.url={url}", "alert", "add", *labels]
    command += ["--annotation=summary=Null rate above 5%"]
    if end is not None:
        command.append(f"--end={end.isoformat().replace('+00:00', 'Z')}")
    subprocess.run(command, check=True, capture_output=True, timeout=10)


def test_alerts_open_and_resolve_incidents_through_a_real_alertmanager(
    alertmanager, product
):
    url, amtool, integration = alertmanager
    labels = ("alertname=FeatureNullRateHigh", f"product={product.slug}")
    _add(url, amtool, *labels, "severity=critical", "kind=data_quality")
    _wait(lambda: Incident.objects.filter(product=product).exists(), "the incident")
    incident = Incident.objects.get(product=product)
    assert (incident.severity, incident.kind, incident.source) == (
        "sev1",
        "data_quality",
        "alertmanager",
    )
    assert incident.title == "Null rate above 5%"

    # No product label: the integration has no default product, so the inbox.
    _add(url, amtool, "alertname=ScoringLatencyHigh", "severity=warning")
    _wait(lambda: Incident.objects.filter(product=None).exists(), "the inbox")

    # The alert ends: Alertmanager sends the resolution, which resolves it.
    _add(
        url,
        amtool,
        *labels,
        "severity=critical",
        "kind=data_quality",
        end=datetime.now(UTC),
    )
    _wait(
        lambda: Incident.objects.filter(product=product, status="resolved").exists(),
        "the resolution",
    )
    assert Incident.objects.filter(product=product).count() == 1
    assert (
        not AlertDelivery.objects.filter(integration=integration)
        .exclude(state="processed")
        .exists()
    )
