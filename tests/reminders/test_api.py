"""GET /api/v1/notifications/ and POST /api/v1/notifications/{id}/read/."""

import pytest
from rest_framework.test import APIClient

from tests.reminders.helpers import DAY, HOUR, LAUNCH, make_metric, run
from tests.reminders.test_views import notify
from tracker.reminders.models import Reminder
from tracker.reminders.services import notifications

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"


def read_url(pk: int) -> str:
    return f"/api/v1/notifications/{pk}/read/"


@pytest.fixture
def api():
    return APIClient()


def test_list_shows_the_callers_notifications_newest_first(
    api, bob, launched, time_machine
):
    time_machine.move_to(LAUNCH, tick=False)
    metric = make_metric(launched, owner=bob)
    run(time_machine, LAUNCH + 7 * DAY + HOUR)
    older = notify(bob, title="Older")[0]
    api.force_authenticate(bob)
    response = api.get(LIST)
    assert response.status_code == 200
    assert response.data["count"] == 2
    newest = response.json()["results"][0]
    assert newest == {
        "id": Reminder.objects.get(channel="in_app", subject_id=metric.pk).pk,
        "kind": "metric_followup",
        "headline": "Measurement due",
        "title": "Chargeback losses · Fraud score",
        "escalation": False,
        "subject": {
            "type": "metric",
            "id": metric.pk,
            "url": "https://tracker.example.org/products/fraud-score/metrics/"
            f"{metric.pk}/",
        },
        "due_at": "2026-03-09T09:00:00Z",
        "created_at": "2026-03-09T10:00:00Z",
        "read_at": None,
        "resolved_at": None,
        "unread": True,
    }
    assert response.json()["results"][1]["id"] == older.pk


def test_list_filters_unread(api, bob):
    first, second = notify(bob, 2)
    notifications.notification_mark_read(notification=first)
    api.force_authenticate(bob)
    unread = api.get(LIST, {"unread": "true"}).json()["results"]
    read = api.get(LIST, {"unread": "false"}).json()["results"]
    assert [n["id"] for n in unread] == [second.pk]
    assert [n["id"] for n in read] == [first.pk]


def test_outsider_lists_none_of_bobs_notifications(api, bob, carol):
    notify(bob, 2)
    api.force_authenticate(carol)
    assert api.get(LIST).json()["count"] == 0


def test_mark_read(api, bob):
    [notification] = notify(bob)
    api.force_authenticate(bob)
    response = api.post(read_url(notification.pk))
    assert response.status_code == 200
    assert response.json()["unread"] is False
    assert response.json()["read_at"] is not None
    again = api.post(read_url(notification.pk))
    assert again.json()["read_at"] == response.json()["read_at"]


def test_outsider_cannot_mark_bobs_notification_read(api, bob, carol):
    [notification] = notify(bob)
    api.force_authenticate(carol)
    assert api.post(read_url(notification.pk)).status_code == 404
    assert api.post(read_url(999999)).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_email_reminders_are_not_notifications(api, bob):
    [notification] = notify(bob)
    Reminder.objects.filter(pk=notification.pk).update(channel="email", sent_at=None)
    api.force_authenticate(bob)
    assert api.get(LIST).json()["count"] == 0
    assert api.post(read_url(notification.pk)).status_code == 404


def test_anonymous_is_refused(api, bob):
    [notification] = notify(bob)
    assert api.get(LIST).status_code in (401, 403)
    assert api.post(read_url(notification.pk)).status_code in (401, 403)


def test_list_query_count_does_not_grow(api, bob, django_assert_num_queries):
    notify(bob, 2)
    api.force_authenticate(bob)
    with django_assert_num_queries(2) as small:  # count, page
        api.get(LIST)
    notify(bob, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        api.get(LIST)
