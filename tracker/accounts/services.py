"""Writes for accounts: teams (creating one, its settings, its members and their
roles) and API tokens. Callers checked the right to (accounts.selectors)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.models import ApiToken, Membership, Role, Team, TokenKind, User
from tracker.accounts.tokens import token_digest, token_generate
from tracker.lib.services import model_create, model_update

# last_used_at is bookkeeping: refreshing it at most this often keeps a busy CI
# token from turning every request into an extra UPDATE.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


# What the team page and PATCH /api/v1/teams/<slug>/ may change (members have
# their own services below).
TEAM_FIELDS = ["visibility"]
# What creating a team sets.
TEAM_CREATE_FIELDS = ["name", "slug", "description", "visibility"]


def team_create(*, data: dict) -> Team:
    """A new team, without members yet (staff add them, or leads they name)."""
    return model_create(Team, **{f: data[f] for f in TEAM_CREATE_FIELDS if f in data})


def team_member_set(*, team: Team, user: User, role: str = Role.MEMBER) -> bool:
    """Add `user` to `team` with `role`, or change their role. One upsert, so
    two concurrent adds make one row. Returns True when the person was new."""
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of {', '.join(Role.values)}."})
    _, created = Membership.objects.update_or_create(
        team=team, user=user, defaults={"role": role}
    )
    return created


def team_member_remove(*, team: Team, user: User) -> bool:
    """Take `user` out of `team`; False when they were not in it."""
    deleted, _ = Membership.objects.filter(team=team, user=user).delete()
    return bool(deleted)


def team_update(*, team: Team, data: dict) -> list[str]:
    """Change a team's settings (its visibility: who reads its products). The
    caller checked the right to (selectors.user_can_manage_team). Returns the
    fields that changed."""
    return model_update(instance=team, fields=TEAM_FIELDS, data=data)


@sensitive_variables("raw")
def token_create(
    *,
    user: User,
    name: str,
    product: models.Model | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a person token (no product) or a CI token for `product` (a
    products.Product, whose API calls this).

    Returns the row and the token itself, which is not stored and cannot be
    shown again.
    """
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    lookup, raw = token_generate()
    token = model_create(
        ApiToken,
        kind=TokenKind.CI if product else TokenKind.PERSON,
        name=name,
        lookup=lookup,
        digest=token_digest(raw),
        user=user,
        product=product,
        created_at=timezone.now(),
        expires_at=expires_at,
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    """Revoke for good; the row stays so "who had access when" can be answered."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def token_touch(*, token: ApiToken) -> None:
    """Record use, at most once per TOKEN_TOUCH_INTERVAL (a conditional UPDATE,
    so concurrent requests do not all write)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < TOKEN_TOUCH_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(
        last_used_at__lt=now - TOKEN_TOUCH_INTERVAL
    )
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
