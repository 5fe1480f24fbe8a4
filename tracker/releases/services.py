"""Writes for model versions, aliases, deployments and the release settings.

Who calls them: the API and pages (people, CI tokens), the CI reaction below
(connected in apps.py to tracker.ci.signals.stage_finished) and the MLflow sync
(tracker.releases.mlflow). Deployments of one product are recorded one at a
time (the product row is locked), so `is_rollback` and `replaced` are derived
from a history nobody is changing meanwhile.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.ci.models import CIStatus, State, validate_metrics
from tracker.ci.services import metrics_segments_check
from tracker.lib.services import model_create, model_update
from tracker.products.models import Product
from tracker.releases.models import (
    Alias,
    Deployment,
    MlflowRegistry,
    ModelAlias,
    ModelVersion,
    ReleaseSettings,
)

VERSION_FIELDS = ["code_sha", "data_snapshot", "metrics", "approved_by", "notes"]
DEPLOYMENT_FIELDS = ["traffic_percent", "deployed_at", "run_url", "notes"]
SETTINGS_FIELDS = ["evaluate_context", "deploy_context"]


def model_version_create(
    *, product: Product, version: str, data: dict[str, Any], actor: User | None
) -> ModelVersion:
    """A new version; a version the product has already is a 409 (the unique
    constraint). `approved_by` given without `approved_at` is approved now."""
    values = {field: data[field] for field in VERSION_FIELDS if field in data}
    if values.get("approved_by") and not data.get("approved_at"):
        values["approved_at"] = timezone.now()
    elif data.get("approved_at"):
        values["approved_at"] = data["approved_at"]
    instance = ModelVersion(
        product=product,
        version=version,
        created_at=data.get("created_at") or timezone.now(),
        **values,
    )
    instance.full_clean(validate_unique=False, validate_constraints=False)
    metrics_segments_check(product=product, metrics=instance.metrics)
    with transaction.atomic():  # a duplicate fails alone (the API's 409)
        instance.save()
    return instance


def model_version_update(
    *, version: ModelVersion, data: dict[str, Any], actor: User | None
) -> list[str]:
    """Change a version's record; approving stamps `approved_at` when not given."""
    data = dict(data)
    if data.get("metrics"):
        try:
            validate_metrics(data["metrics"])
        except ValidationError as error:
            raise ValidationError({"metrics": error.messages}) from None
        metrics_segments_check(product=version.product, metrics=data["metrics"])
    if data.get("approved_by") and not version.approved_by_id:
        data.setdefault("approved_at", timezone.now())
    return model_update(
        instance=version, fields=[*VERSION_FIELDS, "approved_at"], data=data
    )


def model_version_ensure(
    *, product: Product, version: str, defaults: dict[str, Any]
) -> ModelVersion:
    """The product's `version`, created with `defaults` if new (CI and the MLflow
    sync: concurrent first reports of one version create it once)."""
    found = ModelVersion.objects.filter(product=product, version=version).first()
    if found:
        return found
    candidate = ModelVersion(
        product=product,
        version=version,
        created_at=defaults.pop("created_at", None) or timezone.now(),
        **defaults,
    )
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        obj, _ = ModelVersion.objects.get_or_create(
            product=product,
            version=version,
            defaults={
                f.attname: getattr(candidate, f.attname)
                for f in ModelVersion._meta.concrete_fields
                if f.name not in ("id", "product", "version")
            },
        )
    return obj


def model_alias_set(*, product: Product, alias: str, version: ModelVersion) -> None:
    """Point `alias` at `version` (an alias names one version at a time)."""
    if version.product_id != product.pk:
        raise ValidationError({"version": "A version of another product."})
    current = ModelAlias.objects.filter(product=product, alias=alias).first()
    if current is None:
        model_create(ModelAlias, product=product, alias=alias, version=version)
    elif current.version_id != version.pk:
        model_update(instance=current, fields=["version"], data={"version": version})


def model_version_aliases_set(*, version: ModelVersion, aliases: list[str]) -> None:
    """Exactly `aliases` name `version`: one named on another version of the
    product moves here, one on this version that is not listed is removed."""
    unknown = sorted(set(aliases) - set(Alias.values))
    if unknown:
        raise ValidationError(
            {"aliases": f"Unknown alias {', '.join(unknown)}: use {', '.join(Alias)}."}
        )
    with transaction.atomic():
        # One change of the product's aliases at a time (the unique constraint
        # would refuse the second of two concurrent moves).
        Product.objects.select_for_update().filter(pk=version.product_id).first()
        for alias in version.aliases.exclude(alias__in=aliases):
            alias.delete()
        for alias in sorted(set(aliases)):
            model_alias_set(product=version.product, alias=alias, version=version)


def model_version_approve(*, version: ModelVersion, actor: User) -> bool:
    """`actor` approves `version` now; False when it was approved already."""
    if version.approved_by_id or version.approved_at:
        return False
    model_version_update(version=version, data={"approved_by": actor}, actor=actor)
    return True


def model_alias_clear(*, product: Product, keep: set[str]) -> None:
    """Remove the product's aliases not in `keep` (the registry dropped them)."""
    for alias in ModelAlias.objects.filter(product=product).exclude(alias__in=keep):
        alias.delete()


def deployment_record(
    *,
    product: Product,
    version: ModelVersion,
    environment: str,
    data: dict[str, Any],
    actor: User | None,
    ci_status: CIStatus | None = None,
) -> Deployment:
    """Record that `version` went to `environment`. It replaces the latest
    deployment there at or before its time; deploying a version created before
    the replaced one's is a rollback."""
    if version.product_id != product.pk:
        raise ValidationError({"version": "A version of another product."})
    values = {field: data[field] for field in DEPLOYMENT_FIELDS if field in data}
    values.setdefault("deployed_at", timezone.now())
    deployment = Deployment(
        product=product,
        version=version,
        environment=environment,
        deployed_by=actor,
        ci_status=ci_status,
        **values,
    )
    deployment.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        Product.objects.select_for_update().filter(pk=product.pk).first()
        replaced = _replaced(deployment)
        deployment.replaced = replaced
        deployment.is_rollback = bool(
            replaced and _version_key(version) < _version_key(replaced.version)
        )
        deployment.save()
    return deployment


def _replaced(deployment: Deployment) -> Deployment | None:
    return (
        Deployment.objects.select_related("version")
        .filter(
            product_id=deployment.product_id,
            environment=deployment.environment,
            deployed_at__lte=deployment.deployed_at,
        )
        .order_by("-deployed_at", "-id")
        .first()
    )


def _version_key(version: ModelVersion) -> tuple[datetime, int]:
    return (version.created_at, version.pk)


def release_settings_update(
    *, product: Product, data: dict[str, Any]
) -> ReleaseSettings:
    settings, _ = ReleaseSettings.objects.get_or_create(product=product)
    model_update(instance=settings, fields=SETTINGS_FIELDS, data=data)
    return settings


def release_settings_for(product: Product) -> ReleaseSettings:
    """The product's settings, or the defaults (unsaved) when it has none."""
    found = ReleaseSettings.objects.filter(product=product).first()
    return found or ReleaseSettings(product=product)


# --- The reaction to CI reports ---------------------------------------------------


def release_ci_stage_finished(
    *, product: Product, context: str, state: str, status: CIStatus, **signal: Any
) -> None:
    """tracker.ci.signals.stage_finished's receiver: a finished evaluation stage
    carrying `model_version` and `metrics` records the metrics on that version
    (created if new); a successful deploy stage with a `model_version` records a
    production deployment, once per stage report."""
    if not status.model_version:
        return
    settings = release_settings_for(product)
    if context == settings.evaluate_context and status.metrics:
        version = _ci_version(product, status)
        merged = {**version.metrics, **status.metrics}
        if merged != version.metrics:
            model_update(instance=version, fields=["metrics"], data={"metrics": merged})
    if context == settings.deploy_context and state == State.SUCCESS:
        if Deployment.objects.filter(ci_status=status).exists():
            return
        deployment_record(
            product=product,
            version=_ci_version(product, status),
            environment="production",
            data={
                "deployed_at": status.completed_at or status.updated_at,
                "run_url": status.target_url,
            },
            actor=status.reported_by,
            ci_status=status,
        )


def _ci_version(product: Product, status: CIStatus) -> ModelVersion:
    try:
        return model_version_ensure(
            product=product,
            version=status.model_version,
            defaults={"code_sha": status.sha},
        )
    except ValidationError as exc:  # named as the report named it
        raise ValidationError({"model_version": exc.messages}) from exc


# --- The MLflow registry ----------------------------------------------------------

REGISTRY_FIELDS = ["tracking_uri", "registered_model", "token"]


def mlflow_registry_save(*, product: Product, data: dict[str, Any]) -> MlflowRegistry:
    """Connect or change the product's registry; an empty token keeps the saved
    one (it is never shown again)."""
    data = dict(data)
    if not data.get("token"):
        data.pop("token", None)
    registry = MlflowRegistry.objects.filter(product=product).first()
    if registry is None:
        return model_create(MlflowRegistry, product=product, **data)
    model_update(instance=registry, fields=REGISTRY_FIELDS, data=data)
    return registry


def mlflow_registry_result(
    *, registry: MlflowRegistry, error: str = "", at: datetime | None = None
) -> None:
    """Record how a sync ended: its time, or the error and when it happened."""
    at = at or timezone.now()
    if error:
        registry.last_error, registry.last_error_at = error[:2000], at
        registry.save(update_fields=["last_error", "last_error_at"])
    else:
        registry.last_sync_at, registry.last_error = at, ""
        registry.save(update_fields=["last_sync_at", "last_error"])
