"""GET /api/v1/search/?q=…: the global search, grouped by kind, within what
the caller may read (docs/search.md). `kind` narrows it to one kind with more
results; a missing, blank or too long `q`, or an unknown kind, is a 400."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.lib.api import AbsoluteUrlField, ApiView, ErrorSerializer
from tracker.search.forms import SearchForm
from tracker.search.selectors import KINDS, global_search


class HitOut(serializers.Serializer):
    key = serializers.CharField(
        help_text="Its slug (products), username (people) or id (the others)."
    )
    title = serializers.CharField()
    detail = serializers.CharField()
    html_url = AbsoluteUrlField(source="url")


class GroupOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    results = HitOut(many=True, source="hits")
    more = serializers.BooleanField(help_text="More match than are listed here.")
    more_url = AbsoluteUrlField(help_text="The kind's list, filtered by the words.")


class SearchOut(serializers.Serializer):
    q = serializers.CharField(source="text")
    groups = GroupOut(many=True)


class SearchView(ApiView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="The words."),
            OpenApiParameter(
                "kind", str, enum=[kind.key for kind in KINDS], description="One kind."
            ),
        ],
        responses={200: SearchOut, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        """Products, incidents, postmortems, action items and people matching
        every word (each a prefix), best first, a few of each kind."""
        form = SearchForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {name: list(errors) for name, errors in form.errors.items()}
            )
        kind = form.cleaned_data["kind"]
        results = global_search(
            user=request.user,
            text=form.cleaned_data["q"],
            kinds=[kind] if kind else None,
        )
        return self.output(SearchOut, results)
