"""Change notices end to end through a real Redis broker and a real Celery
worker on PostgreSQL: posting a notice queues the sweep, the worker records and
sends the reminders, and each person on the other side hears of it once, however
often the sweep runs again."""

import threading

import pytest
from celery.signals import task_postrun

from tests.broker import WAIT_SECONDS, through_broker, worker
from tests.conftest import bearer
from tests.factories import ProductFactory, UserFactory
from tracker.accounts.services import token_create
from tracker.outcomes.models import Consumer
from tracker.products.models import FeatureSource
from tracker.reminders import tasks
from tracker.reminders.models import Reminder

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker(broker, settings):
    """The real broker (tests/conftest.py), and the site's address the mails
    link to."""
    settings.SITE_URL = "https://tracker.example.org"
    return broker


@pytest.fixture
def sent():
    """Set once four reminder mails went through the worker."""
    done, finished = threading.Event(), []

    def count(sender=None, retval=None, **kwargs):
        if sender.name == tasks.reminder_send.name and retval is True:
            finished.append(retval)
            if len(finished) == 4:
                done.set()

    task_postrun.connect(count, weak=False)
    yield done
    task_postrun.disconnect(count)


def test_each_owner_on_the_other_side_hears_once(
    broker, sent, team, alice, bob, carol, mailoutbox
):
    dan = UserFactory(username="dan", first_name="Dan")
    product = ProductFactory(
        name="Fraud score",
        slug="fraud-score",
        team=team,
        pm_owner=alice,
        ml_owner=bob,
        eng_owner=dan,
    )
    source = FeatureSource.objects.create(
        product=product, feature="card_country", source_kind="oltp_database"
    )
    consumer = Consumer.objects.create(
        product=product, name="Chargeback desk", owner=carol, relies_on="score"
    )
    api = bearer(token_create(user=alice, name="ci", product=product)[1])
    url = f"/api/v1/products/{product.slug}/contract-changes/"
    with worker(broker):
        upstream = api.post(
            url,
            {
                "side": "upstream",
                "source": source.pk,
                "summary": "card_country becomes ISO alpha-3",
                "effective_at": "2026-12-20T00:00:00Z",
            },
        )
        assert upstream.status_code == 201, upstream.json()
        downstream = api.post(
            url,
            {
                "side": "downstream",
                "consumer": consumer.pk,
                "summary": "The score moves from 0-100 to 0-1",
                "effective_at": "2026-12-20T00:00:00Z",
            },
        )
        assert downstream.status_code == 201, downstream.json()
        assert sent.wait(timeout=WAIT_SECONDS), "the worker sent no mail"
        # Sweeping and dispatching again sends nothing more.
        through_broker(tasks.reminders_sweep)
        through_broker(tasks.reminders_dispatch)
    # Upstream: the product's three owners; downstream: the consumer's owner.
    assert sorted(m.to[0] for m in mailoutbox) == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.org",
        "dan@example.org",
    ]
    carol_mail = next(m for m in mailoutbox if m.to[0] == "carol@example.org")
    assert "0-100 to 0-1" in carol_mail.subject
    assert "/products/fraud-score/contracts/" in carol_mail.body
    assert Reminder.objects.filter(channel="in_app", sent_at__isnull=False).count() == 4
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()
