"""Ratings posted at once against PostgreSQL: however many cross the threshold
together, one bad_predictions incident opens, and none is missed (SQLite
serialises everything, so these run on PostgreSQL only; CI fails without it)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import bearer
from tracker.accounts.services import token_create
from tracker.incidents.models import Incident, Kind
from tracker.outcomes import services
from tracker.outcomes.models import Feedback

THREADS = 16
RATINGS = 40

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _concurrently(func, count: int) -> list:
    start = threading.Event()

    def run(i):
        start.wait()
        try:
            return func(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        start.set()
        return [future.result(timeout=120) for future in futures]


def test_ratings_crossing_the_threshold_together_open_one_incident(
    product, alice, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    raw = token_create(user=alice, name="ci", product=product)[1]
    url = f"/api/v1/products/{product.slug}/feedback/"
    responses = _concurrently(
        lambda i: bearer(raw).post(url, {"rating": "bad", "prediction_id": str(i)}),
        RATINGS,
    )
    assert {r.status_code for r in responses} == {201}
    incident = Incident.objects.get()
    assert incident.kind == Kind.BAD_PREDICTIONS
    # Every bad rating from the one that crossed the threshold on is linked.
    assert Feedback.objects.count() == RATINGS
    assert Feedback.objects.filter(incident=incident).count() == RATINGS


def test_a_crossing_is_not_missed_when_each_rating_alone_stays_under(product):
    # One bad and seven good already. Two bad ratings arrive at once: each alone
    # would count nine ratings (under the minimum of ten), together they make
    # ten with three bad (30%). The second counted must see the first.
    now = timezone.now()
    Feedback.objects.bulk_create(
        Feedback(product=product, rating=rating, created_at=now)
        for rating in ["bad"] + ["good"] * 7
    )
    _concurrently(
        lambda i: services.feedback_submit(
            product=product, data={"rating": "bad"}, actor=None
        ),
        2,
    )
    assert Incident.objects.count() == 1
