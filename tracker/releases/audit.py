"""The releases' part of the audit trail (tracker.audit.registry): who
registered, approved and deployed which model version, where, and which
registry alias (champion, challenger, shadow) named it."""

from tracker.audit.registry import Audited, register
from tracker.releases.models import Deployment


def _deployment(d: Deployment) -> str:
    rollback = " (rollback)" if d.is_rollback else ""
    return f"{d.environment} {d.traffic_percent}%{rollback}"


register(
    Audited("releases.ModelVersion", "model_version", lambda v: v.version),
    Audited("releases.ModelAlias", "model_alias", lambda a: a.alias),
    Audited("releases.Deployment", "deployment", _deployment),
)
