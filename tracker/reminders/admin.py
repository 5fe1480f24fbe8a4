from django.contrib import admin

from tracker.reminders.models import (
    Digest,
    KPIReview,
    KPIReviewPlan,
    LeadershipDigest,
    NotificationPreferences,
    Reminder,
    ReviewConfirmation,
)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """Read-only: rows are the record of what was sent; the sweep writes them."""

    list_display = [
        "title",
        "rule",
        "recipient",
        "channel",
        "occurrence",
        "escalation",
        "status",
        "attempts",
        "created_at",
    ]
    list_filter = ["rule", "channel", "escalation"]
    search_fields = ["title", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["recipient", "day", "item_count", "sent_at", "attempts"]
    list_select_related = ["recipient"]
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadershipDigest)
class LeadershipDigestAdmin(admin.ModelAdmin):
    list_display = ["recipient", "year", "week", "item_count", "sent_at", "attempts"]
    list_select_related = ["recipient"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "email_enabled",
        "in_app_enabled",
        "digest_enabled",
        "leadership_digest",
        "timezone",
    ]
    autocomplete_fields = ["user"]


@admin.register(KPIReview)
class KPIReviewAdmin(admin.ModelAdmin):
    list_display = ["product", "weeks", "due_at", "completed_at", "completed_by"]
    list_filter = ["weeks"]
    autocomplete_fields = ["product", "completed_by"]


@admin.register(KPIReviewPlan)
class KPIReviewPlanAdmin(admin.ModelAdmin):
    list_display = ["product", "weeks", "updated_at"]
    autocomplete_fields = ["product", "updated_by"]


@admin.register(ReviewConfirmation)
class ReviewConfirmationAdmin(admin.ModelAdmin):
    list_display = ["product", "sla", "reviewed_at", "reviewed_by"]
    autocomplete_fields = ["product", "sla", "reviewed_by"]
