"""Bulk inserts for the scale data: services would take minutes at this size."""

from tracker.audit.recorder import bulk_create_recorded

BATCH = 2000


def bulk_insert(model, rows: list) -> list:
    # bulk_create sends no signals: audited rows (products, incidents,
    # postmortems, action items) are recorded in bulk too.
    return bulk_create_recorded(model, rows, batch_size=BATCH)
