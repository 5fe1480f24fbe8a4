"""SLA breaches: a failing check opens the SLA's incident, a passing one may
resolve it. The incidents app owns this reaction: sla_check_submit records the
check through the products' service, then keeps the incident in step."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.accounts.models import User
from tracker.incidents.models import (
    ACTIVE_STATUSES,
    Incident,
    Kind,
    Severity,
    Source,
    Status,
)
from tracker.incidents.services.incidents import _set_status, incident_open
from tracker.products.models import MeasurementSource, RiskTier, ServiceLevel, SLACheck
from tracker.products.services import sla_check_record


def _breach_severity(sla: ServiceLevel) -> str:
    risky = sla.product.risk_tier in (RiskTier.HIGH, RiskTier.CRITICAL)
    return Severity.SEV2 if risky else Severity.SEV3


@transaction.atomic
def sla_check_submit(
    *,
    sla: ServiceLevel,
    value: float,
    checked_at: datetime,
    actor: User | None,
    source: str = MeasurementSource.UI,
) -> SLACheck:
    """Record a check of the SLA (pages, API, CI tokens, seeders): a breach opens
    the SLA's incident, a pass may resolve it (sla_breach_sync)."""
    check = sla_check_record(
        sla=sla, value=value, checked_at=checked_at, actor=actor, source=source
    )
    sla_breach_sync(check=check)
    return check


@transaction.atomic
def sla_breach_sync(*, check: SLACheck) -> Incident | None:
    """Keep the SLA's breach incident in step with its newest check.

    A failed check opens the SLA's incident (one unresolved per SLA, a DB
    constraint); a passing one resolves it when the SLA auto-resolves. A check
    older than one already recorded (a backfill) changes nothing: incidents
    follow the SLA's current state.
    """
    sla = check.sla
    if SLACheck.objects.filter(sla=sla, checked_at__gt=check.checked_at).exists():
        return None
    if not check.passed:
        return _sla_breach_open(sla, check)
    if not sla.auto_resolve:
        return None
    incident = (
        Incident.objects.select_for_update()
        .filter(sla=sla, status__in=ACTIVE_STATUSES)
        .first()
    )
    if incident is not None:
        _set_status(
            incident,
            Status.RESOLVED,
            actor=check.recorded_by,
            source=Source.SLA,
            at=min(check.checked_at, timezone.now()),
            recorded_at=timezone.now(),
            note=f"Check passed: {check.value:g} ({sla.threshold_label}).",
        )
    return incident


def _sla_breach_open(sla: ServiceLevel, check: SLACheck) -> Incident:
    existing = Incident.objects.filter(sla=sla, status__in=ACTIVE_STATUSES).first()
    if existing is not None:
        return existing
    data = {
        "product": sla.product,
        "sla": sla,
        "title": f"{sla.name} breached: {check.value:g} (SLA {sla.threshold_label})",
        "kind": Kind.SLA_BREACH,
        "severity": _breach_severity(sla),
        "fingerprint": f"sla-{sla.pk}",
        "labels": {"sla": sla.name, "indicator": sla.indicator},
        "started_at": check.checked_at,
    }
    try:
        with transaction.atomic():
            return incident_open(actor=check.recorded_by, data=data, source=Source.SLA)
    except IntegrityError:
        # Another check of this SLA opened it at the same moment.
        return Incident.objects.get(sla=sla, status__in=ACTIVE_STATUSES)
