from django.contrib import admin

from tracker.postmortems.models import (
    ActionItem,
    BlamelessWarning,
    ContributingFactor,
    FollowUpPolicy,
    Postmortem,
    PostmortemEvent,
    TimelineEvent,
)


class EventInline(admin.TabularInline):
    # Read-only: the history is written by the services.
    model = PostmortemEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "at",
        "kind",
        "old_status",
        "new_status",
        "reason",
        "changed_fields",
        "actor",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class WarningInline(admin.TabularInline):
    model = BlamelessWarning
    extra = 0
    can_delete = False
    readonly_fields = [
        "section",
        "phrase",
        "rule",
        "offset",
        "accepted_by",
        "accepted_at",
    ]
    exclude = ["factor", "occurrence"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class FactorInline(admin.TabularInline):
    model = ContributingFactor
    extra = 0


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    # Status moves go through the pages or the API so they are recorded.
    list_display = ["id", "title", "product", "status", "published_at", "updated_at"]
    list_filter = ["status", "product"]
    search_fields = ["title", "summary", "lessons"]
    readonly_fields = ["status", "published_at", "created_by"]
    autocomplete_fields = ["product", "review_owner", "authors", "reviewers"]
    raw_id_fields = ["incidents"]
    exclude = ["search_vector"]
    inlines = [FactorInline, WarningInline, EventInline]


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["postmortem", "at", "kind", "starred"]
    list_filter = ["kind", "starred"]
    raw_id_fields = ["postmortem", "incident", "source_entry"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["description", "kind", "owner", "due_date", "priority", "status"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["description"]
    autocomplete_fields = ["owner"]
    raw_id_fields = ["postmortem", "session"]
    readonly_fields = ["closed_at", "created_by"]


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "severity",
        "risk_tier",
        "postmortem_business_days",
        "prevent_days",
        "detect_days",
        "mitigate_days",
        "process_days",
    ]
