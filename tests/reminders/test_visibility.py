"""Reminders about a private team's products reach only the people who may read
them: the sweep leaves others out, a notification recorded before the team went
private disappears from its reader's list and bell, waiting mail is cancelled,
and the leadership digest lists only what its recipient may read."""

import importlib

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from tests.factories import (
    IncidentFactory,
    ProductFactory,
    SessionFactory,
    SLAFactory,
    UserFactory,
)
from tests.reminders.helpers import DAY, HOUR, LAUNCH, make_metric, rows, run
from tracker.accounts.models import Visibility
from tracker.accounts.services import token_create
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create
from tracker.reminders.models import KPIReview, Reminder
from tracker.reminders.selectors import notification_unread_count
from tracker.reminders.services import delivery, notifications, outbox, sweep
from tracker.reports.digest import leadership_digest_send, leadership_digests_prepare

pytestmark = pytest.mark.django_db
DUE = LAUNCH + 7 * DAY + HOUR


def _private(team) -> None:
    team.visibility = Visibility.PRIVATE
    team.save()


@pytest.fixture
def carols_metric(launched, carol, time_machine):
    """A metric of alice's team's product that carol (an outsider) reports."""
    time_machine.move_to(LAUNCH, tick=False)
    return make_metric(launched, owner=carol, cadence=7)


def test_the_sweep_reminds_only_people_who_may_read_a_private_product(
    carols_metric, team, dan, time_machine
):
    _private(team)
    run(time_machine, DUE)
    assert rows() == []  # carol may not read it: nobody else is due yet
    run(time_machine, DUE + 8 * DAY)  # overdue by a cadence: the PM owner too
    assert rows() == [("alice", "email", True), ("alice", "in_app", True)]
    assert set(Reminder.objects.values_list("product", flat=True)) == {
        carols_metric.product_id
    }


def test_an_owner_outside_the_team_is_still_reminded(launched, team, dan, time_machine):
    """dan is the product's engineering owner, not a member of its team."""
    _private(team)
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=dan, cadence=7)
    run(time_machine, DUE)
    assert rows() == [("dan", "email", False), ("dan", "in_app", False)]


def test_the_same_metric_of_an_organisation_team_reminds_its_outside_owner(
    carols_metric, time_machine
):
    run(time_machine, DUE)
    assert rows() == [("carol", "email", False), ("carol", "in_app", False)]


def test_a_notification_about_a_product_gone_private_disappears(
    carols_metric, team, carol, client, time_machine, mailoutbox
):
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()  # recorded, mail not sent yet
    notification = Reminder.objects.get(channel="in_app")
    mail = Reminder.objects.get(channel="email")
    assert notification_unread_count(user=carol) == 1
    _private(team)
    assert notification_unread_count(user=carol) == 0
    client.force_login(carol)
    assert b"Chargeback losses" not in client.get("/notifications/").content
    assert client.get(f"/notifications/{notification.pk}/").status_code == 404
    client.post("/notifications/read/")
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=carol, name='t')[1]}"
    )
    assert api.get("/api/v1/notifications/").json()["count"] == 0
    assert api.post(f"/api/v1/notifications/{notification.pk}/read/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None  # "mark all read" did not reach it
    assert delivery.reminder_send(reminder_id=mail.pk) is False
    mail.refresh_from_db()
    assert mail.cancelled_at and mail.last_error == outbox.NOT_READABLE
    assert mailoutbox == []


def test_the_daily_digest_leaves_out_a_product_gone_private(
    launched, team, other_team, carol, time_machine, mailoutbox
):
    notifications.preferences_update(user=carol, data={"digest_enabled": True})
    time_machine.move_to(LAUNCH, tick=False)
    make_metric(launched, owner=carol, cadence=7, name="Hidden losses")
    elsewhere = ProductFactory(
        name="Elsewhere",
        team=other_team,
        stage="production",
        stage_entered_at=LAUNCH,
        launched_at=LAUNCH,
    )
    make_metric(elsewhere, owner=carol, cadence=7, name="Open losses")
    time_machine.move_to(DUE, tick=False)
    sweep.reminders_record_due()
    _private(team)
    run(time_machine, DUE + HOUR)  # past her digest hour (08:00)
    [digest] = mailoutbox
    assert "Open losses" in digest.body and "Hidden losses" not in digest.body
    hidden = Reminder.objects.get(channel="email", title__startswith="Hidden")
    assert hidden.cancelled_at and not hidden.sent_at


def test_the_leadership_digest_lists_only_what_its_reader_may_read(
    launched, team, time_machine, mailoutbox
):
    leader = UserFactory(username="leader")
    auditor = UserFactory(username="auditor", is_staff=True)
    for person in (leader, auditor):
        notifications.preferences_update(
            user=person, data={"leadership_digest": True, "timezone": "UTC"}
        )
    _private(team)  # the launched product needs attention (no KPI, no SLA)
    time_machine.move_to(LAUNCH - HOUR, tick=False)  # Monday, 08:00
    leadership_digests_prepare()
    for pk in leadership_digests_prepare():
        leadership_digest_send(digest_id=pk)
    sent = {message.to[0]: message for message in mailoutbox}
    assert "Fraud score" not in sent["leader@example.org"].body
    assert "no product needs attention" in sent["leader@example.org"].subject
    assert "Fraud score" in sent["auditor@example.org"].body


# --- Reminders recorded before the product was remembered ---------------------------


@pytest.fixture
def subjects(launched, alice, time_machine) -> dict[str, int]:
    """One subject of every kind a reminder is about, by subject type."""
    time_machine.move_to(LAUNCH, tick=False)
    review = KPIReview.objects.create(
        product=launched, weeks=2, due_at=LAUNCH, created_at=LAUNCH
    )
    item = action_item_create(
        actor=alice,
        session=SessionFactory(product=launched),
        data={"description": "d", "kind": "detect"},
    )
    postmortem = postmortem_create(
        product=launched,
        actor=alice,
        data={"title": "t", "incidents": [IncidentFactory(product=launched)]},
    )
    return {
        "metric": make_metric(launched, owner=alice).pk,
        "kpi_review": review.pk,
        "survey": launched.pk,
        "sla": SLAFactory(product=launched).pk,
        "action_item": item.pk,
        "postmortem": postmortem.pk,
    }


def test_the_migration_gives_old_reminders_their_product(launched, subjects, alice):
    for n, (kind, pk) in enumerate(subjects.items()):
        Reminder.objects.create(
            rule=kind,
            subject_type=kind,
            subject_id=pk,
            occurrence=LAUNCH + n * HOUR,
            recipient=alice,
            channel="in_app",
            title=kind,
            url="/",
            created_at=LAUNCH,
        )
    migration = importlib.import_module(
        "tracker.reminders.migrations.0003_reminder_product"
    )
    migration.backfill(django_apps, None)
    assert dict(
        Reminder.objects.values_list("subject_type", "product")
    ) == dict.fromkeys(subjects, launched.pk)
