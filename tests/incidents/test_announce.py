"""A SEV1–2 incident opening on a product is announced to its three owners, in
the app and by e-mail, once (tracker/incidents/reminder_rules.py). Tasks run
eagerly here (tests/conftest.py); through a real broker, with Redis down and back:
tests/faults/test_broker_down.py."""

from datetime import timedelta

import pytest

from tests.incidents.conftest import alert_payload, deliver, load_payload
from tracker.incidents.models import Incident
from tracker.incidents.reminder_rules import OPENED
from tracker.incidents.services.incidents import incident_acknowledge
from tracker.incidents.tasks import delivery_ingest
from tracker.lib.tasks import _Enqueue
from tracker.reminders import tasks
from tracker.reminders.models import Reminder
from tracker.reminders.services import sweep


def _announcements() -> list[tuple[str, str]]:
    return list(
        Reminder.objects.filter(rule=OPENED)
        .order_by("recipient__username", "channel")
        .values_list("recipient__username", "channel")
    )


EVERYONE = [
    (name, channel)
    for name in ("alice", "bob", "dan")
    for channel in ("email", "in_app")
]


def test_severe_alert_is_announced_to_the_owners_once(
    am, owned, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(am, alert_payload("fp-1")).status_code == 202
    incident = Incident.objects.get()
    assert _announcements() == EVERYONE
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@example.org",
        "bob@example.org",
        "dan@example.org",
    ]
    assert mailoutbox[0].subject == (
        "Incident opened: SEV1 · Null rate of merchant_country above 5% for 15m"
        " · Fraud score"
    )
    assert f"/incidents/{incident.pk}/" in mailoutbox[0].body
    # Beat's sweep later, and the same alert again: nothing more.
    tasks.reminders_sweep()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(am, alert_payload("fp-1"))
    assert len(mailoutbox) == 3
    assert _announcements() == EVERYONE


@pytest.mark.parametrize(
    "payload",
    [
        alert_payload("fp-warning", severity="warning"),  # SEV3
        alert_payload("fp-inbox", product="no-such-product"),  # untriaged
    ],
)
def test_only_severe_incidents_of_a_product_are_announced(
    am, owned, payload, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        deliver(am, payload)
    tasks.reminders_sweep()
    assert Incident.objects.count() == 1
    assert (_sweeps(queued), _announcements(), mailoutbox) == ([], [], [])


def test_one_delivery_queues_one_sweep(am, owned, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        deliver(am, load_payload("alertmanager-v4-group-truncated.json"))
    assert Incident.objects.filter(severity="sev1").count() == 2
    assert _sweeps(queued) == [_Enqueue(tasks.reminders_sweep, (), {"rules": [OPENED]})]


def _sweeps(queued: list) -> list:
    """The reminder sweeps queued (the receiver also queues the delivery's
    ingestion, which the test has run already)."""
    return [
        c for c in queued if isinstance(c, _Enqueue) and c.task is not delivery_ingest
    ]


def test_acknowledging_first_cancels_the_mail(am, owned, alice, mailoutbox):
    deliver(am, alert_payload("fp-1"))  # no commit here: nothing queued
    sweep.reminders_record_due(rules=[OPENED])
    incident_acknowledge(incident=Incident.objects.get(), actor=alice)
    tasks.reminders_dispatch()
    assert mailoutbox == []
    assert not Reminder.objects.filter(channel="email", cancelled_at=None).exists()


def test_incidents_older_than_a_week_are_not_announced(am, owned):
    deliver(am, alert_payload("fp-1"))
    later = Incident.objects.get().detected_at + timedelta(days=8)
    assert sweep.reminders_record_due(now=later, rules=[OPENED]) == {OPENED: 0}
    assert _announcements() == []
