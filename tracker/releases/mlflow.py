"""Keeping a product's versions in step with an MLflow registered model, through
MLflow's REST API (plain HTTP: no MLflow client at run time).

Read: the registered model (its aliases), its versions (paged), and each
version's run (its metrics and git commit tag). Written: versions created or
updated (`in_registry`), versions gone from MLflow marked
`deleted_in_registry_at` (never deleted: deployments and incidents point at
them), aliases moved to match. Idempotent: a second sync with nothing changed
in MLflow writes nothing. Called only from tasks.mlflow_sync, never in a
request; every call has a timeout.
"""

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.ci.models import validate_metrics
from tracker.lib.services import model_update
from tracker.releases import services
from tracker.releases.models import Alias, MlflowRegistry, ModelVersion

TIMEOUT_SECONDS = 10
PAGE_SIZE = 200
MAX_PAGES = 50
_SHA = re.compile(r"^[0-9a-f]{7,64}$")


class MlflowError(Exception):
    """MLflow could not be read: unreachable, refused, or an unexpected answer."""


def _get(registry: MlflowRegistry, endpoint: str, **params: Any) -> dict[str, Any]:
    url = (
        f"{registry.tracking_uri.rstrip('/')}/api/2.0/mlflow/{endpoint}"
        f"?{urlencode(params)}"
    )
    headers = {"Accept": "application/json"}
    if registry.token:
        headers["Authorization"] = f"Bearer {registry.token}"
    try:
        with urlopen(Request(url, headers=headers), timeout=TIMEOUT_SECONDS) as answer:
            body = json.loads(answer.read(10 * 1024 * 1024))
    except HTTPError as exc:
        raise MlflowError(f"MLflow answered {exc.code} to {endpoint}.") from exc
    except (URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise MlflowError(f"MLflow is unreachable: {reason}.") from exc
    except ValueError as exc:
        raise MlflowError(f"MLflow's answer to {endpoint} is not JSON.") from exc
    if not isinstance(body, dict):
        raise MlflowError(f"MLflow's answer to {endpoint} is not an object.")
    return body


def _versions(registry: MlflowRegistry) -> list[dict[str, Any]]:
    found, token = [], None
    for _ in range(MAX_PAGES):
        params = {
            "filter": f"name='{registry.registered_model}'",
            "max_results": PAGE_SIZE,
        }
        if token:
            params["page_token"] = token
        body = _get(registry, "model-versions/search", **params)
        found += body.get("model_versions", [])
        token = body.get("next_page_token")
        if not token:
            break
    return found


def _run(registry: MlflowRegistry, run_id: str) -> tuple[dict[str, float], str]:
    """The run's latest metrics and its git commit (or "")."""
    if not run_id:
        return {}, ""
    data = _get(registry, "runs/get", run_id=run_id).get("run", {}).get("data", {})
    metrics = {m["key"]: m["value"] for m in data.get("metrics", [])}
    tags = {t["key"]: t["value"] for t in data.get("tags", [])}
    sha = str(tags.get("mlflow.source.git.commit", "")).lower()
    return metrics, sha if _SHA.match(sha) else ""


def mlflow_sync(*, registry: MlflowRegistry) -> int:
    """Read the registry, then write what changed; returns the number of
    versions MLflow has. Raises MlflowError (nothing written) if it cannot be
    read."""
    model = _get(registry, "registered-models/get", name=registry.registered_model)
    aliases = model.get("registered_model", {}).get("aliases", [])
    versions = [(v, *_run(registry, v.get("run_id", ""))) for v in _versions(registry)]
    try:
        with transaction.atomic():
            return _write(registry, aliases, versions)
    except ValidationError as exc:
        raise MlflowError(f"MLflow holds what the tracker refuses: {exc}.") from exc


def _write(registry: MlflowRegistry, aliases: list, versions: list) -> int:
    by_number = {}
    for remote, metrics, sha in sorted(versions, key=lambda v: _number(v[0])):
        by_number[str(remote["version"])] = _apply(registry, remote, metrics, sha)
    _mark_deleted(registry, set(by_number))
    _apply_aliases(registry, aliases, by_number)
    return len(versions)


def _number(remote: dict[str, Any]) -> int:
    try:
        return int(remote["version"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MlflowError("A model version without a version number.") from exc


def _apply(
    registry: MlflowRegistry, remote: dict[str, Any], metrics: dict, sha: str
) -> ModelVersion:
    created = datetime.fromtimestamp(
        int(remote.get("creation_timestamp", 0)) / 1000, tz=UTC
    )
    version = services.model_version_ensure(
        product=registry.product,
        version=str(remote["version"]),
        defaults={"created_at": created},
    )
    clean = {k: v for k, v in metrics.items() if _valid_metrics({k: v})}
    data: dict[str, Any] = {
        "metrics": {**version.metrics, **clean},
        "in_registry": True,
        "registry_run_id": remote.get("run_id", "") or "",
        "deleted_in_registry_at": None,
    }
    if sha and not version.code_sha:
        data["code_sha"] = sha
    if remote.get("description") and not version.notes:
        data["notes"] = remote["description"]
    model_update(instance=version, fields=list(data), data=data)
    return version


def _valid_metrics(metrics: dict) -> bool:
    try:
        validate_metrics(metrics)
    except ValidationError:
        return False
    return True


def _mark_deleted(registry: MlflowRegistry, present: set[str]) -> None:
    gone = ModelVersion.objects.filter(
        product=registry.product, in_registry=True, deleted_in_registry_at=None
    ).exclude(version__in=present)
    for version in gone:
        model_update(
            instance=version,
            fields=["deleted_in_registry_at"],
            data={"deleted_in_registry_at": timezone.now()},
        )


def _apply_aliases(
    registry: MlflowRegistry, aliases: list[dict], by_number: dict
) -> None:
    kept = set()
    for entry in aliases:
        name, number = entry.get("alias"), str(entry.get("version"))
        if name in Alias.values and number in by_number:
            services.model_alias_set(
                product=registry.product, alias=name, version=by_number[number]
            )
            kept.add(name)
    services.model_alias_clear(product=registry.product, keep=kept)
