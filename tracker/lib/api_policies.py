"""The request policies REST_FRAMEWORK's settings name that know no domain: how
often, and how lists are paged. (The permission, which knows CI tokens, is
tracker.accounts.api_policies.)

Kept apart from tracker.lib.api because DRF imports these while it defines its own
view classes, so this module must not import rest_framework.views or generics.
"""

from typing import Any

from django.conf import settings
from rest_framework import pagination, throttling
from rest_framework.request import Request


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
    page_size_query_param = "page_size"
    max_page_size = 200
