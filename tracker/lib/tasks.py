"""Queueing Celery work from a request without depending on the broker.

Anything queued through here is a fast path only: a periodic task (beat) must
find the same work again from rows in the database, so a message that could
not be queued makes the work late, never lost. When Redis is down or hung,
`enqueue` gives up after one connection attempt (bounded by the socket timeouts
in CELERY_BROKER_TRANSPORT_OPTIONS), logs a warning and returns False; for
PAUSE_SECONDS after such a failure it does not try at all, so the requests of
an outage do not each wait on the broker.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)

PAUSE_SECONDS = 30.0
# One attempt: by default kombu retries a publish up to 100 times.
ONE_ATTEMPT = {"max_retries": 0}
_paused_until = 0.0


def enqueue(task: Task, *args: Any, **kwargs: Any) -> bool:
    """Queue `task`; False (and a warning) when it could not be queued now."""
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        task.apply_async(args, kwargs, retry=True, retry_policy=ONE_ATTEMPT)
    except BrokerUnavailable:
        _paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning(
            "Broker unreachable: %s is left to the periodic sweep", task.name
        )
        return False
    except Exception:  # run eagerly (no broker configured), the task failed
        logger.exception("%s failed; the periodic sweep will retry it", task.name)
        return False
    return True


def broker_pause_end() -> None:
    """Try the broker again on the next enqueue (tests, and nothing else)."""
    global _paused_until
    _paused_until = 0.0


@dataclass(frozen=True)
class _Enqueue:
    task: Task
    args: tuple
    kwargs: dict

    def __call__(self) -> None:
        enqueue(self.task, *self.args, **self.kwargs)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """`enqueue` once the current transaction has committed (the worker must
    see its rows); the same call made twice in one transaction queues once."""
    callback = _Enqueue(task, args, kwargs)
    # A callback still in the list runs on commit unless a savepoint active
    # now rolls back, which would take this call's callback with it too.
    pending = transaction.get_connection().run_on_commit
    if any(func == callback for _, func, _ in pending):
        return
    transaction.on_commit(callback, robust=True)
