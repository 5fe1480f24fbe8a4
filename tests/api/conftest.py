"""API fixtures: clients for the personas, signed in with bearer tokens, and a
CI token for alice's product."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tracker.accounts.services import token_create


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
