from django.contrib import admin

from tracker.products.models import (
    FeatureSource,
    Measurement,
    PlanningSession,
    Product,
    ServiceLevel,
    SLACheck,
    StageChange,
    SuccessMetric,
)
from tracker.products.models_experiments import (
    Experiment,
    ExperimentArm,
    RolloutStep,
)


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "changed_at", "changed_by", "note"]
    can_delete = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team", "stage", "risk_tier", "launched_at"]
    list_filter = ["stage", "risk_tier", "team"]
    search_fields = ["name", "slug", "summary"]
    autocomplete_fields = ["team", "pm_owner", "ml_owner", "eng_owner"]
    inlines = [StageChangeInline]


@admin.register(SuccessMetric)
class SuccessMetricAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "kind", "baseline", "target", "next_due_at"]
    list_filter = ["kind", "direction"]
    search_fields = ["name", "product__name"]
    autocomplete_fields = ["product", "owner"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["metric", "value", "measured_at", "source"]
    list_filter = ["source"]
    autocomplete_fields = ["metric", "recorded_by"]
    raw_id_fields = ["arm"]
    date_hierarchy = "measured_at"


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "product",
        "indicator",
        "comparator",
        "threshold",
        "objective",
    ]
    list_filter = ["indicator"]
    search_fields = ["name", "product__name"]
    autocomplete_fields = ["product"]


@admin.register(SLACheck)
class SLACheckAdmin(admin.ModelAdmin):
    list_display = ["sla", "value", "passed", "checked_at", "source"]
    list_filter = ["passed", "source"]
    autocomplete_fields = ["sla", "recorded_by"]
    date_hierarchy = "checked_at"


@admin.register(FeatureSource)
class FeatureSourceAdmin(admin.ModelAdmin):
    list_display = [
        "feature",
        "product",
        "source_kind",
        "available_in_production",
        "skew_risk",
    ]
    list_filter = ["available_in_production", "skew_risk", "source_kind", "computation"]
    search_fields = ["feature", "product__name", "owner"]
    autocomplete_fields = ["product"]


@admin.register(PlanningSession)
class PlanningSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "held_at"]
    search_fields = ["title", "product__name", "decisions"]
    autocomplete_fields = ["product", "attendees", "created_by"]
    date_hierarchy = "held_at"


@admin.register(RolloutStep)
class RolloutStepAdmin(admin.ModelAdmin):
    list_display = ["product", "position", "kind", "percent", "status", "decider"]
    list_filter = ["kind", "status"]
    search_fields = ["product__name"]
    autocomplete_fields = ["product", "decider"]


class ExperimentArmInline(admin.TabularInline):
    model = ExperimentArm
    extra = 0


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "metric", "started_at", "ended_at"]
    search_fields = ["name", "product__name"]
    autocomplete_fields = ["product", "metric", "created_by"]
    inlines = [ExperimentArmInline]
