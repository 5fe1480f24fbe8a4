"""Pages: the bell, notifications, preferences, KPI reviews and the "mark as
reviewed" buttons. Every page has an outsider test (carol)."""

import re
from datetime import timedelta
from itertools import count

import pytest
from django.urls import reverse

from tests.factories import MeasurementFactory, SLAFactory
from tests.reminders.helpers import DAY, LAUNCH, make_metric
from tracker.reminders.context_processors import Bell
from tracker.reminders.models import (
    KPIReview,
    KPIReviewPlan,
    NotificationPreferences,
    Reminder,
    ReviewConfirmation,
)
from tracker.reminders.services import notifications, reviews

pytestmark = pytest.mark.django_db
SUBJECT_IDS = count(1000)


def notify(user, n: int = 1, *, title: str = "Chargeback losses · Fraud score"):
    """n in-app notifications for `user`, one minute apart, newest last."""
    made = []
    for i in range(n):
        at = LAUNCH + timedelta(minutes=i)
        made.append(
            Reminder.objects.create(
                rule="metric_followup",
                subject_type="metric",
                subject_id=next(SUBJECT_IDS),
                occurrence=at,
                recipient=user,
                channel="in_app",
                title=f"{title} {i}",
                url="/products/fraud-score/metrics/7/",
                created_at=at,
                sent_at=at,
            )
        )
    return made


# --- The bell -----------------------------------------------------------------------


def test_bell_shows_the_unread_count_on_every_page(bob_client, bob, team):
    notify(bob, 2)
    read = notify(bob, 1, title="Old")[0]
    notifications.notification_mark_read(notification=read)
    page = bob_client.get(reverse("products:list")).content.decode()
    assert 'aria-label="Notifications, 2 unread"' in page
    assert '<span class="bell-count">2</span>' in page


def test_bell_without_unread_shows_no_count(bob_client, team):
    page = bob_client.get(reverse("products:list")).content.decode()
    assert 'aria-label="Notifications"' in page
    assert "bell-count" not in page


def test_bell_caps_the_label(bob):
    bell = Bell(bob)
    bell.unread = 120
    assert bell.label == "99+"


def test_anonymous_pages_have_no_bell_and_no_query(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        page = client.get(reverse("accounts:login")).content.decode()
    assert "bell" not in page


# --- Notifications page -------------------------------------------------------------


@pytest.mark.parametrize("name", ["reminders:notifications", "reminders:preferences"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_notifications_newest_first_with_an_unread_filter(bob_client, bob):
    first, second, third = notify(bob, 3)
    notifications.notification_mark_read(notification=second)
    page = bob_client.get(reverse("reminders:notifications")).content.decode()
    assert page.index(third.title) < page.index(second.title) < page.index(first.title)
    unread = bob_client.get(reverse("reminders:notifications") + "?unread=true")
    assert second.title not in unread.content.decode()
    assert first.title in unread.content.decode()


def test_outsider_sees_none_of_bobs_notifications(carol_client, bob):
    [notification] = notify(bob)
    page = carol_client.get(reverse("reminders:notifications")).content.decode()
    assert notification.title not in page
    assert "No notifications yet." in page


def test_following_a_notification_reads_it_and_goes_where_to_act(bob_client, bob):
    [notification] = notify(bob)
    response = bob_client.get(reverse("reminders:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/products/fraud-score/metrics/7/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_one_read_and_return(bob_client, bob):
    [notification] = notify(bob)
    back = reverse("reminders:notifications") + "?unread=true"
    response = bob_client.post(
        reverse("reminders:read", args=[notification.pk]), {"next": back}
    )
    assert response["Location"] == back
    notification.refresh_from_db()
    assert notification.read_at is not None
    evil = bob_client.post(
        reverse("reminders:read", args=[notification.pk]),
        {"next": "https://evil.example/"},
    )
    assert evil["Location"] == reverse("reminders:notifications")


def test_mark_all_read_touches_only_ones_own(bob_client, bob, carol):
    notify(bob, 3)
    [carols] = notify(carol)
    bob_client.post(reverse("reminders:read_all"))
    assert not Reminder.objects.filter(recipient=bob, read_at__isnull=True).exists()
    carols.refresh_from_db()
    assert carols.read_at is None


@pytest.mark.parametrize("name", ["reminders:read", "reminders:open"])
def test_outsider_cannot_read_or_follow_bobs_notification(carol_client, bob, name):
    [notification] = notify(bob)
    url = reverse(name, args=[notification.pk])
    response = (
        carol_client.post(url) if name == "reminders:read" else (carol_client.get(url))
    )
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_read_needs_a_post(bob_client, bob):
    [notification] = notify(bob)
    response = bob_client.get(reverse("reminders:read", args=[notification.pk]))
    assert response.status_code == 405


def test_notifications_page_query_count_does_not_grow(
    bob_client, bob, django_assert_num_queries
):
    notify(bob, 2)
    with django_assert_num_queries(5) as small:  # session, user, count, page, bell
        bob_client.get(reverse("reminders:notifications"))
    notify(bob, 20, title="More")
    with django_assert_num_queries(len(small.captured_queries)):
        bob_client.get(reverse("reminders:notifications"))


# --- Preferences --------------------------------------------------------------------


def test_preferences_show_the_defaults_and_save(bob_client, bob):
    page = bob_client.get(reverse("reminders:preferences")).content.decode()
    assert "Quiet hours" in page and "Daily digest" in page
    assert "Weekly leadership digest" in page
    [leadership] = re.findall(r'<input[^>]*name="leadership_digest"[^>]*>', page)
    assert "checked" not in leadership  # off by default
    response = bob_client.post(
        reverse("reminders:preferences"),
        {
            "email_enabled": "on",
            "timezone": "Europe/Berlin",
            "quiet_start_hour": "22",
            "quiet_end_hour": "7",
            "digest_enabled": "on",
            "leadership_digest": "on",
            "digest_hour": "9",
        },
    )
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(user=bob)
    assert (prefs.email_enabled, prefs.in_app_enabled, prefs.digest_enabled) == (
        True,
        False,
        True,
    )
    assert prefs.leadership_digest is True
    assert (prefs.quiet_start_hour, prefs.quiet_end_hour, prefs.digest_hour) == (
        22,
        7,
        9,
    )


def test_help_texts_are_announced_with_their_fields(bob_client, bob):
    page = bob_client.get(reverse("reminders:preferences")).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    assert "id_leadership_digest_helptext" in described
    for help_id in described:
        assert f'id="{help_id}"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"quiet_start_hour": "22"}, "Give both ends of the quiet hours"),
        ({"timezone": "Mars/Base"}, "Select a valid choice"),
        ({"quiet_start_hour": "25", "quiet_end_hour": "3"}, "Select a valid choice"),
    ],
)
def test_preferences_report_bad_input(bob_client, bob, data, message):
    base = {"timezone": "UTC", "digest_hour": "8"}
    response = bob_client.post(reverse("reminders:preferences"), {**base, **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not NotificationPreferences.objects.filter(user=bob).exists()


# --- KPI reviews --------------------------------------------------------------------


@pytest.fixture
def review(launched, bob, time_machine):
    """The 2-week review of the launched product, with a KPI measured before
    and after launch."""
    KPIReviewPlan.objects.filter(product=launched).delete()
    time_machine.move_to(LAUNCH + 15 * DAY, tick=False)
    metric = make_metric(launched, owner=bob)
    MeasurementFactory(metric=metric, value=9.5, measured_at=LAUNCH - 3 * DAY)
    MeasurementFactory(metric=metric, value=12.5, measured_at=LAUNCH + 10 * DAY)
    reviews.kpi_reviews_schedule()
    return KPIReview.objects.get(product=launched, weeks=2)


def test_review_page_compares_after_launch_with_the_baseline(alice_client, review):
    page = alice_client.get(review.get_absolute_url()).content.decode()
    assert "2-week KPI review" in page
    assert "9.5" in page and "12.5" in page  # before and after launch
    assert "+25.0%" in page  # against the baseline of 10
    assert "Complete the review" in page


def test_completing_a_review_from_its_page(alice_client, alice, review):
    response = alice_client.post(
        review.get_absolute_url(), {"conclusion": "Up 25% on baseline; keep going."}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.completed_by, review.conclusion) == (
        alice,
        "Up 25% on baseline; keep going.",
    )
    page = alice_client.get(review.get_absolute_url()).content.decode()
    assert "Completed" in page and "Complete the review" not in page


def test_review_needs_a_conclusion(alice_client, review):
    response = alice_client.post(review.get_absolute_url(), {"conclusion": "  "})
    assert response.status_code == 200
    review.refresh_from_db()
    assert review.completed_at is None


def test_outsider_reads_reviews_but_cannot_complete_or_plan_them(
    carol_client, review, launched
):
    assert carol_client.get(review.get_absolute_url()).status_code == 200
    page = carol_client.get(reverse("reminders:kpi_reviews", args=[launched.slug]))
    assert "Save schedule" not in page.content.decode()
    done = carol_client.post(review.get_absolute_url(), {"conclusion": "Mine."})
    plan = carol_client.post(
        reverse("reminders:kpi_reviews", args=[launched.slug]), {"weeks": "1"}
    )
    assert (done.status_code, plan.status_code) == (403, 403)
    review.refresh_from_db()
    assert review.completed_at is None


def test_review_of_another_product_is_404(alice_client, review, team):
    from tests.factories import ProductFactory

    other = ProductFactory(team=team)
    url = reverse("reminders:kpi_review", args=[other.slug, review.pk])
    assert alice_client.get(url).status_code == 404


def test_review_schedule_is_edited_on_the_reviews_page(alice_client, review, launched):
    url = reverse("reminders:kpi_reviews", args=[launched.slug])
    page = alice_client.get(url).content.decode()
    assert 'value="2, 6, 13"' in page
    assert alice_client.post(url, {"weeks": "4, 12"}).status_code == 302
    assert list(launched.kpi_reviews.values_list("weeks", flat=True)) == [4, 12]
    response = alice_client.post(url, {"weeks": "two, 6"})
    assert "“two” is not a number of weeks" in response.content.decode()


# --- "Mark as reviewed" on the survey and SLA pages ---------------------------------


def test_survey_page_offers_mark_as_reviewed_to_editors_only(
    client, alice, carol, launched
):
    url = reverse("products:survey", args=[launched.slug])
    client.force_login(alice)
    assert "Mark as reviewed" in client.get(url).content.decode()
    client.force_login(carol)
    assert "Mark as reviewed" not in client.get(url).content.decode()


def test_marking_the_survey_reviewed(alice_client, alice, launched):
    response = alice_client.post(
        reverse("reminders:survey_reviewed", args=[launched.slug]), follow=True
    )
    assert "Marked the data survey as reviewed" in response.content.decode()
    confirmation = ReviewConfirmation.objects.get()
    assert (confirmation.product, confirmation.sla, confirmation.reviewed_by) == (
        launched,
        None,
        alice,
    )


def test_marking_an_sla_reviewed(alice_client, launched):
    sla = SLAFactory(product=launched)
    page = alice_client.get(sla.get_absolute_url()).content.decode()
    assert reverse("reminders:sla_reviewed", args=[launched.slug, sla.pk]) in page
    response = alice_client.post(
        reverse("reminders:sla_reviewed", args=[launched.slug, sla.pk])
    )
    assert response["Location"] == sla.get_absolute_url()
    assert ReviewConfirmation.objects.get().sla == sla


def test_outsider_cannot_mark_reviewed(carol_client, launched):
    sla = SLAFactory(product=launched)
    survey = carol_client.post(
        reverse("reminders:survey_reviewed", args=[launched.slug])
    )
    sla_post = carol_client.post(
        reverse("reminders:sla_reviewed", args=[launched.slug, sla.pk])
    )
    assert (survey.status_code, sla_post.status_code) == (403, 403)
    assert not ReviewConfirmation.objects.exists()


def test_reviews_page_query_count_does_not_grow(
    alice_client, launched, alice, django_assert_num_queries
):
    url = reverse("reminders:kpi_reviews", args=[launched.slug])
    reviews.kpi_review_plan_update(product=launched, weeks=[2], actor=alice)
    with django_assert_num_queries(6) as small:
        alice_client.get(url)
    reviews.kpi_review_plan_update(product=launched, weeks=[2, 4, 8, 16], actor=alice)
    with django_assert_num_queries(len(small.captured_queries)):
        alice_client.get(url)


def test_launched_product_page_links_to_its_kpi_reviews(alice_client, launched):
    page = alice_client.get(launched.get_absolute_url()).content.decode()
    assert reverse("reminders:kpi_reviews", args=[launched.slug]) in page
