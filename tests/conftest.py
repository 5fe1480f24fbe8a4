"""Shared fixtures: the personas and the service requirements.

Personas (as in every test module):
- alice: a member of the product's team and its PM owner;
- bob: a member of the same team, not an owner;
- carol: signed in, in another team: an outsider to alice's products.

Tests that need a real service (PostgreSQL, Redis, Chromium) call `require(...)`:
on a plain machine they skip with the reason; with CI=true they fail instead, so
CI can never go green without the services.
"""

import os
import shutil

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import ProductFactory, TeamFactory, UserFactory
from tracker.accounts.services import token_create

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def require(available: bool, reason: str) -> None:
    """Skip locally, fail in CI, when a service a test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI requires this: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Marked tests check their service before running."""
    for item in items:
        if item.get_closest_marker("postgres"):
            item.fixturenames.insert(0, "_require_postgres")
        if item.get_closest_marker("browser"):
            item.fixturenames.insert(0, "_require_chromium")
        if item.get_closest_marker("redis"):
            item.fixturenames.insert(0, "_require_redis")


@pytest.fixture
def _require_postgres():
    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL")


@pytest.fixture
def _require_chromium():
    require(
        shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM),
        f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
    )


@pytest.fixture
def _require_redis(settings):
    url = settings.REDIS_URL
    ok = False
    if url:
        import redis

        try:
            ok = redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError:
            ok = False
    require(ok, "needs a running Redis: set REDIS_URL")


@pytest.fixture(autouse=True)
def _tasks_run_eagerly(settings):
    """Tasks the code under test queues run in the test, as without REDIS_URL,
    so no test leaves messages in a real Redis; tests of the broker itself
    switch to one with tests.broker.broker_at."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def broker(settings):
    """Tasks go through the real Redis broker (REDIS_URL) on a queue of this
    test's own; yields the queue's name, for tests.broker.worker."""
    from tests.broker import broker_at

    with broker_at(settings, settings.REDIS_URL) as queue:
        yield queue


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    """Many tests sign a client in and then travel days ahead; production's
    session limits (12 h, 30 min idle) are tested in tests/accounts/test_sessions.py."""
    settings.SESSION_COOKIE_AGE = 60 * 24 * 3600
    settings.SESSION_IDLE_TIMEOUT = 0


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", first_name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob")


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", first_name="Carol")


@pytest.fixture
def team(alice, bob):
    return TeamFactory(name="Risk", slug="risk", members=[alice, bob])


@pytest.fixture
def other_team(carol):
    return TeamFactory(name="Elsewhere", slug="elsewhere", members=[carol])


@pytest.fixture
def product(team, alice):
    return ProductFactory(
        name="Fraud score", slug="fraud-score", team=team, pm_owner=alice
    )


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def carol_client(client, carol, other_team):
    client.force_login(carol)
    return client


# --- API clients: the personas signed in with bearer tokens, and a CI token for
# alice's product.


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: tests must not inherit each other's."""
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def alice_api(alice, team):
    return bearer(token_create(user=alice, name="laptop")[1])


@pytest.fixture
def bob_api(bob, team):
    return bearer(token_create(user=bob, name="laptop")[1])


@pytest.fixture
def carol_api(carol, other_team):
    return bearer(token_create(user=carol, name="laptop")[1])


@pytest.fixture
def ci_raw(product, alice):
    """The secret of a CI token for alice's product."""
    return token_create(user=alice, name="github actions", product=product)[1]


@pytest.fixture
def ci_api(ci_raw):
    return bearer(ci_raw)


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Rows data migrations wrote (the default follow-up policies, postmortems'
    migration 0003) for every test that uses the database: a transactional
    test ends by emptying every table, theirs included, and the tests after it
    on the same worker would otherwise start without them."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if marker is None and not {"db", "transactional_db", "live_server"} & names:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        {"transactional_db", "live_server"} & names
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from tracker.postmortems.models import FollowUpPolicy

    for severity in ("sev1", "sev2"):
        FollowUpPolicy.objects.get_or_create(
            severity=severity, risk_tier="", defaults={"postmortem_business_days": 5}
        )
