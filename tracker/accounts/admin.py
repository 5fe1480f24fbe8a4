from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from tracker.accounts.forms import AdminLoginForm
from tracker.accounts.models import ApiToken, Membership, Team, User
from tracker.accounts.services import token_revoke

# The admin's sign-in is throttled like the others (accounts.backends); its form
# shows the refusal and the wait.
admin.site.login_form = AdminLoginForm


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    pass


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "created_at"]
    list_filter = ["visibility"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created through the API (the secret is shown once, there);
    here they can be inspected and revoked."""

    list_display = ["name", "kind", "user", "product", "created_at", "last_used_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "lookup", "user__username", "product__slug"]
    readonly_fields = [
        "kind",
        "lookup",
        "user",
        "product",
        "created_at",
        "last_used_at",
    ]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            token_revoke(token=token)
