"""Follow-up policies: creating and changing them (staff: they are the
organisation's rules, not a product's)."""

from typing import Any

from django.core.exceptions import PermissionDenied

from tracker.accounts.models import User
from tracker.accounts.selectors import sees_everything
from tracker.lib.services import model_create, model_update
from tracker.postmortems.models import ACTION_DAYS_FIELDS, FollowUpPolicy

POLICY_FIELDS = [
    "severity",
    "risk_tier",
    "postmortem_business_days",
    *ACTION_DAYS_FIELDS.values(),
]


def _check(actor: User) -> None:
    if not sees_everything(actor):
        raise PermissionDenied("Only staff set the organisation's follow-up policies.")


def policy_create(*, actor: User, data: dict[str, Any]) -> FollowUpPolicy:
    """A new policy; a second one for the same severity and tier is refused
    (the `policy_one_per_severity_tier` constraint, as a field message)."""
    _check(actor)
    return model_create(
        FollowUpPolicy, **{k: v for k, v in data.items() if k in POLICY_FIELDS}
    )


def policy_update(
    *, policy: FollowUpPolicy, actor: User, data: dict[str, Any]
) -> list[str]:
    _check(actor)
    return model_update(instance=policy, fields=POLICY_FIELDS, data=data)
