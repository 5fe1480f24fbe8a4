"""FilterSets shared by the HTML lists and the API lists."""

import django_filters
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tracker.accounts.filters import visible_teams
from tracker.lib.filters import DateTimeFilter, ModelChoiceFilter, OrderingFilter
from tracker.lib.widgets import Picker
from tracker.products.models import (
    Availability,
    Computation,
    FeatureSource,
    Indicator,
    Measurement,
    MeasurementSource,
    MetricKind,
    PlanningSession,
    Product,
    Risk,
    RiskTier,
    ServiceLevel,
    SLACheck,
    SourceKind,
    Stage,
    SuccessMetric,
)
from tracker.products.selectors import products_readable_by


# The choices of the product filters (incidents, postmortems): only what the
# requester may read, so a private team's products never show in a drop-down and
# their slugs filter like unknown ones. Without its request a FilterSet offers none.
def readable_products(request: HttpRequest | None) -> QuerySet[Product]:
    if request is None:
        return Product.objects.none()
    return products_readable_by(request.user).order_by("name")


def _range(field: str, kind=DateTimeFilter) -> tuple:
    """An on-or-after / before pair for a date or datetime field."""
    return (
        kind(field_name=field, lookup_expr="gte", label=f"{field} on or after"),
        kind(field_name=field, lookup_expr="lt", label=f"{field} before"),
    )


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    team = ModelChoiceFilter(
        queryset=visible_teams,
        to_field_name="slug",
        widget=Picker("pickers:teams"),
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="All stages")
    risk_tier = django_filters.ChoiceFilter(
        choices=RiskTier.choices, empty_label="Any risk tier"
    )
    owner = django_filters.CharFilter(
        method="filter_owner",
        label="Owner (username)",
        widget=Picker("pickers:people", key="username"),
    )
    launched_after = django_filters.DateFilter(
        field_name="launched_at", lookup_expr="date__gte", label="Launched on or after"
    )
    launched_before = django_filters.DateFilter(
        field_name="launched_at", lookup_expr="date__lte", label="Launched on or before"
    )
    ordering = OrderingFilter(
        fields=["name", "slug", "stage", "launched_at", "created_at", "updated_at"]
    )

    class Meta:
        model = Product
        fields = ["q", "team", "stage", "risk_tier", "owner"]

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(summary__icontains=value)
            | Q(problem_statement__icontains=value)
        )

    def filter_owner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(pm_owner__username=value)
            | Q(ml_owner__username=value)
            | Q(eng_owner__username=value)
        )


class MetricFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MetricKind.choices)
    owner = django_filters.CharFilter(field_name="owner__username", label="Owner")
    due_after, due_before = _range("next_due_at")
    target_after, target_before = _range("target_date", django_filters.DateFilter)
    ordering = OrderingFilter(
        fields=["name", "kind", "next_due_at", "target_date", "created_at"]
    )

    class Meta:
        model = SuccessMetric
        fields = ["kind", "owner"]


class MeasurementFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=MeasurementSource.choices)
    measured_after, measured_before = _range("measured_at")
    ordering = OrderingFilter(fields=["measured_at", "value"])

    class Meta:
        model = Measurement
        fields = ["source"]


class SLAFilter(django_filters.FilterSet):
    indicator = django_filters.ChoiceFilter(choices=Indicator.choices)
    ordering = OrderingFilter(fields=["name", "created_at"])

    class Meta:
        model = ServiceLevel
        fields = ["indicator"]


class SLACheckFilter(django_filters.FilterSet):
    passed = django_filters.BooleanFilter()
    checked_after, checked_before = _range("checked_at")
    ordering = OrderingFilter(fields=["checked_at", "value"])

    class Meta:
        model = SLACheck
        fields = ["passed"]


class FeatureFilter(django_filters.FilterSet):
    source_kind = django_filters.ChoiceFilter(choices=SourceKind.choices)
    available_in_production = django_filters.ChoiceFilter(choices=Availability.choices)
    computation = django_filters.ChoiceFilter(choices=Computation.choices)
    skew_risk = django_filters.ChoiceFilter(choices=Risk.choices)
    ordering = OrderingFilter(fields=["feature", "created_at"])

    class Meta:
        model = FeatureSource
        fields = ["source_kind", "available_in_production", "computation", "skew_risk"]


class SessionFilter(django_filters.FilterSet):
    attendee = django_filters.CharFilter(
        field_name="attendees__username", distinct=True, label="Attendee"
    )
    held_after, held_before = _range("held_at")
    ordering = OrderingFilter(fields=["held_at", "title"])

    class Meta:
        model = PlanningSession
        fields = ["attendee"]
