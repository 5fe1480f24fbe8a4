"""Writes for CI status. The API's POST /products/{slug}/ci-status/ calls
ci_status_report; nothing else changes these models."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.accounts.models import ApiToken, User
from tracker.ci.models import CIStatus, CIStatusEvent, State, metric_segments
from tracker.ci.signals import stage_finished
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
FINISHED = {State.SUCCESS, State.FAILURE, State.ERROR}
# The foreign keys are objects the caller already holds: checking that they
# exist would cost a query each on the API's busiest write path.
_TRUSTED = ["product", "reported_by", "token"]


def metrics_segments_check(
    *, product: Product, metrics: dict[str, Any], field: str = "metrics"
) -> None:
    """The segments `metrics` name ("auc[merchant_size=small]") are declared by
    `product`; a ValidationError naming `field` otherwise."""
    named = metric_segments(metrics)
    if not named:
        return
    declared = set(product.segments.values_list("name", flat=True))
    unknown = sorted(named - declared)
    if unknown:
        raise ValidationError(
            {
                field: f"Unknown segment {', '.join(unknown)}; declared: "
                f"{', '.join(sorted(declared))}."
                if declared
                else "This product declares no segments."
            }
        )


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
    `pending`. A report that changes nothing writes nothing (the history records
    changes). A report that finishes the stage sends signals.stage_finished.

    Safe under concurrent reports: the stage's row is locked before it is read,
    and the time is read once the lock is held, so history order (recorded_at,
    id) is the order applied. Two first reports at once: one INSERT loses on the
    unique constraint, and that report is applied again, over the winner's row.
    """
    given = {field: data[field] for field in REPORT_FIELDS if field in data}
    given.update(reported_by=actor, token=token)
    now = timezone.now()
    first = {**given, "created_at": now, "updated_at": now}
    _validate(CIStatus(product=product, sha=sha, context=context, **first))
    if given.get("metrics"):  # valid names: now their segments are the product's
        metrics_segments_check(product=product, metrics=given["metrics"])
    try:
        return _report(product, sha, context, given, first)
    except _LostRace:  # the row the concurrent report inserted is there to lock
        return _report(product, sha, context, given, first)


class _LostRace(Exception):
    """A first report's INSERT lost to a concurrent one's."""


def _report(
    product: Product, sha: str, context: str, given: dict, first: dict
) -> tuple[CIStatus, bool]:
    # One transaction and no savepoint: a first report whose INSERT loses to a
    # concurrent one is rolled back whole and applied again by the caller.
    with transaction.atomic():
        status = (
            CIStatus.objects.select_for_update()
            .filter(product=product, sha=sha, context=context)
            .first()
        )
        created = status is None
        if created:
            try:
                status = CIStatus.objects.create(
                    product=product, sha=sha, context=context, **first
                )
            except IntegrityError as exc:  # rolls the transaction back whole
                raise _LostRace from exc
        else:
            changed = [f for f, value in given.items() if _differs(status, f, value)]
            # The objects the caller holds: showing them costs no query.
            status.product = product
            for field, value in given.items():
                setattr(status, field, value)
            if not changed:
                return status, False  # a repeat: nothing to record
            # Never backwards, whatever the clocks of the processes reporting.
            status.updated_at = max(timezone.now(), status.updated_at)
            # The report's fields passed alone; now with those kept from
            # earlier reports (completing before an earlier start).
            status.clean()
            status.save(update_fields=[*changed, "updated_at"])
        CIStatusEvent.objects.create(
            status=status,
            recorded_at=status.updated_at,
            **{field: getattr(status, field) for field in [*REPORT_FIELDS, *_BY]},
        )
        if status.state in FINISHED:
            stage_finished.send(
                sender=CIStatus,
                product=product,
                context=context,
                state=status.state,
                status=status,
            )
    return status, created


_BY = ["reported_by", "token"]


def _differs(status: CIStatus, field: str, value: Any) -> bool:
    if field in _BY:  # by key: reading the stored object would cost a query
        return getattr(status, f"{field}_id") != (value.pk if value else None)
    return getattr(status, field) != value


def _validate(status: CIStatus) -> None:
    # Uniqueness is the database's job (the unique constraint, get_or_create).
    status.full_clean(
        exclude=_TRUSTED, validate_unique=False, validate_constraints=False
    )
