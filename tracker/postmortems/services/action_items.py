"""Action items from postmortems and planning sessions: creating, changing,
closing and reopening them.

An item is part of its postmortem's write-up by what it says (its wording):
adding one or rewording it is refused once the postmortem is published and
sends a reviewed one back to review. Progress (owner, due date, priority,
ticket, status) goes on at any time."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.services import model_create, model_update
from tracker.postmortems.models import (
    ActionItem,
    ActionStatus,
    Postmortem,
)
from tracker.postmortems.selectors.access import user_can_edit_action_item
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


class BulkAction(models.TextChoices):
    """What the action items page does to the rows ticked."""

    REASSIGN = "reassign", "Reassign to…"
    DUE_DATE = "due_date", "Set the due date to…"
    WONT_DO = "wont_do", "Close as won't do, because…"


@dataclass
class BulkOutcome:
    """The items changed, and those refused with the reason (an unknown or
    unreadable id is refused as "no such action item")."""

    changed: list[ActionItem] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)

    def refuse(self, pk: int, item: ActionItem | None, reason: str) -> None:
        self.refused.append((pk, str(item) if item else "", reason))


def action_items_bulk_change(
    *,
    actor: User,
    ids: list[int],
    items: dict[int, ActionItem],
    action: str,
    owner: User | None = None,
    due_date: date | None = None,
    reason: str = "",
) -> BulkOutcome:
    """Reassign, set the due date of, or close as won't do each of `ids`,
    through the services one item at a time (so the audit trail and the rules
    apply), each in its own transaction. `items` are those of `ids` that
    `actor` may read (selectors.action_items_for_change); the others, closed
    ones and those `actor` may not change are refused, with the reason."""
    outcome = BulkOutcome()
    for pk in ids:
        item = items.get(pk)
        if item is None:
            outcome.refuse(pk, None, "No such action item.")
        elif not user_can_edit_action_item(actor, item):
            outcome.refuse(
                pk,
                item,
                "Only its owner and the people who may edit its postmortem or "
                "planning session can change it.",
            )
        elif not item.is_open:
            outcome.refuse(
                pk,
                item,
                f"It is closed ({item.get_status_display()}): reopen it first.",
            )
        else:
            try:
                with transaction.atomic():
                    _bulk_change_one(item, actor, action, owner, due_date, reason)
            except ValidationError as error:
                outcome.refuse(pk, item, " ".join(error.messages))
            else:
                outcome.changed.append(item)
    return outcome


def _bulk_change_one(item, actor, action, owner, due_date, reason) -> None:
    if action == BulkAction.WONT_DO:
        action_item_set_status(
            item=item, actor=actor, status=ActionStatus.WONT_DO, note=reason
        )
    elif action == BulkAction.REASSIGN:
        action_item_update(item=item, actor=actor, data={"owner": owner})
    elif action == BulkAction.DUE_DATE:
        action_item_update(item=item, actor=actor, data={"due_date": due_date})
    else:
        raise ValidationError({"action": f"“{action}” is not a bulk action."})
