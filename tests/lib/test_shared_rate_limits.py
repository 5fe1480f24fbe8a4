"""With CACHE_URL, the API's rate limits count in Redis, shared by every process."""

from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

pytestmark = pytest.mark.redis


@pytest.fixture
def shared_cache(settings):
    """The cache CACHE_URL configures, on a Redis database of its own (13) so that
    clearing it never touches the broker's queues, with keys only this test uses."""
    url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path="/13"))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tracker-test",
        }
    }
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "api": "2/min"},
    }
    store = redis.Redis.from_url(url)
    store.flushdb()
    yield store
    store.flushdb()


def test_the_count_lives_in_redis_for_every_process(shared_cache, alice_api, product):
    statuses = [alice_api.get("/api/v1/products/").status_code for _ in range(2)]
    assert statuses == [200, 200]
    keys = shared_cache.keys("tracker-test:*throttle_api_*")
    assert len(keys) == 1  # the token's history, where any other process reads it
    # Another process sees the same history: forget what this one knows of it
    # (a locmem cache would start again from nothing) and the third is refused.
    from django.core.cache import caches

    caches.close_all()
    assert alice_api.get("/api/v1/products/").status_code == 429
