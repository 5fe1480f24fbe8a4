"""Independent read-only queries run side by side, on their own connections, in
one snapshot of the database.

The portfolio report reads a dozen independent aggregates (KPIs, SLA checks,
incidents, action items, …). One connection runs them one after the other, and
the request waits for PostgreSQL most of the time: at 1,000 products about
75 ms of its 140 ms (benchmarks/report_render.py). `parallel_reads` hands them
to a few threads, each with its own connection, so PostgreSQL works on several
at once while this process turns the results that have arrived into rows.

Every connection reads the same snapshot: the calling connection opens a
REPEATABLE READ, READ ONLY transaction and exports its snapshot
(pg_export_snapshot), which each worker's transaction imports (SET TRANSACTION
SNAPSHOT), as pg_dump --jobs does. The figures of a report are therefore all of
one instant, which reading them one after another in autocommit mode did not
give.

The work runs on the calling connection, one call after the other, when:

- the database is not PostgreSQL (SQLite has no snapshot to share);
- PARALLEL_READ_THREADS is 0;
- the caller is inside a transaction already: what it wrote is not committed,
  so another connection would not see it (the test suite's transactions are the
  common case).

A worker runs with the caller's context variables, time zone (date truncation
in SQL follows it) and language, and with the calling connection's execute
wrappers, so query counters and tracing see every statement. Each web or worker process
holds up to PARALLEL_READ_THREADS more database connections (docs/operations.md);
a forked child (a gunicorn or Celery worker) starts a pool of its own.
"""

import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, TypeVar

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone, translation

T = TypeVar("T")
_READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
# The pool threads' connections, for shutdown() to close.
_opened: set = set()
_opened_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The process's pool, made at first use (after a pre-forking server forked)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.PARALLEL_READ_THREADS,
                thread_name_prefix="parallel-reads",
            )
        return _pool


def _forget_after_fork() -> None:
    """A forked child (a pre-forking server's worker, a Celery child) has none of
    its parent's threads: it makes its own pool, and never touches the
    parent's connections."""
    global _pool, _pool_lock, _opened_lock
    _pool, _pool_lock, _opened_lock = None, threading.Lock(), threading.Lock()
    _opened.clear()


os.register_at_fork(after_in_child=_forget_after_fork)


def shutdown() -> None:
    """Stops the pool's threads, which closes their connections (a test
    database cannot be dropped while they are open). The next use makes a new
    pool."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
    with _opened_lock:
        opened = list(_opened)
        _opened.clear()
    for connection in opened:
        connection.inc_thread_sharing()  # its thread has ended
        connection.close()


class Reads:
    """Submits read-only work: `reads.submit(fn, *args)` returns a Future."""

    def __init__(self, using: str, snapshot: str | None) -> None:
        self.using = using
        self.snapshot = snapshot
        self.futures: list[Future] = []

    @property
    def parallel(self) -> bool:
        return self.snapshot is not None

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future:
        if self.snapshot is None:
            future: Future = Future()
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)
            return future
        caller = _Caller(
            wrappers=list(connections[self.using].execute_wrappers),
            zone=timezone.get_current_timezone(),
            language=translation.get_language(),
        )
        context = contextvars.copy_context()
        future = _executor().submit(
            context.run,
            _in_snapshot,
            self.using,
            self.snapshot,
            caller,
            fn,
            args,
            kwargs,
        )
        self.futures.append(future)
        return future


@dataclass(frozen=True)
class _Caller:
    """What a worker takes over from the caller. Context variables travel with
    contextvars.copy_context(); Django's time zone and language do not (asgiref
    keeps them per thread)."""

    wrappers: list
    zone: tzinfo
    language: str | None


def _in_snapshot(using, snapshot, caller: _Caller, fn, args, kwargs):
    # As a request does: drop a connection that is too old or broken first.
    close_old_connections()
    connection = connections[using]
    with _opened_lock:
        _opened.add(connection)
    try:
        with ExitStack() as stack:
            stack.enter_context(timezone.override(caller.zone))
            stack.enter_context(translation.override(caller.language))
            for wrapper in caller.wrappers:
                stack.enter_context(connection.execute_wrapper(wrapper))
            with transaction.atomic(using=using), connection.cursor() as cursor:
                cursor.execute(_READ_ONLY_SNAPSHOT)
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                return fn(*args, **kwargs)
    finally:
        close_old_connections()


def can_run_in_parallel(using: str = "default") -> bool:
    connection = connections[using]
    return (
        connection.vendor == "postgresql"
        and settings.PARALLEL_READ_THREADS > 0
        and not connection.in_atomic_block
    )


@contextmanager
def parallel_reads(using: str = "default") -> Iterator[Reads]:
    """`with parallel_reads() as reads:` — queries the block runs itself and the
    work it submits read one snapshot. Leaving the block waits for all the
    submitted work (the snapshot lives as long as the calling transaction)."""
    if not can_run_in_parallel(using):
        yield Reads(using, None)
        return
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute(_READ_ONLY_SNAPSHOT)
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        reads = Reads(using, snapshot)
        try:
            yield reads
        finally:
            wait(reads.futures)
