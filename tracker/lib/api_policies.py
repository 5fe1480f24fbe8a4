"""The request policies REST_FRAMEWORK's settings name that know no domain: how
often, how lists are paged, how a JSON body is read and what OPTIONS tells. (The
permission, which knows CI tokens, is tracker.accounts.api_policies.)

Kept apart from tracker.lib.api because DRF imports these while it defines its own
view classes, so this module must not import rest_framework.views or generics.
"""

import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from rest_framework import exceptions, metadata, pagination, parsers, throttling
from rest_framework.request import Request

from tracker.lib.paging import CappedPaginator, count_limit


class ScopedThrottle(throttling.ScopedRateThrottle):
    """Rates by the view's `throttle_scope` ("api" unless set), counted per token
    (whatever the authentication put in request.auth), else per person, else per
    client address. Rates are read from settings per request, so they can change
    without re-importing this module."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None) or "api"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return throttling.SimpleRateThrottle.allow_request(self, request, view)

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = getattr(request.auth, "pk", None)
        if token is not None:
            ident = f"token{token}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class Pagination(pagination.PageNumberPagination):
    """DRF's page numbers, counting only so far (tracker.lib.paging): `count`
    is exact when `count_exact` is true; otherwise the rows counted, at most
    COUNT_AHEAD past the page's start plus one, and `next` goes on. `?page=last`
    counts them all."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def django_paginator_class(self, object_list, per_page: int) -> CappedPaginator:
        number = self.request.query_params.get(self.page_query_param)
        last = number in self.last_page_strings
        limit = None if last else count_limit(number, per_page)
        return CappedPaginator(object_list, per_page, limit=limit)

    def get_paginated_response(self, data: Any) -> Any:
        response = super().get_paginated_response(data)
        response.data["count_exact"] = not self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        paged = super().get_paginated_response_schema(schema)
        paged["required"] = [*paged["required"], "count_exact"]
        paged["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false: `count` counted only so far (1,000 rows past "
            "the page's start, plus one); there are more.",
        }
        return paged


# NUL, which PostgreSQL text cannot hold, and a surrogate on its own, which is not
# a character at all (UTF-8 cannot encode it, so neither the database nor a JSON
# response could carry it). JSON's \u escapes can spell both.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Contains a NUL character or an unpaired surrogate."


class JSONParser(parsers.JSONParser):
    """DRF's, refusing what would otherwise fail later as a 500: nesting deeper
    than Python's parser can follow (RecursionError) is a parse error, and text no
    database column or response can hold is a 400 naming the field ("labels.team",
    "metrics.0"; a bad key names the object holding it). One check for every
    field of every endpoint, before any serializer sees the data."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - nested too deeply."
            ) from None
        problems = dict(_unstorable(data))
        if problems:
            raise exceptions.ValidationError(problems)
        return data


def _unstorable(data: Any) -> Iterator[tuple[str, list[str]]]:
    """(dotted path, [message]) of each unstorable string in parsed JSON; walked
    with a stack, not recursion, whatever the depth."""
    stack = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if UNSTORABLE.search(value):
                yield path or "non_field_errors", [UNSTORABLE_MESSAGE]
        elif isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    yield path or "non_field_errors", [f"A key: {UNSTORABLE_MESSAGE}"]
                    continue
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), item)
                for index, item in enumerate(value)
            )


class Metadata(metadata.BaseMetadata):
    """OPTIONS: the view's name, description and formats. Not DRF's "actions":
    our views validate each method with its own input serializer
    (tracker.lib.api.ApiView.validated), not one `serializer_class`, where DRF's
    SimpleMetadata fails with a 500; the OpenAPI schema describes every input."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }
