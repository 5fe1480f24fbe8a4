"""Reads for postmortems and action items, and who may change them.

Whoever may read a product reads its postmortems, drafts included: learning is
shared across the organisation (the pages say so), except for a private team's
products, whose postmortems and action items only the people who read the
product see (tracker.products.selectors; 404 for everyone else). Changing one needs
to be an author, a reviewer, its review owner, or someone who may edit its
product (team members and owners).

Modules by concern: `access` (permissions, `*_get_for_user`), `lists` (lists,
library search), `page` (one postmortem's pages), `action_items`, `deadlines`
(business days) and `reports` (set-based reads for reminders and reports:
`action_items_due`, `action_items_overdue` live in `action_items`;
`postmortems_stuck_in_draft` and `postmortem_completion` in `reports`; see
docs/postmortems.md). Import each name from the module that defines it: this
package re-exports nothing.
"""
