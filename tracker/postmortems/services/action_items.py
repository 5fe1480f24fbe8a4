"""Action items from postmortems and planning sessions: creating, changing,
closing and reopening them.

An item is part of its postmortem's write-up by what it says (its wording):
adding one or rewording it is refused once the postmortem is published and
sends a reviewed one back to review. Progress (owner, due date, priority,
ticket, status) goes on at any time."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.services import model_create, model_update
from tracker.postmortems.models import (
    ActionItem,
    ActionStatus,
    Postmortem,
)
from tracker.postmortems.services.common import (
    ACTION_FIELDS,
    ACTION_WORDING,
    _content_changed,
    _pick,
    postmortem_guard,
)
from tracker.products.models import PlanningSession


def _closing(status: str, note: str) -> dict[str, Any]:
    closed = status != ActionStatus.OPEN
    return {
        "status": status,
        "status_note": note.strip(),
        "closed_at": timezone.now() if closed else None,
    }


@transaction.atomic
def action_item_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    postmortem: Postmortem | None = None,
    session: PlanningSession | None = None,
) -> ActionItem:
    """An action item from a postmortem or a planning session (exactly one: a DB
    check). Adding one to a postmortem clears its "no action items" flag."""
    if postmortem is not None:
        postmortem_guard(postmortem)
    item = model_create(
        ActionItem,
        postmortem=postmortem,
        session=session,
        created_by=actor,
        **_pick(data, ACTION_FIELDS),
        **_closing(
            data.get("status") or ActionStatus.OPEN, data.get("status_note", "")
        ),
    )
    if postmortem is not None and postmortem.no_action_items:
        model_update(
            instance=postmortem,
            fields=["no_action_items"],
            data={"no_action_items": False},
        )
    if postmortem is not None:
        _content_changed(postmortem, actor, ["action_items"])
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: User | None, data: dict[str, Any]
) -> list[str]:
    """Change an item's fields; a new `status` closes or reopens it. Its
    wording stays as published (see the module's docstring)."""
    rewording = item.postmortem_id is not None and any(
        field in data and data[field] != getattr(item, field)
        for field in ACTION_WORDING
    )
    if rewording:
        postmortem_guard(item.postmortem)
    changed = model_update(instance=item, fields=ACTION_FIELDS, data=data)
    if rewording:
        _content_changed(item.postmortem, actor, ["action_items"])
    status = data.get("status")
    if status and status != item.status:
        action_item_set_status(
            item=item, actor=actor, status=status, note=data.get("status_note", "")
        )
        changed.append("status")
    return changed


def action_item_set_status(
    *, item: ActionItem, actor: User | None, status: str, note: str = ""
) -> bool:
    """Close (done / won't do, which needs a reason) or reopen an item. False
    when it already had that status."""
    if status == item.status:
        return False
    if status not in ActionStatus.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    if status == ActionStatus.WONT_DO and not note.strip():
        raise ValidationError({"status_note": "Say why it won't be done."})
    changes = _closing(status, note)
    model_update(instance=item, fields=list(changes), data=changes)
    return True
