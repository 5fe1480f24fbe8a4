"""Reminders in a real browser: the bell counts what is due, the notification
leads to the metric, recording the measurement there ends the follow-up."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ProductFactory
from tracker.products import services as product_services
from tracker.reminders.services import sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_a_reminder_to_the_measurement(
    page, live_server, sign_in, shoot, team, bob, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    launched = timezone.now() - timedelta(days=10)
    product = ProductFactory(
        name="Fraud score",
        slug="fraud-score",
        team=team,
        stage="production",
        stage_entered_at=launched,
        launched_at=launched,
    )
    metric = product_services.metric_create(
        product=product,
        data={"name": "Chargeback losses", "owner": bob, "cadence_days": 7},
    )
    sweep.reminders_record_due()

    sign_in("bob")
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    shoot("10-bell")
    bell.click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    shoot("11-notifications")

    page.get_by_role("link", name="Chargeback losses · Fraud score").click()
    expect(page).to_have_url(
        f"{live_server.url}/products/fraud-score/metrics/{metric.pk}/"
    )
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Value").fill("350")
    page.get_by_label("Measured at").fill(when)
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Measurement recorded.")).to_be_visible()

    sweep.reminders_record_due()
    page.get_by_role("link", name="Notifications", exact=True).click()
    expect(page.get_by_text(re.compile("done"))).to_be_visible()
    shoot("12-notification-done")
