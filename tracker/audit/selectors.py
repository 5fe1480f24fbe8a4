"""Reads of the audit trail: an object's history, a product's, and its events
as people read them (field names, choice labels, dates)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import Truncator, capfirst

from tracker.audit import registry
from tracker.audit.models import Action, AuditEvent, history_url
from tracker.lib.dates import day_text, moment_text

RECENT = 10  # events in an object page's History section
SHOWN_CHANGES = 4  # an update's changes shown before "N more fields"
SHOWN_CHARS = 160  # longer values are cut on the page (the API has them whole)


def product_history(*, product_id: int) -> QuerySet[AuditEvent]:
    """Everything recorded about a product and what belongs to it, deleted
    objects included, newest first."""
    return AuditEvent.objects.filter(product_id=product_id).order_by("-id")


def object_history(obj: models.Model, *, limit: int = RECENT) -> list["Entry"]:
    """The latest events of `obj` and of the objects that belong to it (a
    metric's measurements, a postmortem's action items), newest first."""
    label = obj._meta.label_lower
    events = AuditEvent.objects.filter(
        Q(object_type=label, object_id=obj.pk) | Q(parent_type=label, parent_id=obj.pk)
    ).order_by("-id")[:limit]
    return entries(events)


def kind_history(*, product_id: int, kind: str, limit: int = RECENT) -> list["Entry"]:
    """The latest events of one kind of a product's objects (its survey rows)."""
    label = registry.by_kind()[kind].model_class._meta.label_lower
    events = product_history(product_id=product_id).filter(object_type=label)
    return entries(events[:limit])


def history_for(
    obj: models.Model, *, product_slug: str | None, kind: str | None = None
) -> dict[str, Any]:
    """An object page's History card: its latest events and a link to all of
    them on the product's history page (`kind`: link to that kind instead, for
    an object that is not itself audited, like a planning session)."""
    return {
        "history": object_history(obj),
        "history_url": history_link(obj, product_slug=product_slug, kind=kind),
    }


def history_link(
    obj: models.Model, *, product_slug: str | None, kind: str | None = None
) -> str | None:
    """The product's history page filtered to `obj` and what belongs to it
    (`kind`: to that kind instead), or None outside a product."""
    if product_slug and kind:
        return history_url(product_slug, kind=kind)
    spec = registry.spec_for(type(obj))
    if product_slug and spec:
        return history_url(product_slug, kind=spec.kind, object_id=obj.pk)
    return None


# --- As people read it ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    """One event, ready for a template: "Alice · 3 Jun · changed Baseline 410 → 400"."""

    event: AuditEvent
    kind: str
    changes: list[Change]

    @property
    def verb(self) -> str:
        return self.event.get_action_display().lower()

    @property
    def is_update(self) -> bool:
        return self.event.action == Action.UPDATE

    @property
    def first_changes(self) -> list[Change]:
        return self.changes[:SHOWN_CHANGES]

    @property
    def more_changes(self) -> list[Change]:
        return self.changes[SHOWN_CHANGES:]


def entries(events) -> list[Entry]:
    """Events as Entry objects; no queries beyond the events themselves."""
    return [_entry(event) for event in events]


def _entry(event: AuditEvent) -> Entry:
    spec = registry.by_label().get(event.object_type)
    model = spec.model_class if spec else None
    kind = str(model._meta.verbose_name) if model else event.object_type
    changes = [
        _change(model, name, pair)
        for name, pair in (event.changes or {}).items()
        if isinstance(pair, list) and len(pair) == 2
    ]
    return Entry(event=event, kind=kind, changes=changes)


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # since removed from the model
        return None


def _change(model, name: str, pair: list) -> Change:
    field = _field(model, name)
    label = capfirst(str(field.verbose_name)) if field is not None else name
    return Change(label, shown(field, pair[0]), shown(field, pair[1]))


def shown(field: models.Field | None, value: Any) -> str:
    """A recorded value as text: choice labels, names, readable dates."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):  # many-to-many: the related objects' names
        return ", ".join(_shown_one(None, item) for item in value)
    return _shown_one(field, value)


def _shown_one(field: models.Field | None, value: Any) -> str:
    if isinstance(value, dict):
        if "label" in value and "id" in value:
            return str(value["label"])
        if set(value) == {"excerpt", "length"}:
            return f"“{_cut(value['excerpt'])}” ({value['length']:,} characters)"
        return _cut(", ".join(f"{k}={v}" for k, v in value.items()))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field is not None and field.choices and isinstance(value, str):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return _cut(_when(field, value) or value)
    return str(value)


def _when(field: models.Field | None, value: str) -> str | None:
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value)
        return f"{moment_text(moment)} UTC" if moment else None
    if isinstance(field, models.DateField):
        day = parse_date(value)
        return day_text(day) if day else None
    return None


def _cut(text: str) -> str:
    # Most values are short: Truncator is only needed for the long ones.
    return text if len(text) <= SHOWN_CHARS else Truncator(text).chars(SHOWN_CHARS)
