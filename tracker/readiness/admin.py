from django.contrib import admin

from tracker.readiness.models import GateOverride, MLTestResult, MLTestScoreSnapshot


@admin.register(MLTestResult)
class MLTestResultAdmin(admin.ModelAdmin):
    list_display = ["product", "code", "level", "ci_context", "updated_at"]
    list_filter = ["level", "code"]
    autocomplete_fields = ["product"]


@admin.register(MLTestScoreSnapshot)
class MLTestScoreSnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "recorded_at",
        "score",
        "data",
        "model",
        "infra",
        "monitoring",
    ]
    readonly_fields = [f.name for f in MLTestScoreSnapshot._meta.fields]


@admin.register(GateOverride)
class GateOverrideAdmin(admin.ModelAdmin):
    list_display = ["stage_change", "overridden_by", "created_at"]
    readonly_fields = ["stage_change", "failing_items", "overridden_by", "created_at"]
