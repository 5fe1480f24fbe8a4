"""Writes for incidents, their timeline and alert integrations. Views, API views,
the alert receiver and seeders call these; nothing else changes
these models. Split by concern; import from here.
"""

from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_note_add,
    incident_open,
    incident_resolve,
    incident_update,
    integration_create,
    integration_revoke,
)
from tracker.incidents.services.ingest import (
    ALERT_OUTCOMES,
    alert_apply,
    alerts_ingest,
)
from tracker.incidents.services.sla import sla_breach_sync, sla_check_submit

__all__ = [
    "ALERT_OUTCOMES",
    "alert_apply",
    "alerts_ingest",
    "incident_acknowledge",
    "incident_note_add",
    "incident_open",
    "incident_resolve",
    "incident_update",
    "integration_create",
    "integration_revoke",
    "sla_breach_sync",
    "sla_check_submit",
]
