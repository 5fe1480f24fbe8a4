"""FilterSets shared by the HTML lists and the API lists."""

import django_filters
from django.db.models import Q, QuerySet

from tracker.accounts.models import Team
from tracker.products.models import Product, RiskTier, Stage


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search")
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), to_field_name="slug", empty_label="All teams"
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, empty_label="All stages")
    risk_tier = django_filters.ChoiceFilter(
        choices=RiskTier.choices, empty_label="Any risk tier"
    )
    owner = django_filters.CharFilter(method="filter_owner", label="Owner (username)")

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
