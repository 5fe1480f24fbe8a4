"""End to end through a real Redis broker and a real Celery worker: beat's sweep
task goes through the broker, the worker records the reminders, dispatches the
mail and sends it, once."""

import threading
import uuid
from datetime import timedelta

import kombu.pools
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.utils import timezone

from tests.factories import SessionFactory
from tests.reminders.helpers import make_metric
from tracker.celery import app
from tracker.postmortems import services as postmortems
from tracker.reminders import tasks
from tracker.reminders.models import Reminder

WAIT_SECONDS = 30


@pytest.fixture
def broker(settings):
    """Tasks go through Redis (not run eagerly), on a queue of this test's own so
    nothing else published to the same Redis database is consumed here."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = f"test-reminders-{uuid.uuid4().hex}"
    _fresh_pools()  # connections come from the pools of the new broker URL
    yield settings.CELERY_TASK_DEFAULT_QUEUE
    # The queue, and the exchange named after it, leave keys behind in Redis.
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"*{settings.CELERY_TASK_DEFAULT_QUEUE}*"):
        client.delete(key)
    _fresh_pools()


def _fresh_pools() -> None:
    """Forget the connection and producer pools: a stopped worker closes them,
    and the next test would otherwise publish through a closed pool."""
    app._pool = None
    app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def sends_done():
    """Set once two reminder mails went through the worker."""
    done, finished = threading.Event(), []

    def count(sender=None, retval=None, **kwargs):
        if sender.name == tasks.reminder_send.name and retval is True:
            finished.append(retval)
            if len(finished) == 2:
                done.set()

    task_postrun.connect(count, weak=False)
    yield done
    task_postrun.disconnect(count)


def _through_broker(task) -> None:
    """Publish `task` and wait (bounded) until the worker has run it; no result
    backend is configured, so the worker's task_postrun signal tells."""
    wanted, done = uuid.uuid4().hex, threading.Event()

    def seen(task_id=None, **kwargs):
        if task_id == wanted:
            done.set()

    task_postrun.connect(seen, weak=False)
    try:
        task.apply_async(task_id=wanted)
        assert done.wait(timeout=WAIT_SECONDS), f"{task.name} did not run"
    finally:
        task_postrun.disconnect(seen)


def _sweep_through_a_worker(queue: str, sends_done: threading.Event) -> None:
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue],
        shutdown_timeout=WAIT_SECONDS,
    ):
        _through_broker(tasks.reminders_sweep)
        assert sends_done.wait(timeout=WAIT_SECONDS), "the worker sent no mail"
        # Sweeping and dispatching again (FIFO: after the sweep's own
        # dispatch) sends nothing more.
        _through_broker(tasks.reminders_sweep)
        _through_broker(tasks.reminders_dispatch)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_sweep_runs_through_the_broker_and_a_worker(
    broker, sends_done, launched, bob, mailoutbox
):
    # Due since a week after launch and overdue by more than a cadence: bob,
    # the owner, and alice, the PM owner, are each reminded once.
    make_metric(launched, owner=bob)
    _sweep_through_a_worker(broker, sends_done)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@example.org",
        "bob@example.org",
    ]
    assert Reminder.objects.filter(channel="in_app", sent_at__isnull=False).count() == 2
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_overdue_action_item_is_chased_through_a_worker(
    broker, sends_done, launched, bob, mailoutbox
):
    # Bob's item from a planning session, two days overdue: bob is reminded,
    # and alice, the PM owner, as the escalation.
    item = postmortems.action_item_create(
        actor=bob,
        session=SessionFactory(product=launched),
        data={
            "description": "Backfill the missing chargeback labels",
            "kind": "process",
            "owner": bob,
            "due_date": timezone.localdate() - timedelta(days=2),
        },
    )
    _sweep_through_a_worker(broker, sends_done)
    subject = "Backfill the missing chargeback labels · Fraud score"
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("alice@example.org", f"Overdue action item, escalated: {subject}"),
        ("bob@example.org", f"Action item overdue: {subject}"),
    ]
    assert all(f"#action-{item.pk}" in m.body for m in mailoutbox)
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
