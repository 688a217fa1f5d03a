"""The rate-limit counter: exact under the limit, a window that expires, refund and reset — on whichever cache the
run uses (Redis in CI's PostgreSQL run: one atomic round trip; local memory otherwise)."""

from django.conf import settings
from django.core.cache import cache

from core.ratelimit import _cache_key, _redis_client, rate_limit_consume, rate_limit_refund, rate_limit_reset


def test_exactly_the_limit_passes_then_refund_and_reset_give_attempts_back():
    outcomes = [rate_limit_consume(scope="t", key="k", limit=3, window_seconds=60) for _ in range(5)]
    assert outcomes == [True, True, True, False, False]
    rate_limit_refund(scope="t", key="k")
    assert cache.get(_cache_key("t", "k")) == 4
    rate_limit_reset(scope="t", key="k")
    assert rate_limit_consume(scope="t", key="k", limit=1, window_seconds=60) is True


def test_the_window_opened_by_the_first_attempt_expires():
    rate_limit_consume(scope="t", key="window", limit=3, window_seconds=30)
    client = _redis_client()
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        assert client is not None  # the one-round-trip path is the one production runs
        ttl = client.ttl(cache.make_and_validate_key(_cache_key("t", "window")))
        assert 0 < ttl <= 30  # never a counter without expiry
    rate_limit_consume(scope="t", key="window", limit=3, window_seconds=30)
    assert cache.get(_cache_key("t", "window")) == 2
