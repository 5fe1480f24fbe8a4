"""FilterSets for CI status lists."""

import django_filters

from tracker.ci.models import CIStatusEvent, State
from tracker.lib.filters import DateTimeFilter


class CIStatusEventFilter(django_filters.FilterSet):
    sha = django_filters.CharFilter(field_name="status__sha")
    context = django_filters.CharFilter(field_name="status__context")
    state = django_filters.ChoiceFilter(choices=State.choices)
    recorded_after = DateTimeFilter(field_name="recorded_at", lookup_expr="gte")
    recorded_before = DateTimeFilter(field_name="recorded_at", lookup_expr="lt")

    class Meta:
        model = CIStatusEvent
        fields = ["sha", "context", "state", "recorded_after", "recorded_before"]
