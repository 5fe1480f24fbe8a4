"""The MLflow sync against a real `mlflow server` (SQLite backend, loopback),
with models, runs and aliases registered by MLflow's own client.

MLflow lives in its own virtualenv (.venv-mlflow, made by .ci/run, or
MLFLOW_VENV): it pins an older `cryptography` than the tracker's. The tracker
reads it over plain HTTP and needs none of it at run time.
"""

import os
import signal
import socket
import subprocess
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require
from tracker.releases import tasks
from tracker.releases.models import MlflowRegistry, ModelAlias, ModelVersion

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _venv() -> Path:
    return Path(os.environ.get("MLFLOW_VENV", ROOT / ".venv-mlflow"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory):
    venv = _venv()
    require(
        (venv / "bin" / "mlflow").exists(),
        f"MLflow server not installed in {venv} (.ci/run installs it)",
    )
    data = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(venv / "bin" / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{data / 'mlflow.db'}",
            "--artifacts-destination",
            str(data / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the workers it starts end with it
    )
    try:
        deadline = time.monotonic() + 90
        while not _up(url) and time.monotonic() < deadline:
            time.sleep(0.5)  # waiting on a real server, not on our own code
        assert _up(url), "mlflow server did not start"
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def mlflow_client(url: str, code: str) -> None:
    """Run `code` with MLflow's own client (in its virtualenv) against `url`."""
    script = "import mlflow\nfrom mlflow import MlflowClient\n"
    script += f"mlflow.set_tracking_uri({url!r})\nc = MlflowClient()\n"
    script += textwrap.dedent(code)
    python = _venv() / "bin" / "python"
    subprocess.run([str(python), "-c", script], check=True, capture_output=True)


REGISTER = """
name = {name!r}
c.create_registered_model(name)
for auc in (0.90, 0.93):
    with mlflow.start_run() as run:
        mlflow.log_metric("auc", auc)
        mlflow.log_metric("recall", auc - 0.3)
        mlflow.set_tag("mlflow.source.git.commit", "abcdef1234567890")
    c.create_model_version(
        name, source=f"runs:/{{run.info.run_id}}/model", run_id=run.info.run_id
    )
c.set_registered_model_alias(name, "champion", "2")
c.set_registered_model_alias(name, "challenger", "1")
"""


def _sync(registry: MlflowRegistry) -> MlflowRegistry:
    tasks.mlflow_sync(registry.pk)
    registry.refresh_from_db()
    return registry


def test_sync_follows_versions_metrics_aliases_and_deletions(mlflow_url, product):
    mlflow_client(mlflow_url, REGISTER.format(name="fraud-sync"))
    registry = MlflowRegistry.objects.create(
        product=product, tracking_uri=mlflow_url, registered_model="fraud-sync"
    )
    assert not _sync(registry).last_error
    assert registry.last_sync_at is not None
    v1, v2 = ModelVersion.objects.filter(product=product).order_by("created_at")
    assert (v1.version, v2.version) == ("1", "2")
    assert v2.metrics == {"auc": 0.93, "recall": pytest.approx(0.63)}
    assert v1.code_sha == "abcdef1234567890"
    assert v1.in_registry and v1.registry_run_id
    aliases = dict(
        ModelAlias.objects.filter(product=product).values_list(
            "alias", "version__version"
        )
    )
    assert aliases == {"champion": "2", "challenger": "1"}

    # Idempotent: nothing changed in MLflow, nothing is written.
    stamps = list(ModelVersion.objects.values_list("updated_at", flat=True))
    _sync(registry)
    assert list(ModelVersion.objects.values_list("updated_at", flat=True)) == stamps

    # A version deleted in MLflow is marked, not deleted; aliases follow.
    mlflow_client(
        mlflow_url,
        """
        c.delete_registered_model_alias("fraud-sync", "challenger")
        c.delete_model_version("fraud-sync", "1")
        """,
    )
    _sync(registry)
    v1.refresh_from_db()
    assert v1.deleted_in_registry_at is not None
    assert ModelVersion.objects.filter(product=product).count() == 2
    assert list(
        ModelAlias.objects.filter(product=product).values_list("alias", flat=True)
    ) == ["champion"]


def test_unknown_registered_model_is_an_error_with_its_time(mlflow_url, product):
    registry = MlflowRegistry.objects.create(
        product=product, tracking_uri=mlflow_url, registered_model="no-such-model"
    )
    _sync(registry)
    assert "404" in registry.last_error
    assert registry.last_error_at is not None
    assert not ModelVersion.objects.exists()


def test_unreachable_mlflow_is_an_error_shown_on_the_page(
    product, alice_client, django_capture_on_commit_callbacks
):
    closed = f"http://127.0.0.1:{_free_port()}"
    registry = MlflowRegistry.objects.create(
        product=product, tracking_uri=closed, registered_model="fraud"
    )
    page = f"/products/{product.slug}/mlflow/"
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"{page}sync/")
    assert response.status_code == 302
    registry.refresh_from_db()
    assert registry.last_error.startswith("MLflow is unreachable")
    content = alice_client.get(page).content.decode()
    assert "MLflow is unreachable" in content
    assert f"{registry.last_error_at:%Y}" in content


def test_saving_the_registry_keeps_the_token_encrypted(product, alice_client):
    page = f"/products/{product.slug}/mlflow/"
    data = {
        "tracking_uri": "http://mlflow.internal:5000",
        "registered_model": "fraud",
        "token": "s3cret-token",
    }
    assert alice_client.post(page, data).status_code == 302
    registry = MlflowRegistry.objects.get(product=product)
    assert registry.token == "s3cret-token"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT token FROM releases_mlflowregistry WHERE id = %s", [registry.pk]
        )
        assert "s3cret" not in cursor.fetchone()[0]
    # An empty token keeps the saved one.
    alice_client.post(page, {**data, "token": ""})
    registry.refresh_from_db()
    assert registry.token == "s3cret-token"
    assert "s3cret-token" not in alice_client.get(page).content.decode()


def test_bad_tracking_uri_is_a_form_error(product, alice_client):
    response = alice_client.post(
        f"/products/{product.slug}/mlflow/",
        {"tracking_uri": "file:///etc/passwd", "registered_model": "x"},
    )
    assert response.status_code == 400
    assert not MlflowRegistry.objects.exists()
