"""Redis goes away while alerts arrive: every delivery is stored and answered
202 all the same, and the work waits in the database: ingesting each delivery,
then announcing each new SEV1–2 incident to its product's owners. Once Redis is
back a real worker does it all exactly once: beat's delivery sweep ingests the
backlog, its reminder sweep announces; the next delivery goes through the queue
again. Real Redis behind a TCP proxy that is cut and restored."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from tests.broker import WAIT_SECONDS, broker_at, through_broker
from tests.faults.conftest import scale
from tests.incidents.conftest import alert_payload, deliver
from tracker.celery import app
from tracker.incidents import tasks as incident_tasks
from tracker.incidents.models import AlertDelivery, Incident
from tracker.incidents.reminder_rules import OPENED
from tracker.lib.tasks import broker_pause_end
from tracker.reminders import tasks
from tracker.reminders.models import Reminder

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ALERTS = scale("BROKER_DOWN_ALERTS", 12, maximum=2000)
OWNERS = 3  # alice, bob and dan own the product (the `owned` fixture)
# Monitoring tools give up on a receiver that does not answer; ours must
# answer within seconds even with the broker gone (a hang check, not a goal).
OUTAGE_SECONDS_PER_DELIVERY = 2


@pytest.fixture
def mails_sent():
    """wait(n): until the worker has sent n reminder mails in all (bounded)."""
    sent, changed = [], threading.Condition()

    def count(sender=None, retval=None, **_):
        if sender.name == tasks.reminder_send.name and retval is True:
            with changed:
                sent.append(1)
                changed.notify_all()

    def wait(n: int) -> bool:
        # Bounded, allowing a slow machine 10 mails a second at scale.
        with changed:
            return changed.wait_for(lambda: len(sent) >= n, WAIT_SECONDS + n / 10)

    task_postrun.connect(count, weak=False)
    yield wait
    task_postrun.disconnect(count)


@pytest.fixture
def ingested():
    """wait(n): until the worker has ingested n deliveries in all (bounded)."""
    done, changed = [], threading.Condition()

    def count(sender=None, retval=None, **_):
        if sender.name == incident_tasks.delivery_ingest.name and retval is not None:
            with changed:
                done.append(retval)
                changed.notify_all()

    def wait(n: int) -> bool:
        with changed:
            return changed.wait_for(lambda: len(done) >= n, WAIT_SECONDS + n / 10)

    task_postrun.connect(count, weak=False)
    yield wait
    task_postrun.disconnect(count)


def test_alerts_during_a_redis_outage_are_stored_then_announced_once(
    settings, redis_proxy, am, owned, mailoutbox, mails_sent, ingested, report
):
    proxy, url = redis_proxy
    fingerprints = [f"outage-{i}" for i in range(ALERTS)]
    sent = fingerprints + fingerprints[::2]  # every other alert delivered twice
    with broker_at(settings, url) as queue:
        proxy.cut()
        started = time.monotonic()
        statuses = [
            deliver(am, alert_payload(fp), ingest=False).status_code for fp in sent
        ]
        elapsed = time.monotonic() - started
        assert statuses == [202] * len(sent)
        assert elapsed < OUTAGE_SECONDS_PER_DELIVERY * len(sent)
        assert AlertDelivery.objects.filter(state="pending").count() == len(sent)
        assert not Incident.objects.exists()  # waiting, in the database

        proxy.restore()
        broker_pause_end()  # as PAUSE_SECONDS after the failure would
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
            with time_machine.travel(timedelta(minutes=2), tick=True):
                through_broker(incident_tasks.deliveries_sweep)  # beat's next tick
            assert ingested(len(sent)), "the backlog was not ingested"
            assert Incident.objects.count() == ALERTS
            through_broker(tasks.reminders_sweep)  # beat's next tick
            assert mails_sent(OWNERS * ALERTS), "the backlog was not announced"
            assert deliver(am, alert_payload("after"), ingest=False).status_code == 202
            assert mails_sent(OWNERS * (ALERTS + 1)), "the fast path did not run"
            through_broker(tasks.reminders_sweep)  # later ticks: nothing more
            through_broker(tasks.reminders_dispatch)

    incidents = set(Incident.objects.values_list("pk", flat=True))
    announced = Reminder.objects.filter(rule=OPENED, channel="in_app")
    mailed = [(m.to[0], m.body) for m in mailoutbox]
    outcome = {
        "sent": len(sent) + 1,
        "stored": AlertDelivery.objects.count(),
        "incidents": len(incidents),
        "announced": len(set(announced.values_list("subject_id", flat=True))),
        "mails": len(mailed),
        "duplicated": len(mailed) - len(set(mailed)),
        "lost": len(incidents - set(announced.values_list("subject_id", flat=True))),
    }
    report("redis down while alerts arrive", **outcome)
    assert outcome == {
        "sent": len(sent) + 1,
        "stored": len(sent) + 1,
        "incidents": ALERTS + 1,
        "announced": ALERTS + 1,
        "mails": OWNERS * (ALERTS + 1),
        "duplicated": 0,
        "lost": 0,
    }
    assert announced.count() == OWNERS * (ALERTS + 1)  # in the app, once each


def test_a_stalled_redis_costs_a_delivery_seconds_not_a_hang(
    settings, redis_proxy, am, owned
):
    """Redis accepts connections and never answers: queueing the delivery's
    ingestion gives up after the broker's socket timeouts, the sender is
    answered, and the delivery waits in the database for the sweep."""
    proxy, url = redis_proxy
    with broker_at(settings, url):
        proxy.stall()
        started = time.monotonic()
        response = deliver(am, alert_payload("stalled"), ingest=False)
        elapsed = time.monotonic() - started
    assert response.status_code == 202
    assert elapsed < 8
    assert AlertDelivery.objects.get().state == "pending"
