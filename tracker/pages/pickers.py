"""The picker endpoints: what a picker (tracker.lib.widgets.Picker,
static/js/picker.js) offers as the person types. One per kind of row, each
within the reader's visibility (a private team's products and their incidents
are absent for outsiders), at most PICKER_LIMIT matches in one query.

GET /pick/<kind>/?q=<text> answers {"results": [{"id", "label", …}], "more": bool};
bad input is a 400 with the API's error shape. They sit here, above the apps
whose rows they search, like the other screens that read several apps.
"""

from collections.abc import Callable

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from tracker.accounts.models import User
from tracker.accounts.selectors import teams_visible_to
from tracker.incidents.selectors import incident_list, products_assignable
from tracker.products.selectors import products_readable_by

PICKER_LIMIT = 20
_BIGINT = 2**63 - 1


class PickerQuery(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    # products: only those the reader may edit (the forms that assign to one)
    editable = forms.BooleanField(required=False)
    # incidents: only this product's
    product = forms.SlugField(required=False, max_length=100)


def _answer(
    request: HttpRequest,
    search: Callable[[dict], QuerySet],
    row: Callable[[object], dict],
) -> JsonResponse:
    query = PickerQuery(request.GET)
    if not query.is_valid():
        fields = {name: list(errors) for name, errors in query.errors.items()}
        error = {"code": "validation_error", "message": "Invalid input: see fields."}
        return JsonResponse({"error": {**error, "fields": fields}}, status=400)
    rows = list(search(query.cleaned_data)[: PICKER_LIMIT + 1])
    return JsonResponse(
        {
            "results": [
                {"id": r.pk, "label": r.picker_label, **row(r)}
                for r in rows[:PICKER_LIMIT]
            ],
            "more": len(rows) > PICKER_LIMIT,
        }
    )


def _words(text: str, *fields: str) -> Q:
    """Every word of `text` (the first five) in one of `fields`, ignoring case."""
    condition = Q()
    for word in text.split()[:5]:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        condition &= any_field
    return condition


@login_required
@require_safe
def products(request: HttpRequest) -> JsonResponse:
    def search(data: dict) -> QuerySet:
        user = request.user
        rows = (
            products_assignable(user)
            if data["editable"]
            else products_readable_by(user)
        )
        return (
            rows.filter(_words(data["q"], "name", "slug"))
            .select_related("team")
            .only("id", "slug", "name", "team__name")
            .order_by("name", "id")
        )

    return _answer(request, search, lambda r: {"slug": r.slug})


@login_required
@require_safe
def teams(request: HttpRequest) -> JsonResponse:
    def search(data: dict) -> QuerySet:
        return (
            teams_visible_to(request.user)
            .filter(_words(data["q"], "name", "slug"))
            .only("id", "slug", "name")
            .order_by("name", "id")
        )

    return _answer(request, search, lambda r: {"slug": r.slug})


@login_required
@require_safe
def people(request: HttpRequest) -> JsonResponse:
    def search(data: dict) -> QuerySet:
        return (
            User.objects.filter(is_active=True)
            .filter(_words(data["q"], "username", "first_name", "last_name"))
            .only("id", *User.NAME_FIELDS)
            .order_by("username", "id")
        )

    return _answer(request, search, lambda r: {"username": r.username})


@login_required
@require_safe
def incidents(request: HttpRequest) -> JsonResponse:
    def search(data: dict) -> QuerySet:
        rows = incident_list(user=request.user)
        if data["product"]:
            rows = rows.filter(product__slug=data["product"])
        text = data["q"].removeprefix("#").strip()
        if text.isdigit() and int(text) <= _BIGINT:
            rows = rows.filter(Q(pk=int(text)) | Q(title__icontains=text))
        else:
            rows = rows.filter(_words(text, "title"))
        return (
            rows.select_related(None)
            .only("id", "title", "severity", "started_at")
            .order_by("-started_at", "-id")
        )

    return _answer(request, search, lambda r: {})
