"""Filters shared by the apps' FilterSets (HTML lists and API lists). No domain
model here: the product and team choices live with their apps (products.filters,
accounts.filters)."""

from datetime import UTC, datetime

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField, ModelChoiceField


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, converted to UTC before it reaches the query.

    Python accepts offsets up to ±24 h, PostgreSQL only up to ±16 h: passing
    "+20:00" through would turn a bad filter value into a database error.
    """

    def to_python(self, value) -> datetime | None:
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. year 1 with a positive offset
            raise forms.ValidationError(
                "Enter a date and time between years 1 and 9999.", code="invalid"
            ) from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class _NulSafeModelChoiceField(ModelChoiceField):
    """PostgreSQL text cannot hold NUL: looking one up is a database error, so a
    value with NUL is refused as an invalid choice (forms.CharField does the
    same for plain text)."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _NulSafeModelChoiceField


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter's `ordering`, ended by the id: rows that tie on the chosen
    fields keep one order, so pages neither repeat nor skip them."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value in ([], (), {}, "", None):
            return qs
        return qs.order_by(*qs.query.order_by, "id")
