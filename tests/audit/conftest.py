"""Helpers for the audit-trail tests: the events recorded about an object, and a
context acting as a persona."""

from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models import signals
from django.test.utils import CaptureQueriesContext

# The API personas' clients and a CI token for alice's product.
from tracker.audit import recorder, registry
from tracker.audit.context import acting
from tracker.audit.models import AuditEvent
from tracker.incidents.services.incidents import incident_open
from tracker.postmortems.services.writeup import postmortem_create


def events_of(obj, **filters) -> list[AuditEvent]:
    """The events of `obj`, oldest first."""
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=obj.pk, **filters
        ).order_by("id")
    )


def last_event(obj) -> AuditEvent:
    found = events_of(obj)
    assert found, f"nothing recorded for {obj!r}"
    return found[-1]


@pytest.fixture
def as_alice(alice):
    """Writes in the test are alice's, through the web (as a page would)."""
    with acting(actor=alice, via="web"):
        yield alice


@contextmanager
def audit_off():
    """The recorder's save and delete receivers disconnected, to measure what
    auditing adds to a write."""
    pairs = [
        (signal, spec.model_class, f"audit:{spec.model_class._meta.label_lower}")
        for spec in registry.AUDITED
        for signal in (
            signals.pre_save,
            signals.post_save,
            signals.pre_delete,
            signals.post_delete,
        )
    ]
    for signal, model, uid in pairs:
        assert signal.disconnect(sender=model, dispatch_uid=uid)
    try:
        yield
    finally:
        recorder.connect()


def queries_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def audit_cost(first, second) -> int:
    """How many queries auditing adds to a write: `first()` runs unaudited,
    `second()` (the same write on another object) audited, and must write
    exactly one audit event."""
    with audit_off():
        plain = queries_of(first)
    audited = queries_of(second)
    inserts = [q for q in audited if q.startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1, audited
    return len(audited) - len(plain)


def drift_postmortem(product, actor):
    """An incident on `product` and a draft postmortem covering it."""
    incident = incident_open(actor=actor, data={"product": product, "title": "Drift"})
    postmortem = postmortem_create(
        product=product, actor=actor, data={"title": "Drift", "incidents": [incident]}
    )
    return incident, postmortem
