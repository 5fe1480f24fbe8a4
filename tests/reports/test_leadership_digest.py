"""The weekly leadership digest: who gets it, when (Monday, at the subscriber's
local digest hour), exactly once per ISO week, and what it lists."""

import pytest

from tests.factories import (
    FeatureFactory,
    MetricFactory,
    ProductFactory,
    SLAFactory,
    UserFactory,
)
from tests.reminders.conftest import _reminder_settings  # noqa: F401
from tests.reminders.helpers import DAY, HOUR, LAUNCH
from tests.reminders.test_exactly_once import _in_parallel
from tracker.products.models import QUALITY_DIMENSIONS
from tracker.reminders.models import LeadershipDigest
from tracker.reminders.services import notifications
from tracker.reports import tasks
from tracker.reports.digest import leadership_digest_send, leadership_digests_prepare

pytestmark = pytest.mark.django_db
MONDAY_8 = LAUNCH - HOUR  # Monday 2 March 2026, 08:00 UTC: ISO week 10
SITE = "https://tracker.example.org"


def prefer(user, **data):
    return notifications.preferences_update(user=user, data=data)


@pytest.fixture
def leader(db):
    """Subscribed, in UTC, with the default digest hour (08:00)."""
    user = UserFactory(username="leader", first_name="Lee")
    prefer(user, timezone="UTC", leadership_digest=True)
    return user


@pytest.fixture
def healthy(team, alice, bob, dan):
    """A proposal with its plan (three owners, a business KPI with baseline and
    target), an SLA and a complete data survey: nothing for leadership to look
    at."""
    product = ProductFactory(
        team=team,
        name="Churn early warning",
        slug="churn",
        pm_owner=alice,
        ml_owner=bob,
        eng_owner=dan,
    )
    MetricFactory(product=product)
    SLAFactory(product=product)
    FeatureFactory(
        product=product, **{f"quality_{d}": "good" for d in QUALITY_DIMENSIONS}
    )
    return product


def send_due(time_machine, at) -> int:
    """What beat does at `at`."""
    time_machine.move_to(at, tick=False)
    return tasks.leadership_digests_send_due()


def test_monday_digest_lists_what_needs_attention_with_links(
    leader, launched, healthy, time_machine, mailoutbox
):
    send_due(time_machine, MONDAY_8 - HOUR)  # 07:00: before the digest hour
    assert mailoutbox == []
    send_due(time_machine, MONDAY_8)
    [digest] = mailoutbox
    assert digest.to == ["leader@example.org"]
    assert digest.subject == "Portfolio, week 10: 1 product needs attention"
    assert (
        "1. Fraud score (production, Risk): no business KPI; no SLA\n"
        f"  {SITE}/products/fraud-score/" in digest.body
    )
    assert f"{SITE}/reports/portfolio/" in digest.body
    assert "Churn early warning" not in digest.body
    html = digest.alternatives[0][0]
    assert f'<a href="{SITE}/products/fraud-score/">Fraud score</a>' in html
    assert f'<a href="{SITE}/reports/portfolio/">' in html
    assert "Churn" not in html
    row = LeadershipDigest.objects.get()
    assert (row.year, row.week, row.item_count) == (2026, 10, 1)
    assert row.sent_at == MONDAY_8


def test_a_quiet_portfolio_still_gets_its_weekly_digest(
    leader, healthy, time_machine, mailoutbox
):
    send_due(time_machine, MONDAY_8)
    [digest] = mailoutbox
    assert digest.subject == "Portfolio, week 10: no product needs attention"
    assert f"{SITE}/reports/portfolio/" in digest.body


def test_one_digest_per_iso_week_however_often_the_task_runs(
    leader, launched, time_machine, mailoutbox
):
    for hours in range(0, 14 * 24, 3):  # every three hours for two weeks
        send_due(time_machine, MONDAY_8 - DAY + hours * HOUR)
        send_due(time_machine, MONDAY_8 - DAY + hours * HOUR)
    assert [m.subject[:18] for m in mailoutbox] == [
        "Portfolio, week 10",
        "Portfolio, week 11",
    ]
    assert LeadershipDigest.objects.filter(sent_at__isnull=False).count() == 2


def test_sending_the_same_digest_twice_sends_it_once(
    leader, launched, time_machine, mailoutbox
):
    time_machine.move_to(MONDAY_8, tick=False)
    [digest_id] = leadership_digests_prepare()
    assert leadership_digests_prepare() == [digest_id]
    assert leadership_digest_send(digest_id=digest_id) is True
    assert leadership_digest_send(digest_id=digest_id) is False
    assert leadership_digests_prepare() == []
    assert len(mailoutbox) == 1


def test_only_subscribers_who_can_receive_mail_get_it(
    leader, alice, bob, carol, launched, time_machine, mailoutbox
):
    prefer(bob, digest_enabled=True)  # the daily digest is another thing
    prefer(carol, leadership_digest=True, email_enabled=False)
    gone = UserFactory(username="gone", is_active=False)
    prefer(gone, leadership_digest=True)
    send_due(time_machine, MONDAY_8 + 2 * HOUR)
    assert [m.to for m in mailoutbox] == [["leader@example.org"]]
    assert LeadershipDigest.objects.count() == 1


def test_it_comes_on_the_subscribers_local_monday_morning(
    leader, launched, time_machine, mailoutbox
):
    prefer(leader, timezone="Asia/Tokyo", digest_hour=7)  # UTC+9
    send_due(time_machine, MONDAY_8 - 10 * HOUR)  # Sunday 22:00 UTC, Monday 07:00
    assert len(mailoutbox) == 1
    # Summer time starts in Los Angeles on 8 March: UTC−7 that Monday.
    prefer(leader, timezone="America/Los_Angeles", digest_hour=8)
    send_due(time_machine, MONDAY_8 + 7 * DAY + 5 * HOUR)  # 13:00 UTC, 06:00 in LA
    assert len(mailoutbox) == 1
    send_due(time_machine, MONDAY_8 + 7 * DAY + 7 * HOUR)  # 15:00 UTC, 08:00 in LA
    assert len(mailoutbox) == 2


def test_quiet_hours_hold_it_and_a_late_subscriber_waits_for_monday(
    leader, alice, launched, time_machine, mailoutbox
):
    prefer(leader, quiet_start_hour=6, quiet_end_hour=10)
    send_due(time_machine, MONDAY_8 + HOUR)  # 09:00, quiet
    assert mailoutbox == []
    send_due(time_machine, MONDAY_8 + 2 * HOUR)  # 10:00, quiet hours are over
    assert [m.to for m in mailoutbox] == [["leader@example.org"]]
    time_machine.move_to(MONDAY_8 + DAY, tick=False)
    prefer(alice, leadership_digest=True)  # on Tuesday: her first is next Monday
    send_due(time_machine, MONDAY_8 + DAY + HOUR)
    send_due(time_machine, MONDAY_8 + 7 * DAY)
    assert [m.to for m in mailoutbox][1:] == [["alice@example.org"]]


def test_unsubscribing_before_it_is_sent_drops_it(
    leader, launched, time_machine, mailoutbox
):
    time_machine.move_to(MONDAY_8, tick=False)
    [digest_id] = leadership_digests_prepare()
    prefer(leader, leadership_digest=False)
    assert leadership_digest_send(digest_id=digest_id) is False
    assert mailoutbox == []
    assert not LeadershipDigest.objects.exists()


def test_digest_abandoned_by_a_dead_worker_is_sent_once_after_the_lease(
    leader, launched, time_machine, mailoutbox, monkeypatch
):
    time_machine.move_to(MONDAY_8, tick=False)
    [digest_id] = leadership_digests_prepare()

    def worker_dies(*args):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr("tracker.reports.digest.send_leadership_digest", worker_dies)
        with pytest.raises(SystemExit):
            leadership_digest_send(digest_id=digest_id)
    send_due(time_machine, MONDAY_8 + 10 * HOUR / 60)
    assert mailoutbox == []
    send_due(time_machine, MONDAY_8 + 16 * HOUR / 60)
    send_due(time_machine, MONDAY_8 + HOUR)
    assert len(mailoutbox) == 1


def test_a_failed_send_is_counted_and_released_for_a_retry(
    leader, launched, time_machine, mailoutbox, monkeypatch
):
    time_machine.move_to(MONDAY_8, tick=False)
    [digest_id] = leadership_digests_prepare()

    def down(*args):
        raise ConnectionRefusedError("SMTP server down")

    with monkeypatch.context() as patch:
        patch.setattr("tracker.reports.digest.send_leadership_digest", down)
        with pytest.raises(ConnectionRefusedError):
            leadership_digest_send(digest_id=digest_id)
    row = LeadershipDigest.objects.get()
    assert (row.attempts, row.claimed_at, row.sent_at) == (1, None, None)
    assert "SMTP server down" in row.last_error
    assert leadership_digest_send(digest_id=digest_id) is True
    assert len(mailoutbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_digest_per_person(launched, time_machine, mailoutbox):
    for name in ("leader", "ceo", "cto"):
        prefer(UserFactory(username=name), timezone="UTC", leadership_digest=True)
    time_machine.move_to(MONDAY_8, tick=False)
    _in_parallel(tasks.leadership_digests_send_due, n=3)
    _in_parallel(tasks.leadership_digests_send_due, n=3)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "ceo@example.org",
        "cto@example.org",
        "leader@example.org",
    ]
    assert LeadershipDigest.objects.filter(sent_at__isnull=False).count() == 3
