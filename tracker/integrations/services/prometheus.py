"""SLAs measured from Prometheus: an SLA's indicator read with a PromQL
instant query on its team's Prometheus, on the SLA's interval.

Each run is an `SLAEvaluation`. A value is recorded as an SLA check through
the incidents' sla_check_submit, so a breach opens (and a pass resolves) the
SLA's incident exactly as a pushed check does. A query that fails, or returns
no series, is a failed evaluation with the reason: never a silent gap. After
SLAQuery.NOT_MEASURED_AFTER failures in a row the SLA shows "not measured".
"""

import math
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker.incidents.services.sla import sla_check_submit
from tracker.integrations import outside
from tracker.integrations.models import (
    Connection,
    ConnectionKind,
    SLAEvaluation,
    SLAQuery,
)
from tracker.integrations.services.connections import connection_failed, connection_ok
from tracker.products.models import MeasurementSource, Product, ServiceLevel
from tracker.products.services import sla_create

QUERY_FIELDS = ["query", "interval_seconds"]


# --- Setting an SLA up -------------------------------------------------------------


@transaction.atomic
def sla_create_measured(*, product: Product, data: dict[str, Any]) -> ServiceLevel:
    """An SLA, measured from Prometheus when `data["source"]` says so (then
    `query` and `integration`, a Prometheus connection of the product's team,
    are required)."""
    extra = {k: data.pop(k) for k in ("source", "query", "integration") if k in data}
    interval = data.pop("interval_seconds", 300)
    sla = sla_create(product=product, data=data)
    if extra.get("source") == "prometheus":
        sla_query_set(
            sla=sla,
            connection=extra.get("integration"),
            query=extra.get("query", ""),
            interval_seconds=interval,
        )
    return sla


def sla_query_set(
    *,
    sla: ServiceLevel,
    connection: Connection | None,
    query: str,
    interval_seconds: int = 300,
) -> SLAQuery:
    """Measure `sla` with `query` on `connection`, first evaluated now."""
    errors = {}
    if not query.strip():
        errors["query"] = "A Prometheus SLA needs a PromQL query."
    if connection is None:
        errors["integration"] = "A Prometheus SLA needs a Prometheus integration."
    elif (
        connection.kind != ConnectionKind.PROMETHEUS
        or connection.team_id != sla.product.team_id
    ):
        errors["integration"] = "Choose a Prometheus connection of the product's team."
    if errors:
        raise ValidationError(errors)
    sla_query, _ = SLAQuery.objects.update_or_create(
        sla=sla,
        defaults={
            "connection": connection,
            "query": query.strip(),
            "interval_seconds": interval_seconds,
            "next_run_at": timezone.now(),
            "failures_in_a_row": 0,
        },
    )
    sla_query.full_clean()
    return sla_query


# --- Evaluating ---------------------------------------------------------------------


def sla_queries_due(*, now: datetime, limit: int = 1000) -> list[int]:
    rows = SLAQuery.objects.filter(next_run_at__lte=now).order_by("next_run_at")
    return list(rows.values_list("pk", flat=True)[:limit])


def sla_query_evaluate(
    *, sla_query_id: int, force: bool = False
) -> SLAEvaluation | None:
    """Run one SLA's query once, if due (or `force`), claiming the run with a
    conditional UPDATE so two workers never evaluate the same interval."""
    now = timezone.now()
    rows = SLAQuery.objects.select_related("connection", "sla__product")
    sla_query = rows.filter(pk=sla_query_id).first()
    if sla_query is None:
        return None
    due = SLAQuery.objects.filter(pk=sla_query_id)
    if not force:
        # The first worker to move next_run_at on wins; the others see 0 rows.
        due = due.filter(next_run_at__lte=now)
    interval = timedelta(seconds=sla_query.interval_seconds)
    if not due.update(next_run_at=now + interval):
        return None
    try:
        value = prometheus_query(connection=sla_query.connection, query=sla_query.query)
    except outside.OutsideError as exc:
        return _failed(sla_query, now, str(exc))
    connection_ok(connection=sla_query.connection)
    with transaction.atomic():
        sla_check_submit(
            sla=sla_query.sla,
            value=value,
            checked_at=now,
            actor=None,
            source=MeasurementSource.PROMETHEUS,
        )
        SLAQuery.objects.filter(pk=sla_query.pk).update(failures_in_a_row=0)
        return SLAEvaluation.objects.create(sla_query=sla_query, at=now, value=value)


def _failed(sla_query: SLAQuery, now: datetime, error: str) -> SLAEvaluation:
    connection_failed(connection=sla_query.connection, error=error)
    SLAQuery.objects.filter(pk=sla_query.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    return SLAEvaluation.objects.create(sla_query=sla_query, at=now, error=error[:500])


def prometheus_query(*, connection: Connection, query: str) -> float:
    """The value of an instant query returning one series (or a scalar).
    OutsideError when Prometheus cannot be reached, refuses the query, or the
    answer has no series, several, or no number."""
    headers = {"Accept": "application/json"}
    if connection.token:
        headers["Authorization"] = f"Bearer {connection.token}"
    answer = outside.call(
        "GET",
        f"{connection.base_url}/api/v1/query",
        headers=headers,
        params={"query": query},
        ok=(200,),
    )
    return _value(answer.json())


def _value(document: Any) -> float:
    """The number in Prometheus' answer: {"status": "success", "data":
    {"resultType": "vector", "result": [{"metric": {…}, "value": [t, "99.2"]}]}}."""
    try:
        data = document["data"]
        kind, result = data["resultType"], data["result"]
    except (KeyError, TypeError):
        raise outside.OutsideError("Not a Prometheus query answer.") from None
    if kind == "scalar":
        sample = result
    elif kind == "vector":
        if not result:
            raise outside.OutsideError("The query returned no series.")
        if len(result) > 1:
            raise outside.OutsideError(
                f"The query returned {len(result)} series; it must return one "
                "(aggregate it, e.g. with sum or max)."
            )
        sample = result[0]["value"]
    else:
        raise outside.OutsideError(f"The query returned a {kind}, not one value.")
    try:
        value = float(sample[1])
    except (TypeError, ValueError, IndexError):
        raise outside.OutsideError("The query's value is not a number.") from None
    if not math.isfinite(value):
        raise outside.OutsideError(f"The query's value is {sample[1]}.")
    return value
