"""A Celery worker killed (SIGKILL) in the middle of a task: Redis gives the
task to the next worker once the visibility timeout has passed (acks_late,
CELERY_VISIBILITY_TIMEOUT), and what it does happens once.

The task is beat's reminder sweep, with SEV1 incidents waiting to be announced
to their product's three owners. The sweep runs the rules in registration order
(INSTALLED_APPS): the incidents rule records the in-app notifications and the
mail to send, then the postmortems rules read the action items, which the test
holds locked: the worker is stuck there, half done, when it is killed. The
second worker runs the whole sweep again: nothing is recorded twice (the
`reminder_once` constraint) and each mail goes out once (the claim).

Real processes (`celery worker` subprocesses), real Redis and PostgreSQL.
"""

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import kombu
import psycopg
import pytest
import redis
from django.db import connection

from tests.factories import IncidentFactory
from tests.faults.app_server import ROOT
from tests.faults.conftest import database_url, scale
from tracker.incidents.reminder_rules import OPENED
from tracker.reminders import tasks
from tracker.reminders.models import Reminder

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

INCIDENTS = scale("WORKER_KILLED_INCIDENTS", 4, maximum=500)
OWNERS = 3
VISIBILITY_SECONDS = 2
WAIT_SECONDS = 45  # a cold worker start on a busy machine, then the work


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


class Workers:
    """`celery worker` subprocesses on this test's PostgreSQL database, and on
    Redis keys of its own (CELERY_KEY_PREFIX), mailing into a directory."""

    def __init__(self, settings, mail_dir: Path) -> None:
        self.prefix = f"test-{uuid.uuid4().hex}:"
        self.broker = settings.REDIS_URL
        self.options = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "global_keyprefix": self.prefix,
        }
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_KEY_PREFIX": self.prefix,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
            "EMAIL_BACKEND": "tests.faults.mail.DirectoryBackend",
            "TEST_MAIL_DIR": str(mail_dir),
            "LOG_LEVEL": "WARNING",
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "tracker", "worker"]
        command += ["--pool=solo", "--loglevel=WARNING", f"--hostname={name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, start_new_session=True
        )
        self.processes.append(process)
        return process

    def publish(self, task) -> None:
        with kombu.Connection(self.broker, transport_options=self.options) as conn:
            task.apply_async(connection=conn)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        client = redis.Redis.from_url(self.broker)
        for key in client.scan_iter(match=f"{self.prefix}*"):
            client.delete(key)


@pytest.fixture
def workers(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    workers = Workers(settings, tmp_path)
    yield workers
    workers.stop()


@pytest.fixture
def action_items_locked():
    """Hold an exclusive lock on the action items from another connection,
    until `release()`."""
    db = connection.settings_dict
    locker = psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
    )
    locker.execute("LOCK TABLE postmortems_actionitem IN ACCESS EXCLUSIVE MODE")
    yield locker.close  # closing rolls the transaction back
    locker.close()


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def _mails(directory: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message sent."""
    messages = [email.message_from_bytes(p.read_bytes()) for p in directory.iterdir()]
    return [(m["To"], m["Subject"]) for m in messages]


def test_task_of_a_killed_worker_is_redelivered_and_done_once(
    workers, action_items_locked, owned, tmp_path, report
):
    IncidentFactory.create_batch(INCIDENTS, product=owned, severity="sev1")
    in_app = Reminder.objects.filter(rule=OPENED, channel="in_app")
    first = workers.start("first")
    workers.publish(tasks.reminders_sweep)  # what beat does every five minutes

    _wait(lambda: in_app.count() == OWNERS * INCIDENTS, "the first half")
    _wait(_waiting_on_a_lock, "the worker to block on the action items")
    stuck_at = time.monotonic()
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    action_items_locked()  # release
    assert _mails(tmp_path) == []  # killed before any mail went out

    # Redis hands the task on once it has been unacknowledged for longer
    # than the visibility timeout; a worker looks when it starts.
    time.sleep(max(0.0, stuck_at + VISIBILITY_SECONDS + 0.5 - time.monotonic()))
    workers.start("second")
    _wait(lambda: len(_mails(tmp_path)) >= OWNERS * INCIDENTS, "the mail")
    workers.publish(tasks.reminders_dispatch)  # and once more: nothing new
    _wait(
        lambda: not Reminder.objects.filter(sent_at=None, cancelled_at=None).exists(),
        "every mail marked sent",
    )

    mails = _mails(tmp_path)
    outcome = {
        "sent": OWNERS * INCIDENTS,
        "stored": in_app.count(),
        "mailed": len(mails),
        "duplicated": len(mails) - len(set(mails)),
        "lost": OWNERS * INCIDENTS - len(set(mails)),
    }
    report("celery worker killed mid-task", **outcome)
    assert outcome == {
        "sent": OWNERS * INCIDENTS,
        "stored": OWNERS * INCIDENTS,
        "mailed": OWNERS * INCIDENTS,
        "duplicated": 0,
        "lost": 0,
    }
