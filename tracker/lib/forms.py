"""Form helpers shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError


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
