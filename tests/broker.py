"""Celery in tests: point the app at a broker (a real Redis, or an address
that fails) on a queue of the test's own, and run tasks through a real worker."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from tracker.celery import app
from tracker.lib.tasks import broker_pause_end

WAIT_SECONDS = 30


def fresh_pools() -> None:
    """Forget the connection and producer pools: a stopped worker closes them,
    and the next test would otherwise publish through a closed pool (or to the
    previous broker URL)."""
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


@contextmanager
def broker_at(settings, url: str) -> Iterator[str]:
    """Tasks go through the broker at `url` (not run eagerly), on a queue of
    this test's own, so nothing else published to the same Redis database is
    consumed here; yields the queue's name."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    settings.CELERY_TASK_DEFAULT_QUEUE = queue = f"test-{uuid.uuid4().hex}"
    fresh_pools()
    broker_pause_end()
    try:
        yield queue
    finally:
        if settings.REDIS_URL:
            # The queue, and the exchange named after it, leave keys behind.
            client = redis.Redis.from_url(settings.REDIS_URL)
            for key in client.scan_iter(match=f"*{queue}*"):
                client.delete(key)
        fresh_pools()
        broker_pause_end()


def through_broker(task, *args, **kwargs) -> None:
    """Publish `task` and wait (bounded) until the worker has run it; no result
    backend is configured, so the worker's task_postrun signal tells."""
    wanted, done = uuid.uuid4().hex, threading.Event()

    def seen(task_id=None, **_):
        if task_id == wanted:
            done.set()

    task_postrun.connect(seen, weak=False)
    try:
        task.apply_async(args, kwargs, task_id=wanted)
        assert done.wait(timeout=WAIT_SECONDS), f"{task.name} did not run"
    finally:
        task_postrun.disconnect(seen)


@contextmanager
def worker(queue: str) -> Iterator[None]:
    """A real Celery worker (solo pool, in this process) consuming `queue`
    for the block; it finishes its task before the block ends."""
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue],
        shutdown_timeout=WAIT_SECONDS,
    ):
        yield
