"""The integrations' part of the audit trail (tracker.audit.registry): a team's
Prometheus and GitHub connections. Their token and webhook secret are never
recorded (the trail can never be edited, and a secret is shown once); nor are
the last success and error, which the system keeps."""

from tracker.audit.registry import Audited, register

register(
    Audited(
        "integrations.Connection",
        "connection",
        lambda c: c.name,
        None,
        ("team",),
        ignore=frozenset(
            {"token", "webhook_secret", "last_ok_at", "last_error", "last_error_at"}
        ),
    ),
)
