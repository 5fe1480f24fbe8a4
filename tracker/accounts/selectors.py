"""Reads for accounts: teams and API tokens."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from tracker.accounts.models import ApiToken, Team, TokenKind, User
from tracker.accounts.tokens import token_lookup, token_matches
from tracker.products.models import Product


def team_list() -> QuerySet[Team]:
    """Teams with their members (usernames, for the API) in two queries."""
    return Team.objects.prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("username"))
    ).order_by("name")


def team_get(*, slug: str) -> Team:
    team = team_list().filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def token_get_by_secret(*, raw: str) -> ApiToken | None:
    """The token `raw` belongs to (revoked or expired included: callers say why
    they refuse it), or None. One query, by the non-secret lookup part."""
    lookup = token_lookup(raw)
    if lookup is None:
        return None
    # No ORDER BY (lookup is unique): this runs on every API request.
    tokens = ApiToken.objects.select_related("user", "product").order_by()
    token = next(iter(tokens.filter(lookup=lookup)[:1]), None)
    if token is None or not token_matches(raw, token.digest):
        return None
    return token


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """A person's own active tokens."""
    return ApiToken.objects.filter(
        user=user, kind=TokenKind.PERSON, revoked_at__isnull=True
    ).select_related("user")


def token_list_for_product(*, product: Product) -> QuerySet[ApiToken]:
    """A product's active CI tokens."""
    return ApiToken.objects.filter(
        product=product, kind=TokenKind.CI, revoked_at__isnull=True
    ).select_related("user", "product")


def token_get(*, tokens: QuerySet[ApiToken], pk: int) -> ApiToken:
    token = tokens.filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token
