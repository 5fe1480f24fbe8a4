from django.contrib import admin

from tracker.incidents.models import (
    AlertDelivery,
    AlertIntegration,
    Incident,
    TimelineEntry,
)


class TimelineEntryInline(admin.TabularInline):
    # Read-only: the timeline is history; changes go through the services.
    model = TimelineEntry
    extra = 0
    can_delete = False
    readonly_fields = [
        "at",
        "kind",
        "old_value",
        "new_value",
        "note",
        "actor",
        "source",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: changes go through the pages and API, which record them on
    the timeline; an admin edit would leave no row."""

    list_display = ["id", "title", "product", "severity", "status", "kind", "source"]
    list_filter = ["status", "severity", "kind", "source"]
    search_fields = ["title", "fingerprint", "product__name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["product", "created_by"]
    readonly_fields = [
        "status",
        "integration",
        "sla",
        "detected_at",
        "acknowledged_at",
        "resolved_at",
    ]
    inlines = [TimelineEntryInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AlertIntegration)
class AlertIntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "product", "last_delivery_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["secret_hint", "last_delivery_at", "revoked_at", "revoked_by"]
    exclude = ["hmac_secret"]

    def has_add_permission(self, request) -> bool:
        # Created on the integrations page or the API, which hand out the secret.
        return False


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "integration",
        "received_at",
        "status",
        "alerts",
        "opened",
        "updated",
        "resolved",
        "unchanged",
    ]
    list_filter = ["status"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in AlertDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
