"""The cache and the Celery broker live in different Redis databases: clearing the
cache (a FLUSHDB) must not drop queued jobs. When both used database 0, a test clearing
the cache while a soak ran beside the suite is the likely cause of the soak's lost
re-delivered job."""

import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from brokercrm.settings import _next_redis_database

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL"
)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379/1"),
        ("redis://:secret@redis.local:6380/4", "redis://:secret@redis.local:6380/5"),
    ],
)
def test_the_cache_takes_the_next_redis_database(url, expected):
    assert _next_redis_database(url) == expected


def test_the_cache_is_not_in_the_brokers_database():
    # (cache.clear() is not called here: the other test workers share the cache)
    cached = cache._cache.get_client("probe", write=True)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert cached.connection_pool.connection_kwargs["db"] != (
        broker.connection_pool.connection_kwargs.get("db", 0)
    )
