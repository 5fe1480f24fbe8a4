"""The integrations' part of the audit trail (tracker.audit.registry): a team's
Prometheus and GitHub connections. Of their token and webhook secret the trail
records only that one was set, changed or removed, never the value (the trail
can never be edited, and a secret is shown once); the last success and error,
which the system keeps, are not recorded."""

from tracker.audit.registry import Audited, register

register(
    Audited(
        "integrations.Connection",
        "connection",
        lambda c: c.name,
        None,
        ("team",),
        ignore=frozenset({"last_ok_at", "last_error", "last_error_at"}),
        secret=frozenset({"token", "webhook_secret"}),
    ),
)
