"""The history filters, shared by the product history page and its API."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from tracker.audit import registry
from tracker.audit.choices import Action, Via
from tracker.audit.models import AuditEvent

BIGINT_MAX = 2**63 - 1


class _IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class AuditEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=registry.kind_choices, method="filter_kind", empty_label="Everything"
    )
    object = _IdFilter(
        method="filter_object",
        min_value=1,
        max_value=BIGINT_MAX,
        label="Object id (with kind: that object and what belongs to it)",
    )
    action = django_filters.ChoiceFilter(
        choices=Action.choices, empty_label="Any change"
    )
    via = django_filters.ChoiceFilter(
        choices=Via.choices, label="How", empty_label="Any way"
    )

    class Meta:
        model = AuditEvent
        fields = ["kind", "object", "action", "via"]

    def _kind_label(self) -> str | None:
        kind = self.form.cleaned_data.get("kind")
        spec = registry.by_kind().get(kind) if kind else None
        return spec.model_class._meta.label_lower if spec else None

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if self.form.cleaned_data.get("object") is not None:
            return queryset  # filter_object takes the kind into account
        return queryset.filter(object_type=self._kind_label())

    def filter_object(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        label = self._kind_label()
        if label is None:
            return queryset.filter(Q(object_id=value) | Q(parent_id=value))
        return queryset.filter(
            Q(object_type=label, object_id=value)
            | Q(parent_type=label, parent_id=value)
        )
