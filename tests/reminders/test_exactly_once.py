"""Exactly once: repeated and concurrent sweeps, repeated sends, dead workers,
mail failures, and a sweep whose query count does not grow with the work."""

import smtplib
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FeatureFactory, ProductFactory, SLAFactory, UserFactory
from tests.reminders.helpers import DAY, HOUR, LAUNCH, make_metric, rows, run
from tracker.celery import app
from tracker.products import services as product_services
from tracker.reminders import mail, tasks
from tracker.reminders.models import NotificationPreferences, Reminder
from tracker.reminders.services import delivery, sweep
from tracker.reports import tasks as report_tasks

pytestmark = pytest.mark.django_db
MINUTE = HOUR / 60
DUE = LAUNCH + 7 * DAY + HOUR


@pytest.fixture
def metric(launched, bob, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    return make_metric(launched, owner=bob, cadence=7)


def _email_id() -> int:
    return Reminder.objects.get(channel="email").pk


def test_sweep_run_twice_records_and_sends_once(metric, time_machine, mailoutbox):
    run(time_machine, DUE)
    run(time_machine, DUE)
    run(time_machine, DUE + HOUR)
    assert rows() == [("bob", "email", False), ("bob", "in_app", False)]
    assert len(mailoutbox) == 1


def test_dispatch_queues_a_mail_once_per_lease(metric, time_machine):
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()
    assert delivery.reminders_dispatch() == [_email_id()]
    assert delivery.reminders_dispatch() == []
    # Queued but never sent (the task was lost): queued again after the lease.
    time_machine.move_to(DUE + 16 * MINUTE, tick=False)
    assert delivery.reminders_dispatch() == [_email_id()]


def test_sending_twice_sends_once(metric, time_machine, mailoutbox):
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()
    assert delivery.reminder_send(reminder_id=_email_id()) is True
    assert delivery.reminder_send(reminder_id=_email_id()) is False
    assert len(mailoutbox) == 1


def test_claim_abandoned_by_a_dead_worker_is_sent_once_after_the_lease(
    metric, time_machine, mailoutbox, monkeypatch
):
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()

    def worker_dies(reminder, prefs):
        raise SystemExit("worker killed")  # not an Exception: the claim stays

    with monkeypatch.context() as patch:
        patch.setattr(mail, "send_reminder", worker_dies)
        with pytest.raises(SystemExit):
            delivery.reminder_send(reminder_id=_email_id())
    assert Reminder.objects.get(channel="email").claimed_at == DUE
    # Within the lease nobody else may take it ...
    run(time_machine, DUE + 10 * MINUTE)
    assert delivery.reminder_send(reminder_id=_email_id()) is False
    assert mailoutbox == []
    # ... after it, the next dispatch re-claims and sends it, once.
    run(time_machine, DUE + 16 * MINUTE)
    run(time_machine, DUE + 17 * MINUTE)
    run(time_machine, DUE + 40 * MINUTE)
    assert len(mailoutbox) == 1
    assert Reminder.objects.get(channel="email").sent_at == DUE + 16 * MINUTE


@pytest.fixture
def celery_retries_eagerly(settings):
    """Celery re-runs a failed eager task for its retries only when eager
    exceptions do not propagate (a worker always retries)."""
    settings.CELERY_TASK_EAGER_PROPAGATES = False


def test_mail_failure_is_retried_with_the_claim_released(
    metric, time_machine, mailoutbox, monkeypatch, celery_retries_eagerly
):
    real, calls = mail.send_reminder, []

    def flaky(reminder, prefs):
        calls.append(reminder.pk)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        real(reminder, prefs)

    monkeypatch.setattr(mail, "send_reminder", flaky)
    run(time_machine, DUE)
    assert len(calls) == 2
    assert len(mailoutbox) == 1
    reminder = Reminder.objects.get(channel="email")
    assert (reminder.attempts, reminder.last_error) == (1, "")
    assert reminder.sent_at is not None


def test_mail_that_keeps_failing_is_given_up_after_the_attempts(
    metric, time_machine, mailoutbox, monkeypatch, settings, celery_retries_eagerly
):
    def down(reminder, prefs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(mail, "send_reminder", down)
    run(time_machine, DUE)
    reminder = Reminder.objects.get(channel="email")
    assert reminder.attempts == settings.REMINDERS_MAX_ATTEMPTS
    assert (reminder.sent_at, reminder.claimed_at) == (None, None)
    assert "SMTP server down" in reminder.last_error
    time_machine.move_to(DUE + DAY, tick=False)
    assert delivery.reminders_dispatch() == []


def test_retry_policy_backs_off():
    for task in (tasks.reminder_send, tasks.digest_send):
        assert smtplib.SMTPException in task.autoretry_for
        assert task.retry_backoff and task.retry_jitter
        assert task.max_retries == 4


def test_mail_is_not_sent_for_an_occurrence_dealt_with_after_it_was_queued(
    metric, bob, time_machine, mailoutbox
):
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()
    [queued] = delivery.reminders_dispatch()
    product_services.measurement_record(
        metric=metric, value=11, measured_at=DUE, actor=bob
    )
    assert delivery.reminder_send(reminder_id=queued) is False
    assert Reminder.objects.get(pk=queued).cancelled_at == DUE
    assert mailoutbox == []


def test_people_who_cannot_receive_mail_get_in_app_only(
    launched, team, time_machine, mailoutbox
):
    no_address = UserFactory(username="noaddress", email="")
    gone = UserFactory(username="gone", is_active=False)
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=no_address, name="A")
    make_metric(launched, owner=gone, name="B")
    run(time_machine, DUE)
    assert rows() == [("noaddress", "in_app", False)]
    assert mailoutbox == []


def test_mail_text_is_plain_and_html_is_escaped(launched, bob, time_machine):
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=bob, name="Loss <EUR> & fees\nper month")
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()
    reminder = Reminder.objects.select_related("recipient").get(channel="email")
    message = mail.reminder_message(reminder, NotificationPreferences())
    assert "\n" not in message.subject
    assert "Loss <EUR> & fees" in message.body
    assert "Loss &lt;EUR&gt; &amp; fees" in message.alternatives[0][0]


def test_send_reminders_command_does_the_sweep_by_hand(
    metric, time_machine, mailoutbox
):
    time_machine.move_to(DUE, tick=False)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)
    assert "metric_followup: 2 reminder(s) recorded" in out.getvalue()
    assert "1 mail(s) and 0 digest(s) sent or queued." in out.getvalue()
    assert "0 leadership digest(s) sent or queued." in out.getvalue()
    assert len(mailoutbox) == 1


def test_beat_runs_the_reminder_tasks():
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        tasks.reminders_sweep.name,
        tasks.reminders_dispatch.name,
        tasks.digests_send_due.name,
        report_tasks.leadership_digests_send_due.name,
    } <= scheduled
    app.loader.import_default_modules()  # autodiscovery, as a worker starts
    assert scheduled <= set(app.tasks)


# --- Query counts -------------------------------------------------------------------


def _due_everywhere(team, n: int) -> None:
    """n launched products, each with a due metric, an open KPI review, a survey
    and an SLA unreviewed for the period, and its own owners."""
    for _ in range(n):
        pm, ml = UserFactory(), UserFactory()
        product = ProductFactory(
            team=team,
            stage="production",
            launched_at=LAUNCH,
            stage_entered_at=LAUNCH,
            pm_owner=pm,
            ml_owner=ml,
        )
        make_metric(product, owner=ml)
        FeatureFactory(product=product)
        SLAFactory(product=product)


def _sweep_queries(at) -> int:
    with CaptureQueriesContext(connection) as captured:
        sweep.reminders_record_due(now=at)
    return len(captured.captured_queries)


def test_sweep_query_count_does_not_grow_with_the_number_due(team, time_machine):
    # SQLite caps a statement at 999 parameters, so Django splits an INSERT of
    # more than 52 reminders in several; PostgreSQL takes the whole page at once.
    small, big = (2, 10) if connection.vendor == "postgresql" else (1, 2)
    per_product = 4 + 12 + 2 + 2  # metric (owner, escalation), 3 reviews, survey, SLA
    time_machine.move_to(LAUNCH, tick=False)
    _due_everywhere(team, small)
    queries = _sweep_queries(LAUNCH + 100 * DAY)
    assert Reminder.objects.count() == small * per_product
    time_machine.move_to(LAUNCH, tick=False)
    _due_everywhere(team, big)
    assert _sweep_queries(LAUNCH + 100 * DAY) == queries
    assert Reminder.objects.count() == (small + big) * per_product


def test_sweep_pages_through_batches(team, time_machine, settings):
    settings.REMINDERS_BATCH_SIZE = 3
    time_machine.move_to(LAUNCH, tick=False)
    _due_everywhere(team, 7)
    recorded = sweep.reminders_record_due(now=LAUNCH + 100 * DAY)
    assert recorded["metric_followup"] == 7 * 4
    assert Reminder.objects.filter(rule="metric_followup").count() == 7 * 4
    assert sweep.reminders_record_due(now=LAUNCH + 100 * DAY)["survey_review"] == 0


# --- Concurrency, on PostgreSQL -----------------------------------------------------


def _in_parallel(work, n: int = 2) -> list:
    """Run `work` in n threads released together; each has its own connection."""
    barrier, results, errors = threading.Barrier(n), [], []

    def target():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_record_and_send_once(team, bob, mailoutbox):
    product = ProductFactory(
        team=team, stage="production", launched_at=LAUNCH, stage_entered_at=LAUNCH
    )
    for n in range(20):
        make_metric(product, owner=bob, name=f"KPI {n}")
    _in_parallel(tasks.reminders_sweep)
    _in_parallel(tasks.reminders_sweep)
    assert Reminder.objects.filter(rule="metric_followup").count() == 40
    assert len(mailoutbox) == 20
    assert len({m.subject for m in mailoutbox}) == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_reminder_send_it_once(team, bob, mailoutbox):
    product = ProductFactory(
        team=team, stage="production", launched_at=LAUNCH, stage_entered_at=LAUNCH
    )
    make_metric(product, owner=bob)
    sweep.reminders_record_due()
    [queued] = Reminder.objects.filter(channel="email", rule="metric_followup")
    sent = _in_parallel(lambda: delivery.reminder_send(reminder_id=queued.pk), n=4)
    assert sorted(sent) == [False, False, False, True]
    assert len(mailoutbox) == 1
