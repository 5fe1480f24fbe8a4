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
`action_items`, and `common` (what they share). Import each name
from the module that defines it: this package re-exports nothing.
"""
