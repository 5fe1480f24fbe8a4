"""The request policies REST_FRAMEWORK's settings name: who may call, how often,
how answers are rendered, how lists are paged.

Kept apart from tracker.lib.api because DRF imports these while it defines its own
view classes, so this module must not import rest_framework.views or generics.
"""

from array import array
from typing import Any

from django.conf import settings
from rest_framework import (
    exceptions,
    negotiation,
    pagination,
    permissions,
    throttling,
)
from rest_framework.request import Request

from tracker.accounts.models import ApiToken, CIPrincipal

CI_SCOPE_MESSAGE = (
    "A CI token may only post CI status, measurements and SLA checks for its "
    "own product."
)


class IsPersonOrScopedToken(permissions.BasePermission):
    """Signed-in people pass (object checks happen in the selectors); a product CI
    token passes only the methods a view lists in `ci_token_methods`."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if isinstance(request.user, CIPrincipal):
            if request.method in getattr(view, "ci_token_methods", ()):
                return True
            raise exceptions.PermissionDenied(CI_SCOPE_MESSAGE)
        return True


class ScopedThrottle(throttling.ScopedRateThrottle):
    """Rates by the view's `throttle_scope` ("api" unless set), counted per person
    or token (per client address when signed out). Rates are read from settings
    per request, so they can change without re-importing this module."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None) or "api"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return throttling.SimpleRateThrottle.allow_request(self, request, view)

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def throttle_success(self) -> bool:
        # The window's request times, newest first, as an array of doubles: the
        # cache stores it as one block of bytes, where a list of floats (DRF's)
        # costs a tenth of a millisecond per thousand requests in the window, on
        # every request. (A list left in the cache is taken over as it is.)
        if not isinstance(self.history, array):
            self.history = array("d", self.history)
        return super().throttle_success()

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """DRF's, answering the usual case at once: a view with one renderer and a
    request that accepts anything or exactly what it renders (parsing the Accept
    header costs more than the rest of a small request's negotiation)."""

    def select_renderer(self, request: Request, renderers: list, format_suffix=None):
        if len(renderers) == 1 and not format_suffix:
            accept = request.META.get("HTTP_ACCEPT", "")
            media_type = renderers[0].media_type
            override = self.settings.URL_FORMAT_OVERRIDE
            if accept in ("", "*/*", media_type) and override not in request.GET:
                return renderers[0], media_type
        return super().select_renderer(request, renderers, format_suffix)


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
