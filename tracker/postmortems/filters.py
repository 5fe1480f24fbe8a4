"""FilterSets shared by the HTML lists and the API lists."""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker.accounts.filters import visible_teams
from tracker.accounts.models import User
from tracker.lib.filters import DateTimeFilter, ModelChoiceFilter
from tracker.lib.search import text_search
from tracker.lib.widgets import Picker
from tracker.postmortems.models import (
    ActionItem,
    ActionKind,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    FailureKind,
    Postmortem,
    Status,
)
from tracker.postmortems.selectors.lists import library_search
from tracker.products.filters import readable_products

PERIODS = {
    "30d": ("Last 30 days", timedelta(days=30)),
    "90d": ("Last 90 days", timedelta(days=90)),
    "365d": ("Last 12 months", timedelta(days=365)),
}


def _product_filter() -> ModelChoiceFilter:
    return ModelChoiceFilter(
        queryset=readable_products,
        to_field_name="slug",
        widget=Picker("pickers:products"),
    )


class PostmortemFilter(django_filters.FilterSet):
    """The postmortem list, the library and the API list.

    `q` is full-text search on PostgreSQL (ranked, best first) and a substring
    search elsewhere (selectors.library_search). `period` filters on when it was
    published in the library and on when it was created elsewhere.
    """

    q = django_filters.CharFilter(method="filter_text", label="Search")
    product = _product_filter()
    status = django_filters.ChoiceFilter(
        choices=Status.choices, empty_label="Any status"
    )
    category = django_filters.ChoiceFilter(
        choices=FactorCategory.choices,
        method="filter_category",
        label="Contributing factor",
        empty_label="Any factor",
    )
    period = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in PERIODS.items()],
        method="filter_period",
        label="Period",
        empty_label="Any time",
    )

    # The insights page links its figures here with these (tracker.insights).
    published_after = DateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = DateTimeFilter(field_name="published_at", lookup_expr="lt")
    failure_kind = django_filters.ChoiceFilter(choices=FailureKind.choices)

    class Meta:
        model = Postmortem
        fields = [
            "q",
            "product",
            "status",
            "category",
            "period",
            "published_after",
            "published_before",
            "failure_kind",
        ]

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return library_search(queryset, value)

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        factors = ContributingFactor.objects.filter(
            postmortem=OuterRef("pk"), category=value
        )
        return queryset.filter(Exists(factors))

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _, span = PERIODS[value]
        return queryset.filter(created_at__gte=timezone.now() - span)


class LibraryFilter(PostmortemFilter):
    """The library lists published postmortems only: no status filter."""

    class Meta:
        model = Postmortem
        fields = ["q", "product", "category", "period"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters.pop("status", None)

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        _, span = PERIODS[value]
        return queryset.filter(published_at__gte=timezone.now() - span)


ANY_STATUS = "any"


@extend_schema_field(OpenApiTypes.STR)
class TeamSlugFilter(ModelChoiceFilter):
    """A team by its slug, filtered on by a method (the item's product's team
    through its postmortem or its planning session)."""


class OverdueSelect(forms.NullBooleanSelect):
    """Either, overdue or not, in words (the values stay true / false)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Either"), ("true", "Overdue"), ("false", "Not overdue")]


# The orders of action item lists (`ordering`); each ends with the id, so a
# page never shuffles. A "-" before it reverses it.
ACTION_ORDERINGS = {
    "due": (F("due_date").asc(nulls_last=True), "id"),
    "-due": (F("due_date").desc(nulls_last=True), "-id"),
    "product": ("product_name", F("due_date").asc(nulls_last=True), "id"),
    "-product": ("-product_name", F("due_date").asc(nulls_last=True), "id"),
    "owner": (F("owner__username").asc(nulls_last=True), "id"),
    "-owner": (F("owner__username").desc(nulls_last=True), "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
ACTION_ORDERING_LABELS = {
    "due": "Due soonest",
    "-due": "Due latest",
    "product": "Product A–Z",
    "-product": "Product Z–A",
    "owner": "Owner A–Z",
    "-owner": "Owner Z–A",
    "created": "Oldest first",
    "-created": "Newest first",
}


class ActionItemFilter(django_filters.FilterSet):
    """The action items page (/action-items/) and the API list. `q` searches
    the description (tracker.lib.search); `status` "any" lists closed ones too."""

    q = django_filters.CharFilter(method="filter_text", label="Search")
    status = django_filters.ChoiceFilter(
        choices=[*ActionStatus.choices, (ANY_STATUS, "Any status")],
        method="filter_status",
        empty_label=None,
    )
    kind = django_filters.ChoiceFilter(
        choices=ActionKind.choices, empty_label="Any kind"
    )
    team = TeamSlugFilter(
        queryset=visible_teams,
        to_field_name="slug",
        method="filter_team",
        widget=Picker("pickers:teams"),
    )
    owner = ModelChoiceFilter(
        queryset=User.objects.all(),
        to_field_name="username",
        widget=Picker("pickers:people", key="username"),
    )
    product = django_filters.CharFilter(
        method="filter_product",
        label="Product",
        widget=Picker("pickers:products"),
    )
    postmortem = django_filters.NumberFilter(
        field_name="postmortem_id", min_value=1, max_value=2**63 - 1
    )
    session = django_filters.NumberFilter(
        field_name="session_id", min_value=1, max_value=2**63 - 1
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", widget=OverdueSelect
    )
    ordering = django_filters.ChoiceFilter(
        choices=list(ACTION_ORDERING_LABELS.items()),
        method="filter_ordering",
        label="Sort by",
        empty_label=None,
    )

    class Meta:
        model = ActionItem
        fields = ["status", "kind", "owner", "product", "postmortem", "session"]

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return text_search(queryset, value, fields=["description"])

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset if value == ANY_STATUS else queryset.filter(status=value)

    def filter_team(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(
            Q(postmortem__product__team=value) | Q(session__product__team=value)
        )

    def filter_product(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(postmortem__product__slug=value) | Q(session__product__slug=value)
        )

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = Q(status=ActionStatus.OPEN, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value in ("product", "-product"):
            queryset = queryset.annotate(
                product_name=Coalesce(
                    "postmortem__product__name", "session__product__name"
                )
            )
        return queryset.order_by(*ACTION_ORDERINGS[value])
