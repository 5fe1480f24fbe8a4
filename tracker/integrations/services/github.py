"""Action items as GitHub issues.

"Create issue" records an `IssueLink` (pending) and queues a task that calls
GitHub's REST API (`POST /repos/{owner}/{repo}/issues`); the issue's number and
URL come back onto the link and the action item's ticket URL. GitHub's `issues`
webhook, signed with the connection's secret (`X-Hub-Signature-256`), closes or
reopens the linked item; the audit trail records the change as made through
that connection's hook. A bad signature changes nothing.
"""

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.models import User
from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.integrations import outside
from tracker.integrations.models import Connection, ConnectionKind, IssueLink
from tracker.integrations.services.connections import connection_failed, connection_ok
from tracker.postmortems.models import ActionItem
from tracker.postmortems.models.action_items import ActionStatus
from tracker.postmortems.services.action_items import (
    action_item_set_status,
    action_item_update,
)

API_VERSION = "2022-11-28"


def issue_request(
    *, item: ActionItem, connection: Connection, actor: User | None
) -> IssueLink:
    """Ask for an issue for `item` in the connection's repository (the task
    makes it). One issue per item: asking again is refused."""
    product = item.postmortem.product if item.postmortem_id else item.session.product
    if (
        connection.kind != ConnectionKind.GITHUB
        or connection.team_id != product.team_id
    ):
        raise ValidationError(
            {"connection": "Choose a GitHub connection of the product's team."}
        )
    if IssueLink.objects.filter(action_item=item).exists():
        raise ValidationError("This action item has a GitHub issue already.")
    return IssueLink.objects.create(
        action_item=item, connection=connection, requested_by=actor
    )


def issue_create(*, link_id: int) -> IssueLink | None:
    """Open the issue on GitHub for a pending link; None when it has one."""
    link = (
        IssueLink.objects.select_related("connection", "action_item")
        .filter(pk=link_id, number__isnull=True)
        .first()
    )
    if link is None:
        return None
    connection, item = link.connection, link.action_item
    body = json.dumps(
        {
            "title": item.description.splitlines()[0][:200],
            "body": f"{item.description}\n\nAction item in the ML product tracker: "
            f"{settings.SITE_URL}{item.get_absolute_url()}",
        }
    ).encode()
    try:
        answer = outside.call(
            "POST",
            f"{connection.base_url}/repos/{connection.repository}/issues",
            headers=_headers(connection),
            body=body,
            ok=(201,),
        )
        issue = answer.json()
        number, url = int(issue["number"]), str(issue["html_url"])
    except (outside.OutsideError, KeyError, TypeError, ValueError) as exc:
        error = str(exc) if isinstance(exc, outside.OutsideError) else "Bad answer."
        IssueLink.objects.filter(pk=link.pk).update(error=error)
        connection_failed(connection=connection, error=error)
        link.error = error
        return link
    connection_ok(connection=connection)
    with transaction.atomic():
        IssueLink.objects.filter(pk=link.pk).update(
            number=number, html_url=url, error=""
        )
        action_item_update(item=item, actor=link.requested_by, data={"ticket_url": url})
    link.refresh_from_db()
    return link


@sensitive_variables("connection")
def _headers(connection: Connection) -> dict[str, str]:
    return {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {connection.token}",
        "X-GitHub-Api-Version": API_VERSION,
        "Content-Type": "application/json",
    }


# --- The webhook ----------------------------------------------------------------


@sensitive_variables("connection", "expected")
def signature_valid(*, connection: Connection, body: bytes, header: str) -> bool:
    """GitHub's X-Hub-Signature-256: "sha256=" + HMAC-SHA256 of the body under
    the webhook secret, compared in constant time. No secret: nothing passes."""
    if not connection.webhook_secret or not header.startswith("sha256="):
        return False
    key = connection.webhook_secret.encode()
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


_STATUS_FOR = {"closed": ActionStatus.DONE, "reopened": ActionStatus.OPEN}


def issue_event_apply(*, connection: Connection, payload: dict[str, Any]) -> str:
    """Apply an `issues` event: closed → done, reopened → open. Says what
    happened (for the response and the log)."""
    status = _STATUS_FOR.get(payload.get("action", ""))
    if status is None:
        return "ignored: not closed or reopened"
    number = (payload.get("issue") or {}).get("number")
    link = (
        IssueLink.objects.select_related("action_item")
        .filter(connection=connection, number=number)
        .first()
    )
    if link is None:
        return "ignored: no action item is linked to this issue"
    label = f"GitHub connection “{connection.name}”"
    with acting(via=Via.HOOK, label=label), transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=link.action_item_id)
        note = f"Issue #{number} {payload['action']} on GitHub."
        changed = action_item_set_status(
            item=item, actor=None, status=status, note=note
        )
    return f"action item {item.pk} {'now ' + status if changed else 'unchanged'}"
