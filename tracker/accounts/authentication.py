"""`Authorization: Bearer <token>` for the REST API (people and product CI), and
its description in the OpenAPI schema.

Every request reads its token (one query by the unique lookup part, with the
person or product it acts for): a revoked or expired token is refused on its
next request, whichever process revoked it."""

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from tracker.accounts.models import ApiToken, CIPrincipal, User
from tracker.accounts.selectors import token_get_by_secret
from tracker.accounts.tokens import PREFIX


def _expired(token: ApiToken) -> bool:
    return token.expires_at is not None and token.expires_at <= timezone.now()


# Query parameters where clients commonly put credentials.
_QUERY_CREDENTIALS = {"token", "access_token", "api_key", "apikey", "key", "auth"}


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    @sensitive_variables("raw", "header")  # and the token's in what it calls
    def authenticate(self, request: Request):
        self._refuse_query_string(request)
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Bearer <token>'."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = token_get_by_secret(raw=raw)
        return self._check(token), token

    def _check(self, token: ApiToken | None) -> User | CIPrincipal:
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if _expired(token):
            raise exceptions.AuthenticationFailed("This token has expired.")
        if token.is_ci:
            return CIPrincipal(token)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        return token.user

    def _refuse_query_string(self, request: Request) -> None:
        """URLs end up in logs, browser history and Referer headers."""
        params = request.query_params
        if _QUERY_CREDENTIALS & {k.lower() for k in params} or any(
            value.startswith(PREFIX) for value in params.values()
        ):
            raise exceptions.AuthenticationFailed(
                "Tokens are not accepted in the query string; send the header "
                "'Authorization: Bearer <token>'."
            )

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A person token (POST /api/v1/auth/token/) or a "
            "product CI token, as `Authorization: Bearer trk_…`.",
        }
