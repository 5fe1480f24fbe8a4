"""The postmortems' reminder rules, with frozen time: action items due soon and
overdue (with escalation), and drafts past their review deadline. Who is
reminded, when, once, and when it stops."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ProductFactory, SessionFactory, UserFactory
from tests.postmortems.conftest import move, resolved_incident
from tests.reminders.helpers import DAY, HOUR, LAUNCH, rows, run
from tracker.postmortems.models import Status
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
    action_item_update,
)
from tracker.postmortems.services.writeup import postmortem_create, postmortem_update
from tracker.products import services as product_services
from tracker.reminders.models import Reminder
from tracker.reminders.services import notifications, sweep

pytestmark = pytest.mark.django_db
SITE = "https://tracker.example.org"
THURSDAY = (LAUNCH + 3 * DAY).date()  # three days after Monday LAUNCH


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = SITE
    settings.REMINDERS_ACTION_ITEM_DUE_SOON_DAYS = 3
    settings.POSTMORTEM_REVIEW_BUSINESS_DAYS = 5


@pytest.fixture
def draft(product, alice, dave, bob, time_machine):
    """A draft by alice, reviewed-to-be by bob, with dave as its review owner,
    covering a SEV2 incident resolved two hours before LAUNCH (Monday): its
    deadline is five business days later, Monday 9 March, 07:00 UTC."""
    time_machine.move_to(LAUNCH - HOUR, tick=False)
    incident = resolved_incident(product, bob, severity="sev2", hours_ago=3)
    return postmortem_create(
        product=product,
        actor=alice,
        data={
            "title": "Drift after retraining",
            "incidents": [incident],
            "review_owner": dave,
        },
    )


def _item(*, owner, due=THURSDAY, postmortem=None, session=None, text="Alert"):
    return action_item_create(
        actor=owner,
        postmortem=postmortem,
        session=session,
        data={
            "description": f"{text} on input null rates",
            "kind": "detect",
            "owner": owner,
            "due_date": due,
        },
    )


@pytest.fixture
def item(draft, bob):
    """Bob's action item from the draft, due on Thursday."""
    return _item(owner=bob, postmortem=draft)


def _link(item) -> str:
    return f"{SITE}/postmortems/{item.postmortem_id}/#action-{item.pk}"


# --- Action items due soon ----------------------------------------------------------


def test_item_due_within_three_days_reminds_its_owner(item, time_machine, mailoutbox):
    run(time_machine, LAUNCH)
    assert rows(rule="action_item_due_soon") == [
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    reminder = Reminder.objects.get(channel="in_app")
    assert (reminder.subject_type, reminder.subject_id) == ("action_item", item.pk)
    assert reminder.occurrence.date() == THURSDAY
    [mail] = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject == (
        "Action item due soon: Alert on input null rates · Fraud score"
    )
    assert "due on 5 Mar 2026" in mail.body
    assert _link(item) in mail.body
    assert _link(item) in mail.alternatives[0][0]


@pytest.mark.parametrize(("days", "reminded"), [(3, False), (4, True)])
def test_how_soon_is_a_setting(draft, bob, time_machine, settings, days, reminded):
    settings.REMINDERS_ACTION_ITEM_DUE_SOON_DAYS = days
    _item(owner=bob, postmortem=draft, due=(LAUNCH + 4 * DAY).date())
    run(time_machine, LAUNCH)
    assert bool(rows()) is reminded


def test_item_without_owner_reminds_the_review_owner(draft, time_machine):
    _item(owner=None, postmortem=draft)
    run(time_machine, LAUNCH)
    assert rows() == [("dave", "email", False), ("dave", "in_app", False)]


# --- Overdue action items and escalation --------------------------------------------


def test_overdue_item_reminds_the_owner_and_escalates_to_the_review_owner(
    item, time_machine, mailoutbox
):
    run(time_machine, LAUNCH)
    run(time_machine, LAUNCH + 3 * DAY)  # due today: still only "due soon"
    assert len(mailoutbox) == 1
    run(time_machine, LAUNCH + 4 * DAY)
    assert rows(rule="action_item_overdue") == [
        ("bob", "email", False),
        ("bob", "in_app", False),
        ("dave", "email", True),
        ("dave", "in_app", True),
    ]
    to_bob, to_dave = mailoutbox[1:]
    assert (to_bob.to, to_dave.to) == (["bob@example.org"], ["dave@example.org"])
    assert to_bob.subject.startswith("Action item overdue: Alert on input")
    assert to_dave.subject.startswith("Overdue action item, escalated: Alert")
    assert "review owner" in to_dave.body
    assert _link(item) in to_dave.body


def test_overdue_session_item_escalates_to_the_pm_owner(
    product, bob, time_machine, mailoutbox
):
    session = SessionFactory(product=product, title="Kick-off")
    item = _item(owner=bob, session=session, due=(LAUNCH - DAY).date())
    run(time_machine, LAUNCH)
    assert rows() == [
        ("alice", "email", True),
        ("alice", "in_app", True),
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]
    link = f"{SITE}/products/fraud-score/sessions/{session.pk}/#action-{item.pk}"
    assert all(link in mail.body for mail in mailoutbox)


def test_review_owner_who_owns_the_item_is_reminded_once(draft, dave, time_machine):
    _item(owner=dave, postmortem=draft, due=(LAUNCH - DAY).date())
    run(time_machine, LAUNCH)
    assert rows() == [("dave", "email", False), ("dave", "in_app", False)]


def test_items_of_retired_products_are_not_chased(item, product, time_machine):
    product_services.product_change_stage(
        product=product, stage="retired", actor=None, at=LAUNCH - HOUR
    )
    run(time_machine, LAUNCH + 10 * DAY)
    assert rows(subject_type="action_item") == []


# --- Closing an item, moving it -----------------------------------------------------


@pytest.fixture
def bob_is_quiet(bob):
    """Bob's mail waits until 18:00 UTC, so it is still unsent when he acts."""
    notifications.preferences_update(
        user=bob, data={"timezone": "UTC", "quiet_start_hour": 8, "quiet_end_hour": 18}
    )


@pytest.mark.parametrize(("status", "note"), [("done", ""), ("wont_do", "Obsolete.")])
def test_closing_an_item_stops_its_reminders_and_cancels_unsent_mail(
    item, bob, bob_is_quiet, time_machine, mailoutbox, status, note
):
    run(time_machine, LAUNCH)
    action_item_set_status(item=item, actor=bob, status=status, note=note)
    run(time_machine, LAUNCH + HOUR)
    email = Reminder.objects.get(channel="email")
    assert (email.cancelled_at, email.resolved_at) == (LAUNCH + HOUR, LAUNCH + HOUR)
    assert Reminder.objects.get(channel="in_app").resolved_at == LAUNCH + HOUR
    run(time_machine, LAUNCH + 4 * DAY + 10 * HOUR)  # past due, after quiet hours
    assert Reminder.objects.count() == 2
    assert mailoutbox == []


def test_moving_the_due_date_starts_a_new_occurrence(item, bob, time_machine):
    run(time_machine, LAUNCH + 4 * DAY)  # overdue
    action_item_update(
        item=item, actor=bob, data={"due_date": (LAUNCH + 9 * DAY).date()}
    )
    run(time_machine, LAUNCH + 4 * DAY + HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    run(time_machine, LAUNCH + 6 * DAY)  # three days before the new date
    assert rows(resolved_at__isnull=True) == [
        ("bob", "email", False),
        ("bob", "in_app", False),
    ]


def test_due_dates_are_days_in_the_tracker_time_zone(item, bob, settings, time_machine):
    settings.TIME_ZONE = "America/New_York"  # LAUNCH is 04:00 there
    run(time_machine, LAUNCH)
    run(time_machine, LAUNCH + 3 * DAY + 3 * HOUR)  # Thursday 02:00: due today
    [due_soon] = Reminder.objects.filter(channel="in_app")
    assert due_soon.occurrence.isoformat() == "2026-03-05T05:00:00+00:00"
    run(time_machine, LAUNCH + 3 * DAY + 16 * HOUR)  # Thursday 20:00: not overdue
    assert rows(rule="action_item_overdue") == []
    run(time_machine, LAUNCH + 4 * DAY - 3 * HOUR)  # Friday 01:00: overdue
    assert len(rows(rule="action_item_overdue")) == 4
    assert not Reminder.objects.filter(resolved_at__isnull=False).exists()
    action_item_set_status(item=item, actor=bob, status="done")
    run(time_machine, LAUNCH + 4 * DAY)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()


def test_sweeping_twice_reminds_once(item, time_machine, mailoutbox):
    for at in (LAUNCH, LAUNCH, LAUNCH + HOUR, LAUNCH + 4 * DAY, LAUNCH + 4 * DAY):
        run(time_machine, at)
    assert Reminder.objects.count() == 2 + 4
    assert len(mailoutbox) == 3


# --- Drafts past their review deadline ----------------------------------------------

DEADLINE = LAUNCH + 7 * DAY - 2 * HOUR  # Monday 9 March, 07:00 UTC


def test_late_draft_reminds_its_authors_and_review_owner(
    draft, time_machine, mailoutbox
):
    run(time_machine, DEADLINE - HOUR)
    assert rows() == []
    run(time_machine, DEADLINE + HOUR)
    assert rows() == [
        ("alice", "email", False),
        ("alice", "in_app", False),
        ("dave", "email", False),
        ("dave", "in_app", False),
    ]
    assert {r.occurrence for r in Reminder.objects.all()} == {DEADLINE}
    assert {m.to[0] for m in mailoutbox} == {"alice@example.org", "dave@example.org"}
    mail = mailoutbox[0]
    assert mail.subject == (
        "Postmortem draft past its review deadline: Drift after retraining · "
        "Fraud score"
    )
    edit = SITE + reverse("postmortems:edit", args=[draft.pk])
    assert edit in mail.body
    assert edit in mail.alternatives[0][0]


def test_every_author_is_reminded(draft, alice, bob, time_machine):
    carl = UserFactory(username="carl")
    postmortem_update(postmortem=draft, actor=alice, data={"authors": [alice, carl]})
    run(time_machine, DEADLINE + HOUR)
    assert {name for name, _, _ in rows()} == {"alice", "carl", "dave"}


def test_minor_incidents_need_no_reminder(product, alice, bob, time_machine):
    time_machine.move_to(LAUNCH - HOUR, tick=False)
    incident = resolved_incident(product, bob, severity="sev3", hours_ago=3)
    postmortem_create(
        product=product, actor=alice, data={"title": "Minor", "incidents": [incident]}
    )
    run(time_machine, DEADLINE + 30 * DAY)
    assert rows() == []


@pytest.fixture
def alice_is_quiet(alice):
    notifications.preferences_update(
        user=alice,
        data={"timezone": "UTC", "quiet_start_hour": 8, "quiet_end_hour": 18},
    )


def test_submitting_for_review_stops_the_reminders(
    draft, alice, bob, alice_is_quiet, time_machine, mailoutbox
):
    run(time_machine, DEADLINE + 2 * HOUR)  # 09:00: alice's mail waits until 18:00
    postmortem_update(postmortem=draft, actor=alice, data={"reviewers": [bob]})
    move(draft, alice, Status.IN_REVIEW)
    run(time_machine, DEADLINE + 3 * HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    to_alice = Reminder.objects.get(recipient=alice, channel="email")
    assert to_alice.cancelled_at == DEADLINE + 3 * HOUR
    run(time_machine, DEADLINE + 12 * HOUR)
    assert [m.to for m in mailoutbox] == [["dave@example.org"]]


def test_back_to_draft_is_not_reminded_again_for_the_same_deadline(
    draft, alice, bob, time_machine
):
    run(time_machine, DEADLINE + HOUR)
    postmortem_update(postmortem=draft, actor=alice, data={"reviewers": [bob]})
    move(draft, alice, Status.IN_REVIEW)
    run(time_machine, DEADLINE + 2 * HOUR)
    move(draft, alice, Status.DRAFT, reason="Needs the timeline.")
    run(time_machine, DEADLINE + 3 * HOUR)
    assert Reminder.objects.count() == 4
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()


def test_an_explicit_deadline_counts_and_moving_it_starts_again(
    draft, alice, time_machine
):
    postmortem_update(postmortem=draft, actor=alice, data={"review_deadline": THURSDAY})
    run(time_machine, LAUNCH + 3 * DAY + 14 * HOUR)  # Thursday 23:00: not yet
    assert rows() == []
    run(time_machine, LAUNCH + 4 * DAY)  # Friday
    assert rows(resolved_at__isnull=True) == [
        ("alice", "email", False),
        ("alice", "in_app", False),
        ("dave", "email", False),
        ("dave", "in_app", False),
    ]
    later = (LAUNCH + 10 * DAY).date()
    time_machine.move_to(LAUNCH + 4 * DAY + HOUR, tick=False)
    postmortem_update(postmortem=draft, actor=alice, data={"review_deadline": later})
    run(time_machine, LAUNCH + 4 * DAY + 2 * HOUR)
    assert not Reminder.objects.filter(resolved_at__isnull=True).exists()
    run(time_machine, LAUNCH + 11 * DAY)
    assert Reminder.objects.filter(resolved_at__isnull=True).count() == 4
    assert Reminder.objects.count() == 8


# --- Outsiders ----------------------------------------------------------------------


def test_outsider_sees_none_of_the_reminders(item, carol_client, time_machine):
    run(time_machine, LAUNCH + 7 * DAY)  # the item overdue, the draft late
    assert Reminder.objects.filter(channel="in_app").count() == 4
    page = carol_client.get(reverse("reminders:notifications")).content.decode()
    assert "Alert on input null rates" not in page
    assert "Drift after retraining" not in page
    assert carol_client.get("/api/v1/notifications/").json()["results"] == []
    for notification in Reminder.objects.filter(channel="in_app"):
        url = reverse("reminders:open", args=[notification.pk])
        assert carol_client.get(url).status_code == 404


# --- Query count --------------------------------------------------------------------


def _late_work(team, n: int) -> None:
    """n products, each with a draft late on Monday 9 March (two authors, a
    review owner), an item due on the 10th, an overdue one, and an overdue item
    from a planning session."""
    for _ in range(n):
        pm, writer, second, owner = (UserFactory() for _ in range(4))
        product = ProductFactory(team=team, pm_owner=pm)
        incident = resolved_incident(product, writer, severity="sev1", hours_ago=3)
        postmortem = postmortem_create(
            product=product,
            actor=writer,
            data={
                "title": "Late",
                "incidents": [incident],
                "authors": [writer, second],
                "review_owner": owner,
            },
        )
        _item(owner=writer, postmortem=postmortem, due=(LAUNCH + 8 * DAY).date())
        _item(owner=second, postmortem=postmortem, due=(LAUNCH - DAY).date())
        _item(owner=writer, session=SessionFactory(product=product), due=LAUNCH.date())


def _sweep_queries(at) -> int:
    with CaptureQueriesContext(connection) as captured:
        sweep.reminders_record_due(now=at)
    return len(captured.captured_queries)


def test_sweep_query_count_does_not_grow_with_the_number_due(team, time_machine):
    # SQLite splits an INSERT of more than 52 reminders (999 parameters).
    small, big = (2, 10) if connection.vendor == "postgresql" else (1, 2)
    # An item due soon (1 person), two overdue (2 each), a draft (3): 8 × 2 channels.
    per_product = 16
    at = LAUNCH + 7 * DAY
    time_machine.move_to(LAUNCH - HOUR, tick=False)
    _late_work(team, small)
    queries = _sweep_queries(at)
    assert Reminder.objects.count() == small * per_product
    _late_work(team, big)
    assert _sweep_queries(at) == queries
    assert Reminder.objects.count() == (small + big) * per_product


def test_sweep_pages_through_batches(team, time_machine, settings):
    settings.REMINDERS_BATCH_SIZE = 1
    time_machine.move_to(LAUNCH - HOUR, tick=False)
    _late_work(team, 3)
    recorded = sweep.reminders_record_due(now=LAUNCH + 7 * DAY)
    assert recorded["postmortem_draft_overdue"] == 3 * 6
    assert recorded["action_item_overdue"] == 3 * 8
    assert recorded["action_item_due_soon"] == 3 * 2
    again = sweep.reminders_record_due(now=LAUNCH + 7 * DAY)
    assert sum(again.values()) == 0
