"""Display helpers for incident pages."""

from django import template

from tracker.incidents.forms import ProductChoiceField
from tracker.incidents.models import (
    EntryKind,
    Kind,
    Severity,
    Source,
    Status,
    TimelineEntry,
)

register = template.Library()

# Timeline rows keep stored values ("sev2", "acknowledged"); people read labels.
_LABELS = {
    EntryKind.STATUS: dict(Status.choices),
    EntryKind.OPENED: dict(Status.choices),
    EntryKind.SEVERITY: dict(Severity.choices),
    EntryKind.KIND: dict(Kind.choices),
}
_SOURCES = dict(Source.choices)


@register.filter
def entry_value(value: str, kind: str) -> str:
    return _LABELS.get(kind, {}).get(value, value)


@register.filter
def entry_who(entry: TimelineEntry) -> str:
    """The person, or the system that acted (an alert source, an SLA check)."""
    if entry.actor_id:
        return entry.actor.display_name
    return _SOURCES.get(entry.source, entry.source)


@register.filter
def label_pairs(labels: dict, limit: int = 4) -> list[tuple[str, str]]:
    """The first labels to show in a narrow column, alertname first."""
    pairs = sorted(labels.items(), key=lambda item: item[0] != "alertname")
    return pairs[:limit]


@register.simple_tag
def triage_product_picker(incident, suggested: dict) -> str:
    """The inbox row's product picker, with the product its `product` label
    names already picked when the reader may assign to it (`suggested`)."""
    product = suggested.get(incident.labels.get("product"))
    picked = [(str(product.pk), product.picker_label)] if product else []
    attrs = {
        "id": f"triage-product-{incident.pk}",
        "required": True,
        "placeholder": "Product…",
    }
    return ProductChoiceField.widget.render_picked("product", picked, attrs)
