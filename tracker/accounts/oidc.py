"""Single sign-on through an OpenID Connect provider (mozilla-django-oidc's
code flow, with PKCE). On when OIDC_RP_CLIENT_ID is set; local accounts stay.

A person is found by their verified e-mail and created on first sign-in,
named by OIDC_USERNAME_CLAIM (default preferred_username; suffixed when a
local account has the name already: a claim never takes over another account). When
OIDC_TEAMS_CLAIM names a claim listing team slugs, signing in adds the person
to those of them that exist (as a member); teams are never created from
claims, and memberships are never removed by them (leads and staff do that).
"""

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from tracker.accounts.models import Membership, Team, User


def sso_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


class TrackerOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims: dict):
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is False:
            return User.objects.none()
        return User.objects.filter(is_active=True, email__iexact=email)

    def verify_claims(self, claims: dict) -> bool:
        return bool(self._username(claims))

    @transaction.atomic
    def create_user(self, claims: dict) -> User:
        username = self._username(claims)
        if User.objects.filter(username=username).exists():
            username = f"{username[:130]}-{str(claims.get('sub'))[:12]}"
        user = User.objects.create_user(
            username=username, email=claims.get("email", "")
        )
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: User, claims: dict) -> User:
        user.first_name = claims.get("given_name", user.first_name)[:150]
        user.last_name = claims.get("family_name", user.last_name)[:150]
        user.save(update_fields=["first_name", "last_name"])
        _join_claimed_teams(user, claims)
        return user

    def _username(self, claims: dict) -> str:
        value = claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("sub") or ""
        return str(value)[:150]


def _join_claimed_teams(user: User, claims: dict) -> None:
    name = settings.OIDC_TEAMS_CLAIM
    slugs = claims.get(name) if name else None
    if not isinstance(slugs, list):
        return
    teams = Team.objects.filter(slug__in=[str(s) for s in slugs])
    Membership.objects.bulk_create(
        [Membership(team=team, user=user) for team in teams], ignore_conflicts=True
    )


def sso_start(request: HttpRequest) -> HttpResponse:
    """Off: 404. On: to the provider's sign-in page."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return OIDCAuthenticationRequestView.as_view()(request)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """Where the provider sends the person back with a code."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return OIDCAuthenticationCallbackView.as_view()(request)
