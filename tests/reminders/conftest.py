"""Fixtures for the reminders tests.

Tasks run eagerly here whatever REDIS_URL says (the worker test switches that
off for itself), so `mailoutbox` holds what a worker would have sent. Time is
frozen with time-machine at instants around helpers.LAUNCH.
"""

import pytest

from tests.factories import ProductFactory, UserFactory
from tests.reminders.helpers import LAUNCH
from tracker.reminders.models import KPIReviewPlan


@pytest.fixture(autouse=True)
def _reminder_settings(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.SITE_URL = "https://tracker.example.org"
    settings.REMINDERS_BATCH_SIZE = 1000
    settings.REMINDERS_CLAIM_LEASE_SECONDS = 900
    settings.REMINDERS_REVIEW_PERIOD_DAYS = 90


@pytest.fixture
def dan(db):
    """Engineering owner of the launched product."""
    return UserFactory(username="dan", first_name="Dan")


@pytest.fixture
def launched(team, alice, bob, dan):
    """In production since LAUNCH: alice is the PM owner, bob the ML owner and
    dan the engineering owner. No KPI reviews planned, so tests of the other
    rules see only their own reminders."""
    product = ProductFactory(
        name="Fraud score",
        slug="fraud-score",
        team=team,
        stage="production",
        stage_entered_at=LAUNCH,
        launched_at=LAUNCH,
        pm_owner=alice,
        ml_owner=bob,
        eng_owner=dan,
    )
    KPIReviewPlan.objects.create(product=product, weeks=[])
    return product
