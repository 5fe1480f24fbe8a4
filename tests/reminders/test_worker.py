"""End to end through a real Redis broker and a real Celery worker: beat's sweep
task goes through the broker, the worker records the reminders, dispatches the
mail and sends it, once."""

import threading
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.utils import timezone

from tests.broker import WAIT_SECONDS, through_broker, worker
from tests.factories import SessionFactory
from tests.reminders.helpers import make_metric
from tracker.postmortems.services.action_items import action_item_create
from tracker.reminders import tasks
from tracker.reminders.models import Reminder


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


def _sweep_through_a_worker(queue: str, sends_done: threading.Event) -> None:
    with worker(queue):
        through_broker(tasks.reminders_sweep)
        assert sends_done.wait(timeout=WAIT_SECONDS), "the worker sent no mail"
        # Sweeping and dispatching again (FIFO: after the sweep's own
        # dispatch) sends nothing more.
        through_broker(tasks.reminders_sweep)
        through_broker(tasks.reminders_dispatch)


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
    item = action_item_create(
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


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_new_version_asks_for_a_card_review_once_through_a_worker(
    broker, sends_done, launched, alice, bob, mailoutbox
):
    # The card was saved yesterday; a version registered since asks bob, the
    # ML owner, to review it; a metric of alice's, due, is the second mail.
    from tracker.cards import services as cards
    from tracker.releases import services as releases

    now = timezone.now()
    cards.model_card_save(product=launched, data={"intended_use": "x"}, actor=alice)
    card = launched.model_card
    type(card).objects.filter(pk=card.pk).update(reviewed_at=now - timedelta(days=1))
    releases.model_version_create(
        product=launched, version="2.0", data={"created_at": now}, actor=bob
    )
    make_metric(launched, owner=alice)
    _sweep_through_a_worker(broker, sends_done)
    reviews = [m for m in mailoutbox if "version 2.0" in m.subject]
    assert [m.to[0] for m in reviews] == ["bob@example.org"]
    assert Reminder.objects.filter(rule="model_card_new_version").count() == 2
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
