"""Admin for model releases: versions, aliases, deployments and the MLflow
registries (the token is write-only there, as everywhere)."""

from django.contrib import admin

from tracker.releases.models import (
    Deployment,
    MlflowRegistry,
    ModelAlias,
    ModelVersion,
    ReleaseSettings,
)


class AliasInline(admin.TabularInline):
    model = ModelAlias
    fk_name = "version"
    extra = 0


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "product", "code_sha", "approved_by", "created_at"]
    list_filter = ["product__team"]
    search_fields = ["version", "product__slug", "code_sha"]
    raw_id_fields = ["product", "approved_by"]
    inlines = [AliasInline]


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "product",
        "environment",
        "traffic_percent",
        "deployed_at",
        "is_rollback",
    ]
    list_filter = ["environment", "is_rollback"]
    search_fields = ["product__slug", "version__version"]
    raw_id_fields = ["product", "version", "deployed_by", "ci_status", "replaced"]


@admin.register(ReleaseSettings)
class ReleaseSettingsAdmin(admin.ModelAdmin):
    list_display = ["product", "evaluate_context", "deploy_context"]
    raw_id_fields = ["product"]


@admin.register(MlflowRegistry)
class MlflowRegistryAdmin(admin.ModelAdmin):
    list_display = ["product", "registered_model", "tracking_uri", "last_sync_at"]
    raw_id_fields = ["product"]
    exclude = ["token"]
    readonly_fields = ["last_sync_at", "last_error", "last_error_at"]
