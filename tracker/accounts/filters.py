"""FilterSets for account lists, and the team choices of other apps' filters."""

import django_filters
from django.db.models import QuerySet
from django.http import HttpRequest

from tracker.accounts.models import Team
from tracker.accounts.selectors import teams_visible_to
from tracker.lib.filters import OrderingFilter


class TeamFilter(django_filters.FilterSet):
    member = django_filters.CharFilter(
        field_name="members__username", distinct=True, label="Member (username)"
    )
    ordering = OrderingFilter(fields=["name", "slug", "created_at"])

    class Meta:
        model = Team
        fields = ["member"]


# The choices of the team filters (products, incidents): only the teams the
# requester sees, so a private team's name never shows in a drop-down and its slug
# filters like an unknown one. A FilterSet built without its request offers none.
def visible_teams(request: HttpRequest | None) -> QuerySet[Team]:
    if request is None:
        return Team.objects.none()
    return teams_visible_to(request.user)
