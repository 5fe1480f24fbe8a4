"""Writes for postmortems, their timeline, contributing factors, blameless
warnings and action items. Views, API views and the demo call these; nothing
else changes these models.

Rules kept here:
- status moves follow TRANSITIONS; going back to draft needs a reason; only a
  reviewer marks a postmortem reviewed; publishing needs the checklist met
  (selectors.publish_blockers). Every move is a PostmortemEvent row;
- a reviewer marks it reviewed only when every blameless warning is fixed or
  accepted;
- a published postmortem is read-only (postmortem_guard, under a row lock)
  until it is reopened (back to draft, with a reason); progress on its action
  items goes on;
- a change to a reviewed postmortem's content sends it back to in review, a
  status move listing what changed;
- every change of text re-runs the blameless check (warnings_sync) and, on
  PostgreSQL, refreshes the search vector.

Modules: `writeup` (postmortems and their workflow), `parts` (timeline,
factors, KPI impacts), `warnings` (the blameless check's rows),
`action_items`, and `common` (what they share). Everything public is
importable from this package.
"""

from tracker.postmortems.services.action_items import (
    BulkAction,
    BulkOutcome,
    action_item_create,
    action_item_set_status,
    action_item_update,
    action_items_bulk_change,
)
from tracker.postmortems.services.common import (
    ACTION_FIELDS,
    ACTION_WORDING,
    FACTOR_FIELDS,
    MOMENT_FIELDS,
    POSTMORTEM_FIELDS,
    READ_ONLY,
    TEXT_FIELDS,
    postmortem_guard,
    postmortem_search_refresh,
)
from tracker.postmortems.services.parts import (
    factor_add,
    factor_delete,
    factor_update,
    impact_add,
    impact_remove,
    moment_add,
    moment_delete,
    moment_update,
    timeline_prefill,
)
from tracker.postmortems.services.warnings import (
    warning_accept,
    warnings_sync,
)
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_from_incident,
    postmortem_transition,
    postmortem_update,
)

__all__ = [
    "ACTION_FIELDS",
    "ACTION_WORDING",
    "FACTOR_FIELDS",
    "MOMENT_FIELDS",
    "POSTMORTEM_FIELDS",
    "READ_ONLY",
    "TEXT_FIELDS",
    "BulkAction",
    "BulkOutcome",
    "action_item_create",
    "action_item_set_status",
    "action_item_update",
    "action_items_bulk_change",
    "factor_add",
    "factor_delete",
    "factor_update",
    "impact_add",
    "impact_remove",
    "moment_add",
    "moment_delete",
    "moment_update",
    "postmortem_create",
    "postmortem_from_incident",
    "postmortem_guard",
    "postmortem_search_refresh",
    "postmortem_transition",
    "postmortem_update",
    "timeline_prefill",
    "warning_accept",
    "warnings_sync",
]
