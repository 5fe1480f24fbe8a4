"""FilterSets for account lists."""

import django_filters

from tracker.accounts.models import Team


class TeamFilter(django_filters.FilterSet):
    member = django_filters.CharFilter(
        field_name="members__username", distinct=True, label="Member (username)"
    )
    ordering = django_filters.OrderingFilter(fields=["name", "slug", "created_at"])

    class Meta:
        model = Team
        fields = ["member"]
