"""The incidents' part of the audit trail (tracker.audit.registry)."""

from tracker.audit.registry import Audited, register

register(Audited("incidents.Incident", "incident", lambda i: f"#{i.pk} {i.title}"))
