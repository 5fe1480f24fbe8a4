"""Per-person preferences: channels on and off, quiet hours, the daily digest."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from tests.reminders.helpers import DAY, HOUR, LAUNCH, make_metric, rows, run
from tests.reminders.test_exactly_once import _in_parallel
from tracker.products import services as product_services
from tracker.reminders import mail, tasks
from tracker.reminders.models import Digest, NotificationPreferences, Reminder
from tracker.reminders.services import digests, notifications, sweep

pytestmark = pytest.mark.django_db
DUE = LAUNCH + 7 * DAY  # Monday 9 March 2026, 09:00 UTC (10:00 in Berlin)


@pytest.fixture
def metrics(launched, bob, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    return [
        make_metric(launched, owner=bob, name="Chargeback losses"),
        make_metric(launched, owner=bob, name="Review rate"),
    ]


def prefer(user, **data):
    return notifications.preferences_update(user=user, data=data)


# --- Channels -----------------------------------------------------------------------


def test_email_off_means_in_app_only(metrics, bob, time_machine, mailoutbox):
    prefer(bob, email_enabled=False)
    run(time_machine, DUE + HOUR)
    assert rows() == [("bob", "in_app", False), ("bob", "in_app", False)]
    assert mailoutbox == []


def test_in_app_off_means_mail_only(metrics, bob, time_machine, mailoutbox):
    prefer(bob, in_app_enabled=False)
    run(time_machine, DUE + HOUR)
    assert rows() == [("bob", "email", False), ("bob", "email", False)]
    assert len(mailoutbox) == 2


def test_turning_email_off_cancels_mail_still_waiting(
    metrics, bob, time_machine, mailoutbox
):
    prefer(bob, timezone="UTC", quiet_start_hour=8, quiet_end_hour=12)
    run(time_machine, DUE + HOUR)
    prefer(bob, email_enabled=False)
    run(time_machine, DUE + 4 * HOUR)
    assert mailoutbox == []
    assert Reminder.objects.filter(cancelled_at__isnull=False).count() == 2


# --- Quiet hours --------------------------------------------------------------------


def test_mail_is_held_until_quiet_hours_end(metrics, bob, time_machine, mailoutbox):
    prefer(bob, timezone="Europe/Berlin", quiet_start_hour=10, quiet_end_hour=18)
    run(time_machine, DUE + HOUR)  # 11:00 in Berlin
    assert Reminder.objects.filter(channel="in_app", sent_at=DUE + HOUR).count() == 2
    assert mailoutbox == []
    run(time_machine, DUE + 7 * HOUR + 59 * HOUR / 60)  # 17:59 in Berlin
    assert mailoutbox == []
    run(time_machine, DUE + 8 * HOUR)  # 18:00 in Berlin: quiet hours are over
    run(time_machine, DUE + 9 * HOUR)
    assert len(mailoutbox) == 2
    assert "Times are in Europe/Berlin" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("start", "end", "at", "quiet", "until"),
    [
        (22, 7, datetime(2026, 3, 9, 23, 30, tzinfo=UTC), True, (3, 10, 7)),
        (22, 7, datetime(2026, 3, 10, 6, 59, tzinfo=UTC), True, (3, 10, 7)),
        (22, 7, datetime(2026, 3, 10, 7, 0, tzinfo=UTC), False, None),
        (22, 7, datetime(2026, 3, 9, 21, 59, tzinfo=UTC), False, None),
        (9, 17, datetime(2026, 3, 9, 12, 0, tzinfo=UTC), True, (3, 9, 17)),
        (9, 17, datetime(2026, 3, 9, 17, 0, tzinfo=UTC), False, None),
    ],
)
def test_quiet_hours_may_span_midnight(start, end, at, quiet, until):
    prefs = NotificationPreferences(
        timezone="UTC", quiet_start_hour=start, quiet_end_hour=end
    )
    assert prefs.in_quiet_hours(at) is quiet
    held_until = prefs.quiet_hours_end(at)
    if until is None:
        assert held_until is None
    else:
        assert (held_until.month, held_until.day, held_until.hour) == until


def test_quiet_hours_need_both_ends_and_a_real_time_zone(bob):
    with pytest.raises(ValidationError):
        prefer(bob, quiet_start_hour=22)
    with pytest.raises(ValidationError):
        prefer(bob, quiet_start_hour=5, quiet_end_hour=5)
    with pytest.raises(ValidationError):
        prefer(bob, timezone="Mars/Olympus_Mons")


# --- Daily digest -------------------------------------------------------------------


def test_digest_sends_one_mail_per_day_instead_of_one_per_reminder(
    metrics, launched, bob, time_machine, mailoutbox
):
    prefer(bob, digest_enabled=True, digest_hour=8)
    run(time_machine, DUE + HOUR)
    run(time_machine, DUE + 2 * HOUR)
    [digest] = mailoutbox
    assert digest.to == ["bob@example.org"]
    assert digest.subject == "2 follow-ups waiting for you"
    assert "Chargeback losses · Fraud score" in digest.body
    assert "Review rate · Fraud score" in digest.alternatives[0][0]
    assert Reminder.objects.filter(channel="email", digest__isnull=False).count() == 2
    # Something new the same day waits for tomorrow's digest, at 08:00.
    make_metric(launched, owner=bob, cadence=1, name="Latency")
    run(time_machine, DUE + DAY - 2 * HOUR)  # 07:00 the next day
    to_bob = [m.subject for m in mailoutbox if m.to == ["bob@example.org"]]
    assert to_bob == ["2 follow-ups waiting for you"]
    run(time_machine, DUE + DAY)
    to_bob = [m.subject for m in mailoutbox if m.to == ["bob@example.org"]]
    assert to_bob[1:] == ["1 follow-up waiting for you"]
    assert Digest.objects.filter(recipient=bob).count() == 2


def test_digest_waits_for_quiet_hours_to_end(metrics, bob, time_machine, mailoutbox):
    prefer(
        bob, digest_enabled=True, digest_hour=8, quiet_start_hour=6, quiet_end_hour=12
    )
    run(time_machine, DUE + HOUR)  # 10:00 UTC
    assert mailoutbox == []
    run(time_machine, DUE + 3 * HOUR)  # 12:00 UTC
    assert len(mailoutbox) == 1


def test_digest_leaves_out_what_was_dealt_with(metrics, bob, time_machine, mailoutbox):
    prefer(bob, digest_enabled=True, digest_hour=12)
    run(time_machine, DUE + HOUR)
    product_services.measurement_record(
        metric=metrics[0], value=9, measured_at=DUE + HOUR, actor=bob
    )
    time_machine.move_to(DUE + 3 * HOUR, tick=False)
    tasks.digests_send_due()  # before any sweep noticed the measurement
    [digest] = mailoutbox
    assert digest.subject == "1 follow-up waiting for you"
    assert "Review rate" in digest.body


def test_digest_abandoned_by_a_dead_worker_is_sent_once_after_the_lease(
    metrics, bob, time_machine, mailoutbox, monkeypatch
):
    prefer(bob, digest_enabled=True, digest_hour=8)
    time_machine.move_to(DUE + HOUR, tick=False)
    sweep.reminders_record_due()
    [digest_id] = digests.digests_prepare()

    def worker_dies(*args):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(mail, "send_digest", worker_dies)
        with pytest.raises(SystemExit):
            digests.digest_send(digest_id=digest_id)
    run(time_machine, DUE + HOUR + 10 * HOUR / 60)
    assert mailoutbox == []
    run(time_machine, DUE + HOUR + 16 * HOUR / 60)
    run(time_machine, DUE + 3 * HOUR)
    assert len(mailoutbox) == 1
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_digest_runs_send_one_digest(launched, bob, mailoutbox):
    for n in range(5):
        make_metric(launched, owner=bob, name=f"KPI {n}")
    prefer(bob, digest_enabled=True, digest_hour=0)
    sweep.reminders_record_due()
    _in_parallel(tasks.digests_send_due, n=3)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "5 follow-ups waiting for you"
