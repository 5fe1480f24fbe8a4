"""Admin for feedback, costs and data contracts."""

from django.contrib import admin

from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    Cost,
    Feedback,
    SourceContract,
)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["product", "rating", "prediction_id", "segment", "created_at"]
    list_filter = ["rating"]
    search_fields = ["product__slug", "prediction_id", "comment"]
    raw_id_fields = ["product", "segment", "submitted_by", "incident"]


@admin.register(Cost)
class CostAdmin(admin.ModelAdmin):
    list_display = ["product", "kind", "amount", "incurred_at"]
    list_filter = ["kind"]
    search_fields = ["product__slug", "note"]
    raw_id_fields = ["product", "recorded_by"]


@admin.register(SourceContract)
class SourceContractAdmin(admin.ModelAdmin):
    list_display = ["source", "product", "owner_team", "freshness_promised"]
    raw_id_fields = ["source", "product", "owner_team", "provider"]


@admin.register(Consumer)
class ConsumerAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "owner", "consumer_product"]
    search_fields = ["name", "product__slug"]
    raw_id_fields = ["product", "owner", "consumer_product"]


@admin.register(ContractChange)
class ContractChangeAdmin(admin.ModelAdmin):
    list_display = ["product", "side", "summary", "effective_at", "created_at"]
    list_filter = ["side"]
    raw_id_fields = ["product", "source", "consumer", "posted_by"]
