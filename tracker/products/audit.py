"""The products' part of the audit trail (tracker.audit.registry): products,
metrics, measurements, SLAs, survey rows, rollout steps and experiments are
governed; planning sessions are
named when an action item points at one."""

from datetime import UTC

from tracker.audit.registry import Audited, names, register
from tracker.products.models import Measurement


def _measurement(m: Measurement) -> str:
    """ "350 at 2026-06-01 09:00" (UTC)."""
    at = m.measured_at
    when = f" at {at.astimezone(UTC).isoformat(' ', 'minutes')[:16]}" if at else ""
    value = f"{m.value:g}" if isinstance(m.value, float | int) else str(m.value)
    return f"{value}{when}"


register(
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
    Audited("products.RolloutStep", "rollout_step", lambda s: s.label),
    Audited("products.Experiment", "experiment", lambda e: e.name),
)
names("products.PlanningSession", lambda s: s.title)
