"""Helpers shared by the apps' HTML views."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest

from tracker.lib.forms import error_field
from tracker.lib.paging import CappedPaginator, count_limit


def run_service(form: forms.BaseForm, call: Callable[[], Any]) -> Any | None:
    """Call a service for a valid form; model or constraint errors it raises become
    form errors (beside their field when they name one). Returns None on error."""
    try:
        return call()
    except ValidationError as exc:
        errors = (
            exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: [exc]}
        )
        for field, field_errors in errors.items():
            for error in field_errors:
                form.add_error(error_field(field, error, form), error)
        return None


def paginate(request: HttpRequest, queryset, per_page: int = 25, param: str = "page"):
    """The requested page; out-of-range or junk page numbers give the nearest page.
    `param` names the page number in the URL when a screen pages two lists (its
    pagination partial is included with the same `param`). Rows are counted up
    to COUNT_AHEAD past the page (tracker.lib.paging)."""
    number = request.GET.get(param)
    limit = count_limit(number, per_page)
    return CappedPaginator(queryset, per_page, limit=limit).get_page(number)
