"""The postmortems' part of the audit trail (tracker.audit.registry): an action
item belongs to the product of its postmortem or of its planning session."""

from django.utils.text import Truncator

from tracker.audit.registry import Audited, register

register(
    Audited(
        "postmortems.Postmortem",
        "postmortem",
        lambda p: p.title,
        ignore=frozenset({"search_vector"}),
    ),
    Audited(
        "postmortems.ActionItem",
        "action_item",
        lambda a: Truncator(a.description).chars(80),
        None,
        ("postmortem", "session"),
    ),
)
