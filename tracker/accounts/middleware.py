"""Session lifetime (SessionTimeoutMiddleware): an absolute limit from signing in
and an idle limit. API token use (ApiTokenUseMiddleware): last_used_at.

Django's own expiry (SESSION_COOKIE_AGE) restarts whenever the session is saved,
so by itself it bounds neither. The sign-in time and the last request's time are
kept in the session and checked on each request that carries one; a request
without a session cookie (API clients with bearer tokens, CI) costs nothing here.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from tracker.accounts.models import ApiToken
from tracker.accounts.services import token_touch

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
# Recording activity saves the session; at most this often per session.
SEEN_RESOLUTION_SECONDS = 60


def session_mark_signed_in(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_in receiver: the absolute limit counts from here."""
    now = int(timezone.now().timestamp())
    request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = now


def _expired(session, now: int) -> bool:
    signed_in = session.get(SIGNED_IN_AT, 0)
    if now - signed_in > settings.SESSION_COOKIE_AGE:
        return True
    idle = settings.SESSION_IDLE_TIMEOUT
    return bool(idle) and now - session.get(SEEN_AT, signed_in) > idle


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Looked at only when a cookie came: touching the session of every
        # request would add `Vary: Cookie` to API and badge responses.
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)
        session = request.session
        if SESSION_KEY in session:
            now = int(timezone.now().timestamp())
            if _expired(session, now):
                logout(request)
                messages.info(request, "Your session has expired; sign in again.")
            elif now - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT] = now
        return self.get_response(request)


class ApiTokenUseMiddleware:
    """Records an API token's use (accounts.services.token_touch) once its request
    was accepted: a refused request writes nothing, bookkeeping included. DRF
    leaves the token the request authenticated with in `request.auth`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "auth", None)
        if isinstance(token, ApiToken) and response.status_code < 400:
            token_touch(token=token)
        return response
