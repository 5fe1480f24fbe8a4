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
docs/postmortems.md). Everything public is importable from this package.
"""

from tracker.postmortems.selectors.access import (
    Move,
    action_item_get_for_user,
    moves_for,
    people_choices,
    people_index,
    postmortem_get_for_user,
    products_for_postmortems,
    session_get_for_user,
    user_can_edit_action_item,
    user_can_edit_postmortem,
    user_can_review,
)
from tracker.postmortems.selectors.action_items import (
    ActionSummary,
    action_item_list,
    action_items_due,
    action_items_for_change,
    action_items_for_person,
    action_items_overdue,
    person_get,
    person_reviews,
    product_action_items,
    session_action_items,
)
from tracker.postmortems.selectors.deadlines import (
    add_business_days,
    review_business_days,
)
from tracker.postmortems.selectors.lists import (
    SEARCH_CONFIG,
    library_list,
    library_search,
    postmortem_api_list,
    postmortem_list,
    postmortems_for_incident,
    recurrence_lessons,
)
from tracker.postmortems.selectors.page import (
    CheckItem,
    Durations,
    PostmortemPage,
    SectionView,
    action_items_of,
    incident_timeline_entries,
    postmortem_page,
    publish_blockers,
    publish_checklist,
    review_due,
    timeline,
    timeline_durations,
    warnings_for,
)
from tracker.postmortems.selectors.reports import (
    SEVERE,
    Completion,
    completion_aggregates,
    postmortem_completion,
    postmortems_stuck_in_draft,
)

__all__ = [
    "SEARCH_CONFIG",
    "SEVERE",
    "ActionSummary",
    "CheckItem",
    "Completion",
    "Durations",
    "Move",
    "PostmortemPage",
    "SectionView",
    "action_item_get_for_user",
    "action_item_list",
    "action_items_due",
    "action_items_for_change",
    "action_items_for_person",
    "action_items_of",
    "action_items_overdue",
    "add_business_days",
    "completion_aggregates",
    "incident_timeline_entries",
    "library_list",
    "library_search",
    "moves_for",
    "people_choices",
    "people_index",
    "person_get",
    "person_reviews",
    "postmortem_api_list",
    "postmortem_completion",
    "postmortem_get_for_user",
    "postmortem_list",
    "postmortem_page",
    "postmortems_for_incident",
    "postmortems_stuck_in_draft",
    "product_action_items",
    "products_for_postmortems",
    "publish_blockers",
    "publish_checklist",
    "recurrence_lessons",
    "review_business_days",
    "review_due",
    "session_action_items",
    "session_get_for_user",
    "timeline",
    "timeline_durations",
    "user_can_edit_action_item",
    "user_can_edit_postmortem",
    "user_can_review",
    "warnings_for",
]
