"""What the audit trail records: the governed models, how each is named, which
product and parent it belongs to, and which fields are bookkeeping."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from django.apps import apps
from django.db import models
from django.utils.text import Truncator, capfirst


@dataclass(frozen=True)
class Audited:
    """One governed model.

    `describe` names an object from its own fields only (never through a
    relation, which would cost a query per row in a cascade of deletes).
    `product` is the foreign key to its product, if it has one; otherwise the
    product is its first set `parents` foreign key's product.
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

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def label(self) -> str:
        """The model's name as people read it ("success metric", "SLA")."""
        return str(self.model_class._meta.verbose_name)


def _measurement(m) -> str:
    """ "350 at 2026-06-01 09:00" (UTC)."""
    at = m.measured_at
    when = f" at {at.astimezone(UTC).isoformat(' ', 'minutes')[:16]}" if at else ""
    value = f"{m.value:g}" if isinstance(m.value, float | int) else str(m.value)
    return f"{value}{when}"


AUDITED = [
    Audited("products.Product", "product", lambda p: p.name, product=None),
    Audited(
        "products.SuccessMetric",
        "metric",
        lambda m: m.name,
        ignore=frozenset({"next_due_at"}),
    ),
    Audited("products.Measurement", "measurement", _measurement, None, ("metric",)),
    Audited("products.ServiceLevel", "sla", lambda s: s.name),
    Audited("products.FeatureSource", "survey", lambda f: f.feature),
    Audited("incidents.Incident", "incident", lambda i: f"#{i.pk} {i.title}"),
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
]

# How objects of other models are named when a governed object points at them.
_NAMES: dict[str, Callable[[models.Model], str]] = {
    "products.planningsession": lambda s: s.title,
}


@cache
def by_label() -> dict[str, Audited]:
    """Audited models by "app_label.modelname" (AuditEvent.object_type)."""
    return {spec.model_class._meta.label_lower: spec for spec in AUDITED}


@cache
def by_kind() -> dict[str, Audited]:
    return {spec.kind: spec for spec in AUDITED}


def spec_for(model: type[models.Model]) -> Audited | None:
    return by_label().get(model._meta.label_lower)


def kind_choices() -> list[tuple[str, str]]:
    """For the history filters: ("metric", "Success metrics"), …"""
    return [
        (spec.kind, capfirst(str(spec.model_class._meta.verbose_name_plural)))
        for spec in AUDITED
    ]


def name_of(obj: models.Model) -> str:
    """A short name for `obj`, from its own fields where we know how."""
    label = obj._meta.label_lower
    spec = by_label().get(label)
    if spec is not None:
        return spec.describe(obj)
    if label == "accounts.user":
        from tracker.audit.context import person_label

        return person_label(obj)
    return _NAMES.get(label, str)(obj)
