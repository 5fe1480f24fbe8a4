"""Display helpers for postmortem pages, and the incident page's hook."""

from django import template

from tracker.postmortems.models import SECTIONS_BY_KEY, Postmortem
from tracker.postmortems.selectors.lists import (
    postmortems_for_incident,
    recurrence_lessons,
)

register = template.Library()

_FIELD_LABELS = {
    "title": "title",
    "incidents": "incidents",
    "authors": "authors",
    "reviewers": "reviewers",
    "review_owner": "review owner",
    "review_meeting_at": "review meeting",
    "review_deadline": "review deadline",
    "users_affected": "users affected",
    "error_budget_consumed": "error budget consumed",
    "no_action_items": "“no action items”",
    "timeline": "timeline",
    "factors": "contributing factors",
    "impacts": "KPI impacts",
    "action_items": "action items",
}


@register.filter
def field_label(name: str) -> str:
    """How a changed field reads in the history ("edited lessons learned")."""
    if name.endswith("_na") and name[:-3] in SECTIONS_BY_KEY:
        return f"{SECTIONS_BY_KEY[name[:-3]].title.lower()} (not applicable)"
    if name in SECTIONS_BY_KEY:
        return SECTIONS_BY_KEY[name].title.lower()
    return _FIELD_LABELS.get(name, name.replace("_", " "))


@register.filter
def section_text(postmortem: Postmortem, key: str) -> str:
    return getattr(postmortem, key, "")


@register.filter
def section_na(postmortem: Postmortem, key: str) -> bool:
    return bool(getattr(postmortem, f"{key}_na", False))


@register.filter
def md_cell(text: str) -> str:
    """Text fit for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, [])


@register.inclusion_tag("postmortems/_incident_postmortems.html", takes_context=True)
def incident_postmortems(context, incident, can_edit: bool = False):
    """The incident page's postmortem links and "Write postmortem" button: kept
    here so the incidents app does not depend on this one."""
    postmortems = postmortems_for_incident(incident=incident)
    return {
        "incident": incident,
        "postmortems": postmortems,
        "draft": next((p for p in postmortems if not p.is_published), None),
        "can_write": can_edit and incident.product_id is not None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("postmortems/_recurrence.html")
def incident_recurrence(incident):
    """On the incident page: the earlier incident this one repeats, and the
    action items of its published postmortem with their state."""
    return {
        "incident": incident,
        "lessons": recurrence_lessons(incident=incident),
    }
