from django.contrib import admin

from tracker.ci.models import CIStatus, CIStatusEvent


class CIStatusEventInline(admin.TabularInline):
    model = CIStatusEvent
    extra = 0
    can_delete = False
    fields = ["recorded_at", "state", "description", "reported_by", "token"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CIStatus)
class CIStatusAdmin(admin.ModelAdmin):
    """Read-mostly: CI reports arrive through the API; history is never edited."""

    list_display = ["product", "sha", "context", "state", "updated_at"]
    list_filter = ["state"]
    search_fields = ["product__name", "product__slug", "sha", "context"]
    date_hierarchy = "updated_at"
    readonly_fields = ["created_at", "updated_at", "reported_by", "token"]
    autocomplete_fields = ["product"]
    inlines = [CIStatusEventInline]
