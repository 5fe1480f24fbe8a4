"""The incident FilterSet, shared by the HTML list and the API list."""

from datetime import timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from tracker.accounts.filters import visible_teams
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    AlertDelivery,
    DeliveryState,
    Incident,
    Kind,
    Severity,
    Status,
)
from tracker.lib.filters import DateTimeFilter
from tracker.lib.widgets import Picker
from tracker.products.filters import readable_products

ACTIVE = "active"
STATUS_CHOICES = [(ACTIVE, "Open or acknowledged"), *Status.choices]
PERIODS = {
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
    "90d": ("Last 90 days", timedelta(days=90)),
    "365d": ("Last 12 months", timedelta(days=365)),
}


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    product = django_filters.ModelChoiceFilter(
        queryset=readable_products,
        to_field_name="slug",
        widget=Picker("pickers:products"),
    )
    team = django_filters.ModelChoiceFilter(
        field_name="product__team",
        queryset=visible_teams,
        to_field_name="slug",
        widget=Picker("pickers:teams"),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", empty_label="Any"
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any")
    kind = django_filters.ChoiceFilter(choices=Kind.choices, empty_label="Any")
    period = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in PERIODS.items()],
        method="filter_period",
        label="Started",
        empty_label="Any time",
    )
    # The insights page links its figures here with these (tracker.insights).
    started_after = DateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = DateTimeFilter(field_name="started_at", lookup_expr="lt")
    recurrence = django_filters.BooleanFilter(
        field_name="recurrence_of", lookup_expr="isnull", exclude=True
    )
    factor = django_filters.CharFilter(
        method="filter_factor", label="Contributing factor category"
    )

    class Meta:
        model = Incident
        fields = [
            "q",
            "product",
            "team",
            "status",
            "severity",
            "kind",
            "period",
            "started_after",
            "started_before",
            "recurrence",
            "factor",
        ]

    def filter_factor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Incidents a postmortem with a factor of this category covers (named
        through the relation: postmortems sit above incidents)."""
        factors = Q(postmortems__factors__category=value)
        return queryset.filter(pk__in=Incident.objects.filter(factors).values("pk"))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(fingerprint=value)
        )

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ACTIVE:
            return queryset.filter(status__in=ACTIVE_STATUSES)
        return queryset.filter(status=value)

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _, span = PERIODS[value]
        return queryset.filter(started_at__gte=timezone.now() - span)


class DeliveryFilter(django_filters.FilterSet):
    """An integration's deliveries (its page and the API list)."""

    state = django_filters.ChoiceFilter(choices=DeliveryState.choices)

    class Meta:
        model = AlertDelivery
        fields = ["state"]
