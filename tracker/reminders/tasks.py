"""Celery tasks: thin wrappers that take ids and call one service.

Beat (tracker/celery.py) runs the sweep, the dispatch and the daily digests
(the weekly leadership digest's tasks are in tracker/reports/tasks.py). Tasks are
acknowledged late and rejected when a worker dies (settings), so a lost task is
redelivered; the claims (services/outbox.py) keep redelivery from sending twice.
"""

import logging
import smtplib
from collections.abc import Iterable

from celery import Task, shared_task

from tracker.reminders.services import delivery, digests, sweep

logger = logging.getLogger(__name__)

# Mail failures worth retrying: the SMTP server or the network, not our bugs.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
RETRY = {
    "autoretry_for": MAIL_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 4,
}


def enqueue_each(task: Task, ids: Iterable[int]) -> int:
    """Queue one task per id. A failure to queue (or, when tasks run eagerly, a
    send that failed for good) is logged and skipped: the row stays in the
    outbox and the next dispatch after the lease picks it up again."""
    queued = 0
    for pk in ids:
        try:
            task.delay(pk)
            queued += 1
        except Exception:
            logger.exception("Could not run %s for %s", task.name, pk)
    return queued


@shared_task
def reminders_sweep(rules: list[str] | None = None) -> dict[str, int]:
    """Record every due reminder (of the named rules only, when given: an
    incident opening queues its own rule's), then deliver the mail that may
    go out now."""
    recorded = sweep.reminders_record_due(rules=rules)
    reminders_dispatch.delay()
    return recorded


@shared_task
def reminders_dispatch() -> int:
    return enqueue_each(reminder_send, delivery.reminders_dispatch())


@shared_task(**RETRY)
def reminder_send(reminder_id: int) -> bool:
    return delivery.reminder_send(reminder_id=reminder_id)


@shared_task
def digests_send_due() -> int:
    return enqueue_each(digest_send, digests.digests_prepare())


@shared_task(**RETRY)
def digest_send(digest_id: int) -> bool:
    return digests.digest_send(digest_id=digest_id)
