"""Every request acts for whoever made it (tracker.audit.context)."""

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from tracker.audit.context import Acting, begin, end
from tracker.audit.models import Via


@cache
def _admin_prefix() -> str:
    return reverse("admin:index")


def request_via(request: HttpRequest) -> str:
    if request.path.startswith("/api/"):
        return Via.API
    if request.path.startswith(_admin_prefix()):
        return Via.ADMIN
    return Via.WEB


class AuditContextMiddleware:
    """Sets the acting context for the request. The person is read from
    `request.user` only when a change is recorded: the API authenticates inside
    the view (DRF then sets `request.user` to the token's person or CI token),
    and pages that change nothing pay nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = begin(Acting(via=request_via(request), request=request))
        try:
            return self.get_response(request)
        finally:
            end(token)
