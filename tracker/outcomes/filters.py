"""The feedback FilterSet, shared by the feedback page and the API list."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from tracker.incidents.filters import PERIODS
from tracker.lib.filters import DateTimeFilter
from tracker.outcomes.models import Feedback, Rating


class FeedbackFilter(django_filters.FilterSet):
    rating = django_filters.ChoiceFilter(choices=Rating.choices, empty_label="Any")
    segment = django_filters.CharFilter(
        field_name="segment__name", label="Segment", max_length=101
    )
    period = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in PERIODS.items()],
        method="filter_period",
        label="Given",
        empty_label="Any time",
    )
    since = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Feedback
        fields = ["rating", "segment", "period", "since", "until"]

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _, span = PERIODS[value]
        return queryset.filter(created_at__gte=timezone.now() - span)
