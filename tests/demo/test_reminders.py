"""The demo data subscribes `leader` to the weekly leadership digest, and the
demo's overdue action items and late draft are chased like any others."""

from datetime import UTC, datetime

from tests.reminders.helpers import HOUR, run
from tracker.accounts.models import User
from tracker.demo.seed import seed_demo
from tracker.reminders.models import KPIReview, NotificationPreferences, Reminder
from tracker.reports import tasks
from tracker.reports.digest import leadership_portfolio

MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_demo_leader_gets_the_monday_digest_and_late_work_is_chased(
    db, time_machine, mailoutbox
):
    time_machine.move_to(MONDAY, tick=False)
    assert seed_demo()
    subscribed = NotificationPreferences.objects.filter(leadership_digest=True)
    assert [p.user.username for p in subscribed] == ["leader"]
    run(time_machine, MONDAY + HOUR)
    tasks.leadership_digests_send_due()
    [digest] = [m for m in mailoutbox if m.subject.startswith("Portfolio, week 11")]
    assert digest.to == ["leader@example.org"]
    leader = User.objects.get(username="leader")
    attention = leadership_portfolio(user=leader, now=MONDAY + HOUR).attention
    assert attention
    for row in attention:
        assert f"/products/{row.product.slug}/" in digest.body
    chased = set(Reminder.objects.values_list("rule", flat=True))
    assert {"action_item_overdue", "postmortem_draft_overdue"} <= chased


def test_demo_has_run_the_sweep_and_shows_fraud_scores_kpi_reviews(
    db, time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    """`make run` opens on what production would show: the first sweep's
    notifications and mail, and a launched product's review schedule."""
    time_machine.move_to(MONDAY, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_demo()
    chased = set(Reminder.objects.values_list("rule", flat=True))
    assert {"kpi_review", "metric_followup", "action_item_overdue"} <= chased
    alice = User.objects.get(username="alice")
    assert alice.reminders.filter(channel="in_app", read_at=None).exists()
    assert any("KPI review" in m.subject for m in mailoutbox)
    reviews = KPIReview.objects.filter(product__slug="fraud-score")
    held = {r.weeks: r.completed_at is not None for r in reviews}
    assert held == {2: True, 6: True, 13: False}
    for review in reviews.filter(completed_at__isnull=False):
        assert review.conclusion and review.completed_at < MONDAY
