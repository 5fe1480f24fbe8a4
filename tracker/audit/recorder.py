"""Writes the audit trail from model signals, for the models in registry.AUDITED.

Signals rather than calls in each service, because the trail must see every
path that writes: services, the admin, cascading deletes, fixtures. What they
cannot see is covered here too: foreign keys set to NULL when their target is
deleted (on_delete=SET_NULL is a bulk UPDATE) are recorded from the target's
pre_delete, and bulk inserts call record_created(). No service uses
QuerySet.update() on an audited field (see docs/governance.md).

Costs per write: one INSERT, plus one SELECT of the old values for an update; a
create reads nothing. Names and products the instance does not hold already
(the product of a row deleted in a cascade, the old target of a changed foreign
key) are read when needed, one small query each.

The audited models and how their rows find their product come from the apps'
audit.py modules (registry.py); nothing here knows a domain model.
"""

import json
import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import signals
from django.utils import timezone

from tracker.audit import context, registry
from tracker.audit.choices import Action
from tracker.audit.models import AuditEvent
from tracker.lib.durations import format_duration

# Longer text (Markdown sections, descriptions) is kept as an excerpt and its
# length: the object itself holds the text, the trail says who changed it when,
# and an immutable copy of every version could never be redacted.
TEXT_LIMIT = 500
EXCERPT = 200
NAME_LIMIT = 200

_OLD = "_audit_old"  # from pre_save to post_save, from pre_delete to post_delete
_SKIP = object()  # the save writes no audited field
BATCH = 2000  # events per INSERT when writing many


# --- What is recorded of a value ---------------------------------------------------


@cache
def audited_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields whose changes are recorded: not the key, not timestamps the
    database keeps (auto_now), not the model's bookkeeping fields."""
    spec = registry.spec_for(model)
    ignore = spec.ignore if spec else frozenset()
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in ignore
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def _text(value: str) -> str | dict[str, Any]:
    value = value.replace("\x00", "\ufffd")
    if len(value) <= TEXT_LIMIT:
        return value
    return {"excerpt": value[:EXCERPT].rstrip() + "…", "length": len(value)}


def _plain(value: Any) -> Any:
    """A JSON value that reads well: ISO dates, "1d 6h" durations."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        dumped = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
        if len(dumped) > TEXT_LIMIT:
            return _text(dumped)
        return json.loads(dumped)
    return _text(str(value))


def _normal(field: models.Field, value: Any) -> Any:
    """The value as the field's Python type ("3.5" and 3.5 are the same)."""
    if value is None:
        return None
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def _empty(value: Any) -> bool:
    return value is None or value is False or value in ("", [], {})


def _name(obj: models.Model) -> str:
    try:
        name = registry.name_of(obj)
    except (TypeError, ValueError, AttributeError):
        name = ""
    return (name or f"#{obj.pk}").replace("\x00", "\ufffd")[:NAME_LIMIT]


def _related_name(
    field: models.Field, pk: Any, instance: models.Model | None = None
) -> str:
    """The name of the object a foreign key points at: from the instance's
    cache when it holds it, else looked up."""
    if instance is not None and field.is_cached(instance):
        obj = field.get_cached_value(instance)
        if obj is not None and obj.pk == pk:
            return _name(obj)
    obj = field.related_model._base_manager.filter(pk=pk).first()
    return _name(obj) if obj is not None else f"#{pk} (deleted)"


# What the trail shows of a credential that is set (registry.Audited.secret).
SECRET_SET = "(set)"


@cache
def _is_secret(field: models.Field) -> bool:
    spec = registry.spec_for(field.model)
    return spec is not None and field.name in spec.secret


def _value(
    field: models.Field,
    value: Any,
    *,
    instance: models.Model | None = None,
    name: str | None = None,
) -> Any:
    value = _normal(field, value)
    if value is None:
        return None
    if _is_secret(field):
        return None if _empty(value) else SECRET_SET
    if field.many_to_one or field.one_to_one:
        return {"id": value, "label": name or _related_name(field, value, instance)}
    return _plain(value)


def _loaded(instance: models.Model, field: models.Field) -> tuple[bool, Any]:
    """The field's value if loaded (a deferred field would cost a query)."""
    if field.attname in instance.__dict__:
        return True, instance.__dict__[field.attname]
    return False, None


def _snapshot(instance: models.Model, fields: Iterable[models.Field]) -> dict:
    """{name: [None, value]} of a new row, or {name: [value, None]} of a
    deleted one: the fields that hold something (booleans when true)."""
    values = {}
    for f in fields:
        loaded, value = _loaded(instance, f)
        if loaded and not _empty(value):
            values[f.name] = _value(f, value, instance=instance)
    return values


# --- Who, which product, which parent ------------------------------------------------


def _product_slug(owner: models.Model, product_id: int | None) -> str:
    if product_id is None:
        return ""
    field = owner._meta.get_field("product")
    cached = field.get_cached_value(owner, None)
    if cached is not None and cached.pk == product_id:
        return cached.slug
    slugs = field.related_model._base_manager.filter(pk=product_id)
    return slugs.values_list("slug", flat=True).first() or ""


@cache
def _has_product(model: type[models.Model]) -> bool:
    return any(f.name == "product" for f in model._meta.concrete_fields)


def _belongs(spec: registry.Audited, instance: models.Model) -> dict[str, Any]:
    """The product (id and slug) and parent (type and id) of `instance`."""
    if spec.product is None and not spec.parents:  # a product itself
        return {"product_id": instance.pk, "product_slug": instance.slug}
    if spec.product is not None:
        product_id = instance.__dict__.get(f"{spec.product}_id")
        return {
            "product_id": product_id,
            "product_slug": _product_slug(instance, product_id),
        }
    for name in spec.parents:
        field = instance._meta.get_field(name)
        parent_id = instance.__dict__.get(field.attname)
        if parent_id is None:
            continue
        parent_type = field.related_model._meta.label_lower
        parent = field.get_cached_value(instance, None)
        if not _has_product(field.related_model):  # a team's, not a product's
            product = (None, "")
        elif parent is not None and parent.pk == parent_id:
            product = (parent.product_id, _product_slug(parent, parent.product_id))
        else:
            parents = field.related_model._base_manager.filter(pk=parent_id)
            row = parents.values_list("product_id", "product__slug").first()
            product = row or (None, "")
        return {
            "product_id": product[0],
            "product_slug": product[1] or "",
            "parent_type": parent_type,
            "parent_id": parent_id,
        }
    return {}


def _event(
    spec: registry.Audited,
    instance: models.Model,
    action: str,
    changes: dict[str, Any],
    who: context.Who,
    at: datetime | None = None,
) -> AuditEvent:
    try:
        described = spec.describe(instance)
    except (TypeError, ValueError, AttributeError):
        described = ""
    return AuditEvent(
        at=at or timezone.now(),
        actor_id=who.actor_id,
        actor_label=who.label[:NAME_LIMIT],
        via=who.via,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        object_repr=(described or f"#{instance.pk}").replace("\x00", "\ufffd")[
            :NAME_LIMIT
        ],
        changes=changes,
        **_belongs(spec, instance),
    )


def _record(
    instance: models.Model, action: str, changes: dict[str, Any], using: str
) -> None:
    spec = registry.spec_for(type(instance))
    event = _event(spec, instance, action, changes, context.current().who())
    event.save(using=using)


# --- Signal receivers -------------------------------------------------------------


def _written(model: type[models.Model], update_fields) -> list[models.Field]:
    fields = audited_fields(model)
    if update_fields is None:
        return fields
    wanted = set(update_fields)
    return [f for f in fields if f.name in wanted or f.attname in wanted]


def _pre_save(sender, instance, update_fields=None, using=None, **kwargs) -> None:
    if instance._state.adding and instance.pk is None:
        instance.__dict__[_OLD] = None  # an INSERT: nothing to read
        return
    fields = _written(sender, update_fields)
    if not fields:
        instance.__dict__[_OLD] = _SKIP
        return
    rows = sender._base_manager.using(using).filter(pk=instance.pk)
    # None: a new row with a chosen id.
    instance.__dict__[_OLD] = rows.values(*[f.attname for f in fields]).first()


def _post_save(
    sender, instance, created, update_fields=None, using=None, **kwargs
) -> None:
    before = instance.__dict__.pop(_OLD, None)
    if before is _SKIP:
        return
    fields = _written(sender, update_fields)
    if created or before is None:
        changes = {
            name: [None, value] for name, value in _snapshot(instance, fields).items()
        }
        _record(instance, Action.CREATE, changes, using)
        return
    changes = {}
    for f in fields:
        loaded, new = _loaded(instance, f)
        if not loaded or _normal(f, before[f.attname]) == _normal(f, new):
            continue
        changes[f.name] = [
            _value(f, before[f.attname]),
            _value(f, new, instance=instance),
        ]
    if changes:
        _record(instance, Action.UPDATE, changes, using)


def _deleted(instance: models.Model) -> AuditEvent:
    changes = {
        name: [value, None]
        for name, value in _snapshot(instance, audited_fields(type(instance))).items()
    }
    spec = registry.spec_for(type(instance))
    return _event(spec, instance, Action.DELETE, changes, context.current().who())


def _pre_delete(sender, instance, **kwargs) -> None:
    # Django sends pre_delete for every row of a cascade before deleting any:
    # each event is built now, while the parent it names (a planning session,
    # a metric) still exists, and written once its row is gone.
    instance.__dict__[_OLD] = _deleted(instance)


def _post_delete(sender, instance, using=None, **kwargs) -> None:
    event = instance.__dict__.pop(_OLD, None) or _deleted(instance)
    event.save(using=using)


# --- Foreign keys set to NULL by a delete ------------------------------------------


def _set_null_receiver(model: type[models.Model], field: models.Field) -> Callable:
    """When the object `field` points at is deleted, the database sets the key
    to NULL in one UPDATE, without signals: record that change per row."""

    def receiver(sender, instance, using=None, **kwargs) -> None:
        rows = model._base_manager.using(using).filter(**{field.attname: instance.pk})
        name = _name(instance)
        who, now = context.current().who(), timezone.now()
        events = []
        for row in rows.iterator(chunk_size=BATCH):
            change = {field.name: [{"id": instance.pk, "label": name}, None]}
            events.append(
                _event(registry.spec_for(model), row, Action.UPDATE, change, who, now)
            )
        AuditEvent.objects.using(using).bulk_create(events, batch_size=BATCH)

    return receiver


# --- Many-to-many fields (a postmortem's incidents, authors, reviewers) -----------


def _m2m_values(field: models.ManyToManyField, owner_ids: Iterable[int]) -> dict:
    through = field.remote_field.through
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    values: dict[int, list] = {pk: [] for pk in owner_ids}
    rows = through._base_manager.filter(**{f"{source}__in": list(values)})
    for row in rows.select_related(target):
        obj = getattr(row, target)
        values[getattr(row, f"{source}_id")].append({"id": obj.pk, "label": _name(obj)})
    return {
        pk: sorted(items, key=lambda item: item["id"]) for pk, items in values.items()
    }


def _m2m_receiver(model: type[models.Model], field: models.ManyToManyField):
    key = f"_audit_m2m_{field.name}"

    def receiver(
        sender, instance, action, reverse, pk_set, using=None, **kwargs
    ) -> None:
        if action.startswith("pre_"):
            if not reverse:
                owners = [instance.pk]
            elif pk_set is not None:
                owners = sorted(pk_set)
            else:  # clearing from the other side: every owner it is linked to
                through = field.remote_field.through
                owners = list(
                    through._base_manager.filter(
                        **{f"{field.m2m_reverse_field_name()}_id": instance.pk}
                    ).values_list(f"{field.m2m_field_name()}_id", flat=True)
                )
            instance.__dict__[key] = (owners, _m2m_values(field, owners))
            return
        owners, before = instance.__dict__.pop(key, ([], {}))
        after = _m2m_values(field, owners)
        changed = [pk for pk in owners if before.get(pk) != after.get(pk)]
        if not changed:
            return
        objects = (
            {instance.pk: instance}
            if not reverse
            else model._base_manager.using(using).in_bulk(changed)
        )
        for pk in changed:
            if pk in objects:
                change = {field.name: [before[pk], after[pk]]}
                _record(objects[pk], Action.UPDATE, change, using)

    return receiver


# --- Bulk inserts ------------------------------------------------------------------


def created_events(instances: Iterable[models.Model]) -> list[AuditEvent]:
    """The creation events (unsaved) of rows inserted in bulk, which send no
    signals: one per row of an audited model. The instances must have their ids."""
    who, now = context.current().who(), timezone.now()
    events = []
    for instance in instances:
        spec = registry.spec_for(type(instance))
        if spec is None:
            continue
        fields = audited_fields(type(instance))
        changes = {name: [None, v] for name, v in _snapshot(instance, fields).items()}
        events.append(_event(spec, instance, Action.CREATE, changes, who, now))
    return events


def record_created(
    instances: Iterable[models.Model], *, batch_size: int = BATCH
) -> int:
    """Record rows inserted with bulk_create (no signals fire for those), in bulk.
    The instances must have their ids (bulk_create sets them on PostgreSQL and
    SQLite). Returns the number of events written."""
    events = created_events(instances)
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


# --- Wiring --------------------------------------------------------------------------


def connect() -> None:
    for spec in registry.AUDITED:
        model = spec.model_class
        uid = f"audit:{model._meta.label_lower}"
        signals.pre_save.connect(_pre_save, sender=model, dispatch_uid=uid)
        signals.post_save.connect(_post_save, sender=model, dispatch_uid=uid)
        signals.pre_delete.connect(_pre_delete, sender=model, dispatch_uid=uid)
        signals.post_delete.connect(_post_delete, sender=model, dispatch_uid=uid)
        for field in audited_fields(model):
            if field.many_to_one and field.remote_field.on_delete is models.SET_NULL:
                signals.pre_delete.connect(
                    _set_null_receiver(model, field),
                    sender=field.related_model,
                    weak=False,
                    dispatch_uid=f"{uid}.{field.name}",
                )
        for field in model._meta.many_to_many:
            signals.m2m_changed.connect(
                _m2m_receiver(model, field),
                sender=field.remote_field.through,
                weak=False,
                dispatch_uid=f"{uid}.{field.name}",
            )


def bulk_create_recorded(
    model: type[models.Model], rows: list, *, batch_size: int = BATCH
) -> list:
    """`bulk_create` the rows and record the audited ones (bulk_create sends no
    signals), both in batches: for seeders and other bulk writers."""
    made = model.objects.bulk_create(rows, batch_size=batch_size)
    record_created(made, batch_size=batch_size)
    return made
