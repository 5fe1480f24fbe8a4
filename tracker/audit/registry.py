"""What the audit trail records: the governed models, how each is named, which
product and parent it belongs to, and which fields are bookkeeping.

The apps that own the models fill it: each has an `audit.py` that calls
register() (and names() for models it does not audit but others point at),
loaded by the audit app's ready() like admin.py, before the recorder connects
its signals. The audit app itself knows no domain model.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.utils.text import capfirst

from tracker.audit.context import person_label


@dataclass(frozen=True)
class Audited:
    """One governed model.

    `describe` names an object from its own fields only (never through a
    relation, which would cost a query per row in a cascade of deletes).
    `product` is the foreign key to its product, if it has one; otherwise the
    product is its first set `parents` foreign key's product (none when that
    parent has no product: a team's connections and memberships belong to the
    team). With neither, the model is the product itself (its `slug` names it in
    the trail).
    """

    model: str
    kind: str
    describe: Callable[[models.Model], str]
    product: str | None = "product"
    parents: tuple[str, ...] = ()
    # Fields maintained by the system, whose changes are no one's decision:
    # recording them would bury the real changes (a measurement moves a
    # metric's next_due_at; every postmortem edit refreshes its search vector).
    ignore: frozenset[str] = frozenset()
    # Credentials: that one was set, changed or removed is recorded, never its
    # value (the trail cannot be edited, so a secret in it could never be taken
    # back).
    secret: frozenset[str] = frozenset()

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def label(self) -> str:
        """The model's name as people read it ("success metric", "SLA")."""
        return str(self.model_class._meta.verbose_name)


# In registration order: the apps' order in INSTALLED_APPS, then each audit.py's.
AUDITED: list[Audited] = []
_BY_LABEL: dict[str, Audited] = {}
_BY_KIND: dict[str, Audited] = {}
# How objects of other models are named when a governed object points at them.
_NAMES: dict[str, Callable[[models.Model], str]] = {
    "accounts.user": person_label,
}


def register(*specs: Audited) -> None:
    """Audit these models (called from the owning app's audit.py)."""
    for spec in specs:
        label = spec.model.lower()
        if label in _BY_LABEL or spec.kind in _BY_KIND:
            raise ValueError(f"{spec.model} ({spec.kind}) is already audited.")
        AUDITED.append(spec)
        _BY_LABEL[label] = spec
        _BY_KIND[spec.kind] = spec


def names(model: str, describe: Callable[[models.Model], str]) -> None:
    """Name objects of `model` ("app_label.Model"), not audited itself, by
    `describe` when a governed object points at them."""
    _NAMES[model.lower()] = describe


def by_label() -> dict[str, Audited]:
    """Audited models by "app_label.modelname" (AuditEvent.object_type)."""
    return _BY_LABEL


def by_kind() -> dict[str, Audited]:
    return _BY_KIND


def spec_for(model: type[models.Model]) -> Audited | None:
    return _BY_LABEL.get(model._meta.label_lower)


def kind_choices() -> list[tuple[str, str]]:
    """For the history filters: ("metric", "Success metrics"), …"""
    return [
        (spec.kind, capfirst(str(spec.model_class._meta.verbose_name_plural)))
        for spec in AUDITED
    ]


def name_of(obj: models.Model) -> str:
    """A short name for `obj`, from its own fields where we know how."""
    label = obj._meta.label_lower
    spec = _BY_LABEL.get(label)
    if spec is not None:
        return spec.describe(obj)
    return _NAMES.get(label, str)(obj)
