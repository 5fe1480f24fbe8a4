from django.contrib import admin
from django.utils.html import format_html, format_html_join

from tracker.audit import registry, selectors
from tracker.audit.models import AuditEvent


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return registry.kind_choices()

    def queryset(self, request, queryset):
        spec = registry.by_kind().get(self.value() or "")
        if spec is None:
            return queryset
        return queryset.filter(object_type=spec.model_class._meta.label_lower)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the trail is only ever
    written by tracker.audit.recorder."""

    list_display = [
        "at",
        "actor_label",
        "via",
        "action",
        "kind",
        "object_repr",
        "product_slug",
    ]
    list_filter = ["action", "via", KindFilter, "at"]
    search_fields = ["actor_label", "object_repr", "product_slug"]
    date_hierarchy = "at"
    list_per_page = 50
    # The count of a large trail is slow on PostgreSQL; the pager does without.
    show_full_result_count = False
    fields = [
        "at",
        "actor_label",
        "actor_id",
        "via",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "parent_type",
        "parent_id",
        "product_slug",
        "product_id",
        "changes_shown",
    ]
    readonly_fields = fields

    @admin.display(description="kind")
    def kind(self, event: AuditEvent) -> str:
        return selectors.entries([event])[0].kind

    @admin.display(description="what changed")
    def changes_shown(self, event: AuditEvent) -> str:
        changes = selectors.entries([event])[0].changes
        if not changes:
            return "—"
        rows = format_html_join(
            "",
            "<li><strong>{}</strong>: {} → {}</li>",
            ((c.field, c.old, c.new) for c in changes),
        )
        return format_html("<ul>{}</ul>", rows)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
