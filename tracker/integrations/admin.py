"""Connections and webhook subscriptions are inspected here; secrets are never
shown (they are set on the pages and API). Deliveries and evaluations are
history: read-only."""

from django.contrib import admin

from tracker.integrations.models import (
    Connection,
    IssueLink,
    SLAEvaluation,
    SLAQuery,
    WebhookDelivery,
    WebhookSubscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "base_url", "last_ok_at", "last_error_at"]
    list_filter = ["kind"]
    search_fields = ["name", "repository", "team__slug"]
    exclude = ["token", "webhook_secret"]
    readonly_fields = ["created_by", "last_ok_at", "last_error", "last_error_at"]


@admin.register(SLAQuery)
class SLAQueryAdmin(admin.ModelAdmin):
    list_display = ["sla", "connection", "interval_seconds", "failures_in_a_row"]
    raw_id_fields = ["sla"]


@admin.register(SLAEvaluation)
class SLAEvaluationAdmin(ReadOnlyAdmin):
    list_display = ["sla_query", "at", "value", "error"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "team", "product", "url_hint", "active"]
    list_filter = ["kind", "active"]
    exclude = ["url", "secret"]
    readonly_fields = ["url_hint", "created_by", "created_at"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription", "status", "attempts", "response_code"]
    list_filter = ["status", "event"]


@admin.register(IssueLink)
class IssueLinkAdmin(ReadOnlyAdmin):
    list_display = ["action_item", "connection", "number", "html_url", "error"]
