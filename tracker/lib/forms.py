"""Form helpers shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator


def error_field(field: str, error: ValidationError, form: forms.BaseForm) -> str | None:
    """The form field an error belongs beside (None: above the form).

    Uniqueness here is scoped (a metric name is unique per product), so Django
    reports it as a non-field error; users fix it in the field they typed, which is
    the one field of the constraint that the form shows.
    """
    if field in form.fields:
        return field
    if getattr(error, "code", None) == "unique_together":
        shown = [
            f for f in (error.params or {}).get("unique_check", ()) if f in form.fields
        ]
        if shown:
            return shown[-1]
    return None


_BIGINT = 2**63 - 1


def _is_storable_pk(value) -> bool:
    """Primary keys are 64-bit integers; anything else cannot name a row.

    Checked before querying: SQLite raises OverflowError and PostgreSQL a
    DataError for out-of-range integers, which Django's choice fields don't catch.
    """
    try:
        return -_BIGINT <= int(str(value).strip()) <= _BIGINT
    except (TypeError, ValueError):
        return False


class ReadOnce(ModelChoiceIterator):
    """A select's choices from its queryset's result, read in one statement
    and kept: a page may ask whether there are any, then list them. Django's
    own iterator reads them again each time, through a server-side cursor on
    PostgreSQL (three round trips). A select here lists a few dozen rows at
    most: longer lists are pickers (tracker/lib/widgets.py), which never
    iterate their choices."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ModelChoiceField(forms.ModelChoiceField):
    """Refuses, before querying, values the lookup column cannot hold: ids out of
    the 64-bit range, or NUL in a text column named by `to_field_name` (a slug,
    a username), which PostgreSQL cannot store. Its choices are read once
    (ReadOnce)."""

    iterator = ReadOnce

    def to_python(self, value):
        if value not in self.empty_values and not self._storable(value):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def _storable(self, value) -> bool:
        if self.to_field_name in (None, "pk", "id"):
            return _is_storable_pk(value)
        return "\x00" not in str(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _is_storable_pk(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
