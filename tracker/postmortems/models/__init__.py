"""Blameless postmortems, their timeline, contributing factors and action items.

A postmortem covers one or more incidents of one product and moves
draft → in review → reviewed → published (and back to draft with a reason;
a change to a reviewed one sends it back to in review; a published one is
read-only until reopened). Every move is a `PostmortemEvent` row,
so reminders and reports read the history from rows. Action items come from a
postmortem or from a planning session: exactly one of the two (a DB check).
"""

from tracker.postmortems.models.action_items import (
    ActionItem,
    ActionKind,
    ActionStatus,
    Priority,
)
from tracker.postmortems.models.parts import (
    FACTOR_SECTION,
    ML_CATEGORIES,
    SUGGESTIONS,
    WARNING_SECTIONS,
    BlamelessWarning,
    ContributingFactor,
    FactorCategory,
    MLKind,
    MomentKind,
    Rule,
    TimelineEvent,
)
from tracker.postmortems.models.policies import ACTION_DAYS_FIELDS, FollowUpPolicy
from tracker.postmortems.models.postmortem import (
    PRODUCT_FAILURE_SEVERITY,
    STATUS_ORDER,
    TRANSITIONS,
    EventKind,
    FailureKind,
    MetricImpact,
    Postmortem,
    PostmortemEvent,
    Status,
)
from tracker.postmortems.models.sections import (
    SECTION_KEYS,
    SECTIONS,
    SECTIONS_BY_KEY,
    Section,
)

__all__ = [
    "ACTION_DAYS_FIELDS",
    "FACTOR_SECTION",
    "ML_CATEGORIES",
    "PRODUCT_FAILURE_SEVERITY",
    "SECTIONS",
    "SECTIONS_BY_KEY",
    "SECTION_KEYS",
    "STATUS_ORDER",
    "SUGGESTIONS",
    "TRANSITIONS",
    "WARNING_SECTIONS",
    "ActionItem",
    "ActionKind",
    "ActionStatus",
    "BlamelessWarning",
    "ContributingFactor",
    "EventKind",
    "FactorCategory",
    "FailureKind",
    "FollowUpPolicy",
    "MLKind",
    "MetricImpact",
    "MomentKind",
    "Postmortem",
    "PostmortemEvent",
    "Priority",
    "Rule",
    "Section",
    "Status",
    "TimelineEvent",
]
