"""tracker.lib.parallel_reads: work on other connections, in the caller's snapshot,
and on the calling connection where another one could not see the data."""

import os
import signal
import threading
import time
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import TeamFactory
from tracker.accounts.models import Team
from tracker.lib import parallel_reads
from tracker.lib.parallel_reads import can_run_in_parallel

pytestmark = pytest.mark.django_db


def _backend() -> tuple[int, int]:
    """(this thread, the PostgreSQL backend serving its connection)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()"
            if connection.vendor == "postgresql"
            else "SELECT 0"
        )
        return threading.get_ident(), cursor.fetchone()[0]


def _team_names() -> list[str]:
    return sorted(Team.objects.values_list("name", flat=True))


def test_inside_a_transaction_the_work_runs_here_and_sees_uncommitted_rows():
    """The test's own transaction is the case: another connection would see none
    of the rows it wrote."""
    TeamFactory(name="Uncommitted")
    assert connection.in_atomic_block and not can_run_in_parallel()
    with parallel_reads.parallel_reads() as reads:
        here = reads.submit(_backend)
        names = reads.submit(_team_names)
    assert not reads.parallel
    assert here.result()[0] == threading.get_ident()
    assert "Uncommitted" in names.result()


def test_turned_off_by_setting(settings):
    settings.PARALLEL_READ_THREADS = 0
    assert not can_run_in_parallel()


def test_an_error_reaches_the_caller_in_either_mode():
    def fails():
        raise ValueError("bad figure")

    with parallel_reads.parallel_reads() as reads:
        failed = reads.submit(fails)
    with pytest.raises(ValueError, match="bad figure"):
        failed.result()


# --- On PostgreSQL, with committed data: the parallel path ---------------------------


@pytest.fixture
def pool():
    """The pool's threads and connections go at the end (the test database is
    dropped after the session)."""
    yield
    parallel_reads.shutdown()


def _other_connection_commits(name: str) -> None:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(
            "INSERT INTO accounts_team (name, slug, description, visibility, "
            "created_at) VALUES (%s, %s, '', 'organisation', now())",
            [name, name.lower()],
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_runs_on_other_connections_in_the_callers_snapshot(pool):
    TeamFactory(name="Before")
    assert can_run_in_parallel()
    with parallel_reads.parallel_reads() as reads:
        assert reads.parallel
        here = _backend()
        # Committed after the snapshot was taken: no reader of the block sees it.
        _other_connection_commits("After")
        there = [reads.submit(_backend) for _ in range(4)]
        names = [reads.submit(_team_names) for _ in range(3)]
        assert _team_names() == ["Before"]
    assert all(future.result()[0] != here[0] for future in there)
    assert all(future.result()[1] != here[1] for future in there)
    assert all(future.result() == ["Before"] for future in names)
    assert not connection.in_atomic_block
    assert _team_names() == ["After", "Before"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_work_sees_the_callers_time_zone_and_query_counters(pool):
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    tokyo = ZoneInfo("Asia/Tokyo")
    with (
        timezone.override(tokyo),
        connection.execute_wrapper(count),
        parallel_reads.parallel_reads() as reads,
    ):
        zone = reads.submit(timezone.get_current_timezone_name)
        names = reads.submit(_team_names)
    assert zone.result() == "Asia/Tokyo"
    assert names.result() == []
    # The caller's snapshot export, then the worker's snapshot import and query.
    assert any("pg_export_snapshot" in sql for sql in statements)
    assert any("SET TRANSACTION SNAPSHOT" in sql for sql in statements)
    assert any("accounts_team" in sql for sql in statements)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failing_read_leaves_every_connection_usable(pool):
    def fails():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    with parallel_reads.parallel_reads() as reads:
        failed = reads.submit(fails)
    with pytest.raises(Exception, match="division by zero"):
        failed.result()
    with parallel_reads.parallel_reads() as reads:
        after = reads.submit(_team_names)
    assert after.result() == []
    with transaction.atomic():
        TeamFactory(name="Writable")
    assert _team_names() == ["Writable"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_shutdown_closes_the_pools_connections():
    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = backends()
    with parallel_reads.parallel_reads() as reads:
        futures = [reads.submit(_team_names) for _ in range(6)]
    assert all(future.result() == [] for future in futures)
    assert backends() > before
    parallel_reads.shutdown()
    deadline = time.monotonic() + 5  # a backend leaves the view once it has exited
    while backends() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_forked_child_makes_its_own_pool(pool):
    """What a pre-forking server does after the parent has used the pool: the
    child reads through a pool of its own, on connections of its own."""
    with parallel_reads.parallel_reads() as reads:
        parent = reads.submit(_backend).result()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        code = 1
        try:
            connection.inc_thread_sharing()
            connection.connection = None  # the parent's socket is not ours
            with parallel_reads.parallel_reads() as reads:
                mine = reads.submit(_backend).result(timeout=10)
            ok = parallel_reads._pool is not None and mine[1] != parent[1]
            os.write(write, b"ok" if ok else b"shared")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 30
    while not (exited := os.waitpid(child, os.WNOHANG))[0]:
        if time.monotonic() > deadline:  # it waits for the parent's threads
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            pytest.fail("the forked child hung on its parent's pool")
        time.sleep(0.05)
    assert os.read(read, 16) == b"ok"
    assert os.waitstatus_to_exitcode(exited[1]) == 0
