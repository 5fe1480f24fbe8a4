"""Follow-up policy violations through a real Redis broker and a real Celery
worker on the configured database: each owner is reminded exactly once per
violation, however many sweeps run."""

import threading
from datetime import timedelta

import pytest
from celery.signals import task_postrun
from django.utils import timezone

from tests.postmortems.conftest import resolved_incident
from tests.reminders.test_worker import _sweep_through_a_worker
from tracker.postmortems.models import ActionItem, FollowUpPolicy
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create
from tracker.reminders import tasks
from tracker.reminders.models import Reminder


@pytest.fixture
def sends_done():
    done, finished = threading.Event(), []

    def count(sender=None, retval=None, **kwargs):
        if sender.name == tasks.reminder_send.name and retval is True:
            finished.append(retval)
            if len(finished) == 2:
                done.set()

    task_postrun.connect(count, weak=False)
    yield done
    task_postrun.disconnect(count)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_each_violation_is_chased_once_through_a_worker(
    broker,
    sends_done,
    launched,
    alice,
    bob,
    dan,
    mailoutbox,
):
    # A SEV3 policy: prevent items done within 30 days (no postmortem deadline,
    # so the draft itself is chased by nothing). Two items 40 days old.
    FollowUpPolicy.objects.create(severity="sev3", prevent_days=30)
    incident = resolved_incident(launched, bob, severity="sev3", hours_ago=24 * 45)
    draft = postmortem_create(
        product=launched, actor=alice, data={"title": "x", "incidents": [incident]}
    )
    for owner in (bob, dan):
        action_item_create(
            actor=alice,
            postmortem=draft,
            data={
                "description": f"Pin the schema ({owner})",
                "kind": "prevent",
                "owner": owner,
            },
        )
    ActionItem.objects.update(created_at=timezone.now() - timedelta(days=40))
    _sweep_through_a_worker(broker, sends_done)
    assert sorted((m.to[0], m.subject.split(":")[0]) for m in mailoutbox) == [
        ("bob@example.org", "Action item late against the follow-up policy"),
        ("dan@example.org", "Action item late against the follow-up policy"),
    ]
    assert "10 day(s) late" in mailoutbox[0].subject
    policy_rows = Reminder.objects.filter(rule="action_item_policy_late")
    assert policy_rows.filter(channel="email").count() == 2
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
