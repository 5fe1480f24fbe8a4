"""Bulk inserts for the scale data: services would take minutes at this size.

On PostgreSQL the rows are written with COPY (ten thousand products are over a
million rows, which INSERT statements send several times slower): their ids are
taken from the table's sequence first, so that the instances know them as after
bulk_create. Elsewhere (SQLite) with bulk_create. Either way no signals fire, and
the audited rows (products, metrics, measurements, SLAs, survey rows, incidents,
postmortems, action items) get the same creation events as record_created
writes, in bulk too.
"""

from enum import Enum

from django.db import connection, connections, models

from tracker.audit.models import AuditEvent
from tracker.audit.recorder import bulk_create_recorded, created_events

BATCH = 2000  # rows per INSERT (bulk_create)
CHUNK = 20_000  # rows per COPY, and per batch of their audit events


def bulk_insert(model: type[models.Model], rows: list) -> list:
    if connection.vendor != "postgresql":
        return bulk_create_recorded(model, rows, batch_size=BATCH)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        copy_rows(model, chunk, with_ids=True)
        copy_rows(AuditEvent, created_events(chunk), with_ids=False)
    return rows


def copy_rows(model: type[models.Model], objs: list, *, with_ids: bool) -> None:
    """COPY the unsaved instances into the model's table, with the values
    bulk_create would send (auto_now stamps, foreign keys of related objects
    saved since). with_ids: reserve their ids first and set them on the
    instances; otherwise the table's default numbers them."""
    if not objs:
        return
    opts = model._meta
    fields = [
        f
        for f in opts.concrete_fields
        if not f.generated and (with_ids or not f.primary_key)
    ]
    db = connections[connection.alias]  # not the proxy: read for every value
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = [_converter(f, db) for f in fields]
    with db.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                "FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        sql = f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for obj in objs:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                copy.write_row([value(obj) for value in values])
    for obj in objs:
        obj._state.adding, obj._state.db = False, db.alias


def _converter(field: models.Field, db):
    """obj → the field's value as bulk_create sends it (choices as their value)."""
    pre_save, prep = field.pre_save, field.get_db_prep_save

    def value(obj):
        found = prep(pre_save(obj, True), db)
        return found.value if isinstance(found, Enum) else found

    return value
