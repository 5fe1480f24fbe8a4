"""Fixtures for the accounts tests: small sign-in limits and clean throttles."""

import pytest
from django.core.cache import cache

PASSWORD = "password"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_THROTTLE_USER_LIMIT = 3
    settings.LOGIN_THROTTLE_IP_LIMIT = 5
    settings.LOGIN_THROTTLE_WINDOW_SECONDS = 900


@pytest.fixture(autouse=True)
def _fresh_api_throttles():
    """The API's own per-address rate (30/min for signing in) lives in the cache;
    these tests sign in often and must hit the database counters, not it."""
    cache.clear()
    yield
    cache.clear()
