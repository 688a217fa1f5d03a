"""Exact rate limits under parallel requests: an atomic counter per key in the cache (Redis INCR in production).

The counter is incremented *before* the guarded work runs, so N parallel attempts reserve N slots and exactly
`limit` of them proceed — unlike a read-then-check throttle, which lets every racing request through.
"""

import contextlib
import hashlib

from django.core.cache import cache, caches


def _cache_key(scope: str, key: str) -> str:
    return f"rl:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _redis_client():
    """The raw client behind Django's Redis cache, or None with any other backend. (`cache` is a proxy: the
    backend itself is `caches["default"]`.)"""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    return backend._cache.get_client(write=True) if isinstance(backend, RedisCache) else None


def rate_limit_consume(*, scope: str, key: str, limit: int, window_seconds: int) -> bool:
    """Reserve one attempt; True if it is within the limit for the current window."""
    cache_key = _cache_key(scope, key)
    client = _redis_client()
    if client is not None:
        # One round trip, atomically (MULTI/EXEC): open the window if none is open, then count. Django's add() +
        # incr() is three (SET NX, EXISTS, INCRBY) on every public request (issue #16). The value stays an integer
        # Django's cache reads back (refund's decr, reset's delete work on it unchanged).
        name = cache.make_and_validate_key(cache_key)
        pipeline = client.pipeline(transaction=True)
        pipeline.set(name, 0, ex=window_seconds, nx=True)
        pipeline.incr(name)
        return pipeline.execute()[1] <= limit
    cache.add(cache_key, 0, timeout=window_seconds)  # no-op if the window is already open
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window expired between add() and incr(): open a new one
        cache.add(cache_key, 0, timeout=window_seconds)
        count = cache.incr(cache_key)
    return count <= limit


def rate_limit_reset(*, scope: str, key: str) -> None:
    cache.delete(_cache_key(scope, key))


def rate_limit_refund(*, scope: str, key: str) -> None:
    """Give back a reserved attempt (e.g. a lookup that succeeded, when only failures should count)."""
    with contextlib.suppress(ValueError):  # the window has expired meanwhile: nothing to give back
        cache.decr(_cache_key(scope, key))
