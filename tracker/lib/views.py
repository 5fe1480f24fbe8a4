"""Helpers shared by the apps' HTML views."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest


def run_service(form: forms.BaseForm, call: Callable[[], Any]) -> Any | None:
    """Call a service for a valid form; model or constraint errors it raises become
    form errors (beside their field when they name one). Returns None on error."""
    try:
        return call()
    except ValidationError as exc:
        errors = (
            exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
        )
        for field, messages in errors.items():
            target = field if field in form.fields else None
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(target, message)
        return None


def paginate(request: HttpRequest, queryset, per_page: int = 25):
    """The requested page; out-of-range or junk page numbers give the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
