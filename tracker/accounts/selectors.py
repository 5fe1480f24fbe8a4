"""Reads for accounts: who may read which team's products (the one rule every
list, page, export, digest and reminder applies), teams and API tokens."""

import operator
from collections.abc import Iterable
from functools import reduce

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from tracker.accounts.models import (
    ApiToken,
    CIPrincipal,
    Membership,
    Team,
    TokenKind,
    User,
    Visibility,
)
from tracker.accounts.tokens import token_lookup, token_matches
from tracker.lib.aggregates import in_ids
from tracker.products.models import Product

Reader = User | CIPrincipal | AnonymousUser

# --- Who may read what (docs/access.md) ---------------------------------------------
# A team's visibility is "organisation" (every signed-in person reads its products)
# or "private" (only its members, each product's three owners, staff and
# superusers). Everything under a product (metrics, incidents, postmortems, CI,
# reminders, report rows…) follows its product: the filters below are SQL, used
# inside other querysets, so lists stay a fixed number of queries.


# What people who read everything get: a condition that is always true (not an
# empty Q, which would vanish when OR-ed with another condition).
EVERYTHING = Q(pk__isnull=False)


def sees_everything(user: Reader) -> bool:
    """Staff and superusers read every team's products."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def _member_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user.pk).values("team_id")


def product_readable_q(user: Reader) -> Q:
    """The products `user` may read, as a filter over Product. A CI token reads
    its own product and what the whole organisation may read."""
    if isinstance(user, CIPrincipal):
        return Q(pk=user.product_id) | Q(team__visibility=Visibility.ORGANISATION)
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_everything(user):
        return EVERYTHING
    return (
        Q(team__visibility=Visibility.ORGANISATION)
        | Q(team__in=_member_of(user))
        | Q(pm_owner_id=user.pk)
        | Q(ml_owner_id=user.pk)
        | Q(eng_owner_id=user.pk)
    )


def products_readable_by(user: Reader) -> QuerySet[Product]:
    return Product.objects.filter(product_readable_q(user))


def readable(user: Reader, *paths: str, unassigned: bool = False) -> Q:
    """A filter for rows under a product: those whose product `user` may read.

    `paths` lead from the rows to their product ("product", "sla__product"); a row
    with several (an action item's "postmortem__product" or "session__product")
    passes when the product on one of them is readable. `unassigned` also passes
    rows with no product (an untriaged incident, a shared integration). An
    `IN (SELECT …)` subquery: no joins that multiply rows, no extra query.
    """
    if sees_everything(user):
        return EVERYTHING
    products = products_readable_by(user).values("pk")
    conditions = [Q(**{f"{path}__in": products}) for path in paths]
    if unassigned:
        conditions.append(Q(**{f"{path}__isnull": True for path in paths}))
    return reduce(operator.or_, conditions)


def private_product_readers(
    product_ids: Iterable[int], user_ids: Iterable[int]
) -> dict[int, set[int]]:
    """For many people and products at once (the reminder sweep): each of the
    private teams' products among `product_ids`, with who among `user_ids` reads
    it as a member of its team or one of its owners. Products left out are read
    by everyone; staff and superusers read every product, which callers check
    on the users they load anyway. One query, two with a private product."""
    rows = list(
        Product.objects.filter(
            in_ids("pk", product_ids), team__visibility=Visibility.PRIVATE
        ).values_list("pk", "team_id", "pm_owner_id", "ml_owner_id", "eng_owner_id")
    )
    readers = {pk: {o for o in owners if o} for pk, _, *owners in rows}
    if not readers:
        return {}
    teams = {team for _, team, *_ in rows}
    members: dict[int, set[int]] = {}
    for user, team in Membership.objects.filter(
        in_ids("user_id", user_ids), team_id__in=teams
    ).values_list("user_id", "team_id"):
        members.setdefault(team, set()).add(user)
    for pk, team, *_ in rows:
        readers[pk] |= members.get(team, set())
    return readers


def team_visible_q(user: Reader) -> Q:
    """Teams whose pages `user` sees: organisation-wide ones, and private ones
    to their members, staff and superusers."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if sees_everything(user):
        return EVERYTHING
    if isinstance(user, CIPrincipal):
        return Q(visibility=Visibility.ORGANISATION)
    return Q(visibility=Visibility.ORGANISATION) | Q(pk__in=_member_of(user))


def teams_visible_to(user: Reader) -> QuerySet[Team]:
    return Team.objects.filter(team_visible_q(user)).order_by("name")


def user_can_manage_team(user: Reader, team: Team) -> bool:
    """Members, staff and superusers set a team's visibility."""
    if isinstance(user, CIPrincipal) or not user.is_authenticated:
        return False
    if sees_everything(user):
        return True
    return Membership.objects.filter(team=team, user_id=user.pk).exists()


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
