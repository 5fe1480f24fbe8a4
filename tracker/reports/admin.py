from django.contrib import admin

from tracker.reports.models import ReportExport


@admin.register(ReportExport)
class ReportExportAdmin(admin.ModelAdmin):
    """Read-only: workers write the exports and the sweep deletes them."""

    list_display = [
        "id",
        "requested_by",
        "format",
        "product_count",
        "status",
        "progress",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "format"]
    list_select_related = ["requested_by"]
    exclude = ["content"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
