"""Admin for model cards, scope, decisions and approvals."""

from django.contrib import admin

from tracker.cards.models import (
    Approval,
    Decision,
    ModelCard,
    UseCase,
    VersionModelCard,
)


@admin.register(ModelCard)
class ModelCardAdmin(admin.ModelAdmin):
    list_display = ["product", "model_version", "reviewed_at", "updated_by"]
    search_fields = ["product__name", "product__slug"]
    raw_id_fields = ["product", "updated_by"]


@admin.register(VersionModelCard)
class VersionModelCardAdmin(admin.ModelAdmin):
    list_display = ["version", "updated_at", "updated_by"]
    search_fields = ["version__version", "version__product__slug"]
    raw_id_fields = ["version", "updated_by"]


@admin.register(UseCase)
class UseCaseAdmin(admin.ModelAdmin):
    list_display = ["description", "product", "served"]
    list_filter = ["served"]
    raw_id_fields = ["product"]


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    raw_id_fields = ["approver"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "decided_at"]
    search_fields = ["title", "product__name"]
    raw_id_fields = ["product", "session", "created_by"]
    inlines = [ApprovalInline]
