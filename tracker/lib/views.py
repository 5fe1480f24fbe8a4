"""Helpers shared by the apps' HTML views."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from tracker.lib.forms import error_field


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


# A list counts its rows up to this many past the start of the page asked for,
# not every row the reader may read: that count grows with the organisation
# (tens of milliseconds for 50,000 action items), the page's rows do not.
COUNT_AHEAD = 1000
# Beyond this page number the count is exact (and the database's LIMIT safe).
MAX_PAGE = 10**6


class CappedPaginator(Paginator):
    """Counts at most `limit` rows (plus one, to know there are more): `capped`
    says the list goes on, and the pages beyond appear as one pages forward."""

    def __init__(self, object_list, per_page: int, *, limit: int) -> None:
        super().__init__(object_list, per_page)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list)
        # Ids, unordered: any `limit` rows count the same, without sorting them
        # all or computing what a row shows.
        return self.object_list.order_by().values("pk")[: self.limit + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.limit


def paginate(request: HttpRequest, queryset, per_page: int = 25, param: str = "page"):
    """The requested page; out-of-range or junk page numbers give the nearest page.
    `param` names the page number in the URL when a screen pages two lists (its
    pagination partial is included with the same `param`). Rows are counted up
    to COUNT_AHEAD past the page (CappedPaginator)."""
    number = request.GET.get(param)
    try:
        start = (min(max(int(number), 1), MAX_PAGE) - 1) * per_page
    except (TypeError, ValueError):
        start = 0
    paginator = CappedPaginator(queryset, per_page, limit=start + COUNT_AHEAD)
    return paginator.get_page(number)
