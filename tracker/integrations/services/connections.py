"""Connections to a team's Prometheus or GitHub: creating and changing them, and
recording how their last call went (shown on the connection's page with its time)."""

from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.models import User
from tracker.integrations.models import Connection
from tracker.lib.services import model_create, model_update

CONNECTION_FIELDS = [
    "name",
    "kind",
    "team",
    "base_url",
    "repository",
    "token",
    "webhook_secret",
]


@sensitive_variables("data")
def connection_create(*, actor: User | None, data: dict[str, Any]) -> Connection:
    """A new connection; the caller checked the right to (the team's members)."""
    values = {f: data[f] for f in CONNECTION_FIELDS if f in data}
    values["base_url"] = values["base_url"].rstrip("/")
    return model_create(Connection, **values, created_by=actor)


# What an edit may change: a connection keeps its team and kind (its SLA queries
# and issue links depend on them). Secrets are write-only: absent keeps them.
CONNECTION_EDITABLE = ["name", "base_url", "repository", "token", "webhook_secret"]


@sensitive_variables("data")
def connection_update(*, connection: Connection, data: dict[str, Any]) -> list[str]:
    """Change what `data` holds; the caller checked the right to. Returns the
    fields that changed."""
    values = {f: data[f] for f in CONNECTION_EDITABLE if f in data}
    if "base_url" in values:
        values["base_url"] = values["base_url"].rstrip("/")
    return model_update(instance=connection, fields=CONNECTION_EDITABLE, data=values)


def connection_ok(*, connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(last_ok_at=timezone.now())


def connection_failed(*, connection: Connection, error: str) -> None:
    """Keep the error and its time for the connection's page."""
    Connection.objects.filter(pk=connection.pk).update(
        last_error=error[:500], last_error_at=timezone.now()
    )
