"""Building blocks of the apps' service modules: validated create and update. No
domain app here; the audit trail sees these writes through model signals."""

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def model_update(
    *, instance: M, fields: Iterable[str], data: Mapping[str, Any]
) -> list[str]:
    """Copy the given `fields` present in `data` onto `instance`, validate and save.

    Returns the names of the fields that changed (empty: nothing was written).
    Validation runs model and constraint checks, so API and form paths share them.
    """
    changed = []
    for field in fields:
        if field in data and getattr(instance, field) != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    if changed:
        instance.full_clean()
        update_fields = list(changed)
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
        instance.save(update_fields=update_fields)
    return changed


def model_create(model: type[M], **values: Any) -> M:
    """Build, validate (fields and constraints) and insert one row."""
    instance = model(**values)
    instance.full_clean()
    instance.save()
    return instance
