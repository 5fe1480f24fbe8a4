"""Reads for accounts: who sees everything, which teams a person sees and is a
member of, teams and API tokens. Which products a person reads is built on these
in tracker.products.selectors (docs/access.md)."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from tracker.accounts.models import (
    ApiToken,
    CIPrincipal,
    Membership,
    Role,
    Team,
    TokenKind,
    User,
    Visibility,
)
from tracker.accounts.tokens import token_lookup, token_matches

Reader = User | CIPrincipal | AnonymousUser

# --- Who may read what (docs/access.md) ---------------------------------------------
# A team's visibility is "organisation" (every signed-in person reads its products)
# or "private" (only its members, each product's three owners, staff and
# superusers). The filters below are SQL, used inside other querysets (the
# products' own filters among them), so lists stay a fixed number of queries.


# What people who read everything get: a condition that is always true (not an
# empty Q, which would vanish when OR-ed with another condition).
EVERYTHING = Q(pk__isnull=False)


def sees_everything(user: Reader) -> bool:
    """Staff and superusers read every team's products."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def member_of(user: User) -> QuerySet[Membership]:
    """The ids of the teams `user` is a member of, as a subquery."""
    return Membership.objects.filter(user_id=user.pk).values("team_id")


def team_visible_q(user: Reader) -> Q:
    """Teams whose pages `user` sees: organisation-wide ones, and private ones
    to their members, staff and superusers."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_everything(user):
        return EVERYTHING
    if isinstance(user, CIPrincipal):
        return Q(visibility=Visibility.ORGANISATION)
    return Q(visibility=Visibility.ORGANISATION) | Q(pk__in=member_of(user))


def teams_visible_to(user: Reader) -> QuerySet[Team]:
    return Team.objects.filter(team_visible_q(user)).order_by("name", "id")


def user_can_manage_team(user: Reader, team: Team) -> bool:
    """Members, staff and superusers set a team's visibility."""
    if isinstance(user, CIPrincipal) or not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    return Membership.objects.filter(team=team, user_id=user.pk).exists()


def user_can_create_team(user: Reader) -> bool:
    """Staff and superusers create teams."""
    return not isinstance(user, CIPrincipal) and sees_everything(user)


def user_can_manage_members(user: Reader, team: Team) -> bool:
    """Staff, superusers and the team's leads add and remove members and set
    their roles."""
    if isinstance(user, CIPrincipal) or not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    leads = Membership.objects.filter(team=team, user_id=user.pk, role=Role.LEAD)
    return leads.exists()


# --- Teams --------------------------------------------------------------------------


def team_list(*, user: Reader) -> QuerySet[Team]:
    """The teams `user` sees, with their members (usernames, for the API) in two
    queries."""
    return (
        teams_visible_to(user)
        .prefetch_related(
            Prefetch("members", queryset=User.objects.order_by("username"))
        )
        .order_by("name")
    )


def team_list_with_counts(*, user: Reader) -> QuerySet[Team]:
    """The teams page: members and products counted in the same query. A team
    `user` sees is one whose products they all read, so the counts hide nothing."""
    return teams_visible_to(user).annotate(
        member_count=Count("members", distinct=True),
        product_count=Count("products", distinct=True),
    )


def team_get_to_manage_members(*, user: Reader, slug: str) -> Team:
    """A team whose members `user` may change: 404 when unseen, 403 unless
    they are staff or one of its leads."""
    team = team_get(user=user, slug=slug)
    if not user_can_manage_members(user, team):
        raise PermissionDenied("Only the team's leads and staff manage its members.")
    return team


def team_memberships(*, team: Team) -> QuerySet[Membership]:
    """A team's members with their roles, leads first."""
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("role", "user__username", "id")
    )


def team_get(*, user: Reader, slug: str) -> Team:
    """A team `user` sees; 404 for a private team they are not in."""
    team = team_list(user=user).filter(slug=slug).first()
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


def token_get(*, tokens: QuerySet[ApiToken], pk: int) -> ApiToken:
    token = tokens.filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token
