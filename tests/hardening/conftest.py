"""Fixtures shared by the hardening tests."""

import pytest

from tests.hardening.support import REDIS


@pytest.fixture
def redis_db():
    """Redis database 15, emptied before and after; the test is skipped without Redis."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS)
    try:
        client.flushdb()
    except redis.ConnectionError:
        client.close()
        pytest.skip("no Redis at 127.0.0.1:6379")
    yield client
    client.flushdb()
    client.close()
