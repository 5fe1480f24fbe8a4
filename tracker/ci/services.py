"""Writes for CI status. The API's POST /products/{slug}/ci-status/ calls
ci_status_report; nothing else changes these models."""

import functools
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from tracker.accounts.models import ApiToken, User
from tracker.ci.models import COMPLETED_BEFORE_STARTED, CIStatus, CIStatusEvent, State
from tracker.products.models import Product
from tracker.readiness.services import ml_tests_ci_changed, ml_tests_mapped_sql

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
    `pending`. Safe under concurrent reports.

    On PostgreSQL this is one statement (INSERT … ON CONFLICT DO UPDATE, with
    the history row written by the same statement, which also says whether an
    ML Test Score test is mapped to the stage): one round trip and no lock held
    across round trips, which is what lets CI post at full speed. Other
    databases (SQLite in development) take the portable path: lock, write,
    retry after a lost INSERT race.
    """
    report = CIStatus(
        product=product,
        sha=sha,
        context=context,
        reported_by=actor,
        token=token,
        **{field: data[field] for field in REPORT_FIELDS if field in data},
    )
    given = [field for field in REPORT_FIELDS if field in data]
    mapped = None  # whether an ML Test Score test is mapped to this stage
    if connection.vendor == "postgresql":
        status, created, mapped = _report_upsert(report, given)
    else:
        status, created = ci_status_report_locked(report, given)
    if status.state in FINISHED:
        # A finished stage may (un)automate ML Test Score tests mapped to it.
        ml_tests_ci_changed(product=product, context=context, mapped=mapped)
    return status, created


def _validate(status: CIStatus) -> None:
    # Uniqueness is the database's job here (ON CONFLICT, or the retry).
    status.full_clean(
        exclude=_TRUSTED, validate_unique=False, validate_constraints=False
    )


def ci_status_report_locked(
    report: CIStatus, given: list[str]
) -> tuple[CIStatus, bool]:
    """The portable path: select the row for update (or insert it) and append
    the history row, retrying when a concurrent first report won the INSERT."""
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic():
                return _report_locked(report, given)
        except IntegrityError:
            if attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _report_locked(report: CIStatus, given: list[str]) -> tuple[CIStatus, bool]:
    status = (
        CIStatus.objects.select_for_update()
        .filter(product=report.product, sha=report.sha, context=report.context)
        .first()
    )
    now = timezone.now()  # read once the lock is held: history stays in order
    created = status is None
    if created:
        status = CIStatus(
            product=report.product, sha=report.sha, context=report.context
        )
        status.created_at = now
    for field in [*given, "reported_by", "token"]:
        setattr(status, field, getattr(report, field))
    status.updated_at = now
    _validate(status)
    status.save(force_insert=created)
    CIStatusEvent.objects.create(
        status=status,
        recorded_at=now,
        reported_by=status.reported_by,
        token=status.token,
        **{field: getattr(status, field) for field in REPORT_FIELDS},
    )
    return status, created


def _report_upsert(report: CIStatus, given: list[str]) -> tuple[CIStatus, bool, bool]:
    # The connection itself, looked up once: each `connection.x` is a lookup.
    db = connections[DEFAULT_DB_ALIAS]
    report.created_at = report.updated_at = timezone.now()
    _validate(report)
    fields = _columns(CIStatus)
    params = [f.get_db_prep_save(getattr(report, f.attname), db) for f in fields]
    # One statement is atomic on its own; inside a caller's transaction a
    # savepoint keeps a refused report from aborting that transaction.
    guard = transaction.atomic() if db.in_atomic_block else nullcontext()
    try:
        with guard, _prepared_cursor(db) as cursor:
            cursor.execute(_upsert_statement(tuple(given)), params)
            row = cursor.fetchone()
    except IntegrityError as exc:
        # A report can be valid alone yet not with the fields it keeps from
        # earlier reports (completing before an earlier `started_at`).
        if _constraint_of(exc) == "cistatus_completed_after_started":
            raise ValidationError({"completed_at": COMPLETED_BEFORE_STARTED}) from exc
        raise
    values = [
        f.from_db_value(value, None, db) if hasattr(f, "from_db_value") else value
        for f, value in zip(fields, row[1:-2], strict=True)
    ]
    columns = ["id", *(f.attname for f in fields)]
    status = CIStatus.from_db(db.alias, columns, [row[0], *values])
    # The statement set these to the report's: no query to show them.
    status.product, status.reported_by, status.token = (
        report.product,
        report.reported_by,
        report.token,
    )
    return status, row[-2], row[-1]


class _PreparingCursor(ServerBindingCursor):
    """Binds parameters server-side and prepares each statement the first time a
    connection runs it: PostgreSQL then no longer parses and plans the upsert
    for every report, about as much work as running it. (Nothing is prepared
    when settings turn prepared statements off: DATABASE_PREPARED_STATEMENTS.)"""

    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True, **kwargs)


def _prepared_cursor(db: BaseDatabaseWrapper) -> CursorWrapper:
    """db.cursor(), but a _PreparingCursor inside Django's wrapper (which runs
    execute_wrappers and maps database errors). While queries are logged (DEBUG,
    tests counting queries) the statement is not prepared: psycopg does not
    record a prepared statement's text, which the log needs."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    if db.queries_logged:
        return db.make_debug_cursor(ServerBindingCursor(db.connection))
    return db.make_cursor(_PreparingCursor(db.connection))


@functools.cache
def _columns(model) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _upsert_statement(given: tuple[str, ...]) -> str:
    """INSERT the report or UPDATE the given fields of the existing row, and
    copy the resulting row into the history, in one PostgreSQL statement.
    (Built once per combination of given fields.)

    `xmax = 0` holds only for a row this statement inserted: that is `created`.
    The last column says whether an ML Test Score test is mapped to the stage.
    """
    table = CIStatus._meta.db_table
    fields = _columns(CIStatus)
    names = ", ".join(f'"{f.column}"' for f in fields)
    updated = [CIStatus._meta.get_field(f).column for f in given]
    updated += ["reported_by_id", "token_id"]
    sets = ", ".join(f'"{column}" = EXCLUDED."{column}"' for column in updated)
    # A report that waited for a concurrent one is applied after it even if its
    # clock read earlier: updated_at (and the history's recorded_at) never go
    # backwards, so history order (recorded_at, id) is the order applied.
    sets += f', "updated_at" = GREATEST(EXCLUDED."updated_at", {table}."updated_at")'
    from_status = {"status_id": "id", "recorded_at": "updated_at"}
    history = _columns(CIStatusEvent)
    history_names = ", ".join(f'"{f.column}"' for f in history)
    history_values = ", ".join(
        f'"{from_status.get(f.column, f.column)}"' for f in history
    )
    placeholders = ", ".join(["%s"] * len(fields))
    mapped = ml_tests_mapped_sql(
        product_id='current."product_id"', context='current."context"'
    )
    return (
        f"WITH current AS (INSERT INTO {table} ({names}) VALUES ({placeholders}) "
        f'ON CONFLICT ("product_id", "sha", "context") DO UPDATE SET {sets} '
        "RETURNING *, (xmax = 0) AS inserted), "
        f"history AS (INSERT INTO {CIStatusEvent._meta.db_table} ({history_names}) "
        f"SELECT {history_values} FROM current) "
        f'SELECT "id", {names}, inserted, {mapped} FROM current'
    )


def _constraint_of(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reports as violated."""
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
