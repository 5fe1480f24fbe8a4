"""Writes for CI status. The API's POST /products/{slug}/ci-status/ calls
ci_status_report; nothing else changes these models."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.accounts.models import ApiToken, User
from tracker.ci.models import CIStatus, CIStatusEvent
from tracker.products.models import Product

REPORT_FIELDS = [
    "state",
    "ref",
    "target_url",
    "description",
    "run_id",
    "model_version",
    "started_at",
    "completed_at",
    "metrics",
]
# A concurrent first report for the same stage makes our INSERT fail once; the
# retry finds and locks that row. More than a couple of retries means a bug.
_RETRIES = 3


def ci_status_report(
    *,
    product: Product,
    sha: str,
    context: str,
    data: dict[str, Any],
    actor: User | None,
    token: ApiToken | None,
) -> tuple[CIStatus, bool]:
    """Record a report for (product, sha, context): create the current row or
    update it, and append the result to the history. Returns (status, created).

    Fields the report leaves out keep their previous value, so a final
    `success` need not repeat the `started_at` or `target_url` sent with
    `pending`. Safe under concurrent reports (row lock, or retry after a lost
    INSERT race on the unique constraint).
    """
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                return _report(product, sha, context, data, actor, token)
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _report(product, sha, context, data, actor, token) -> tuple[CIStatus, bool]:
    now = timezone.now()
    status = (
        CIStatus.objects.select_for_update()
        .filter(product=product, sha=sha, context=context)
        .first()
    )
    created = status is None
    if created:
        status = CIStatus(product=product, sha=sha, context=context, created_at=now)
    for field in REPORT_FIELDS:
        if field in data:
            setattr(status, field, data[field])
    status.updated_at = now
    status.reported_by = actor
    status.token = token
    # Uniqueness is the database's job here (see the retry above).
    status.full_clean(validate_unique=False, validate_constraints=False)
    status.save(force_insert=created)
    CIStatusEvent.objects.create(
        status=status,
        recorded_at=now,
        reported_by=actor,
        token=token,
        **{field: getattr(status, field) for field in REPORT_FIELDS},
    )
    return status, created
