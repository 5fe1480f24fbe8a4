"""Celery tasks for releases: thin wrappers around the MLflow sync. Beat runs
`mlflow_sync_all` hourly; the "Sync now" button queues `mlflow_sync`."""

from celery import shared_task

from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.releases.mlflow import MlflowError
from tracker.releases.mlflow import mlflow_sync as sync
from tracker.releases.models import MlflowRegistry
from tracker.releases.services import mlflow_registry_result


@shared_task
def mlflow_sync(registry_id: int) -> str:
    """Sync one registry; the error is recorded on it, never raised."""
    registry = (
        MlflowRegistry.objects.select_related("product").filter(pk=registry_id).first()
    )
    if registry is None:
        return "gone"
    with acting(via=Via.TASK, label=f"MLflow sync of {registry.registered_model}"):
        try:
            count = sync(registry=registry)
        except MlflowError as exc:
            mlflow_registry_result(registry=registry, error=str(exc))
            return f"error: {exc}"
    mlflow_registry_result(registry=registry)
    return f"{count} versions"


@shared_task
def mlflow_sync_all() -> int:
    """Queue a sync of every registry; how many."""
    ids = list(MlflowRegistry.objects.values_list("pk", flat=True))
    for pk in ids:
        mlflow_sync.delay(pk)
    return len(ids)
