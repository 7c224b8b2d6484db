"""The rate limiter against both counter stores (real Redis, real MongoDB-wire server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from app.core.errors import TooManyRequests
from app.core.ratelimit import (
    CounterStore,
    Limit,
    MongoCounterStore,
    RateLimiter,
    RedisCounterStore,
)
from app.models.system import RateLimitCounter
from app.services.context import AppContext
from tests.conftest import Servers

LIMIT = Limit("probe", limit=3, window_seconds=600)


@pytest.fixture(params=["mongo", "redis"])
async def store(
    request: pytest.FixtureRequest, ctx: AppContext, servers: Servers
) -> AsyncIterator[CounterStore]:
    if request.param == "mongo":
        yield MongoCounterStore()
        return
    redis = Redis.from_url(servers.redis().url)
    await redis.flushdb()
    try:
        yield RedisCounterStore(redis)
    finally:
        await redis.aclose()


async def test_the_hit_after_the_limit_is_refused_with_retry_after(store: CounterStore) -> None:
    limiter = RateLimiter(store)
    assert [await limiter.hit(LIMIT, "1.2.3.4") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit(LIMIT, "1.2.3.4")
    assert 590 <= refused.value.retry_after <= 600
    # Keys and buckets are counted apart.
    assert await limiter.hit(LIMIT, "5.6.7.8") == 1
    assert await limiter.hit(Limit("other", 3, 600), "1.2.3.4") == 1


async def test_the_window_starts_at_the_first_hit_not_at_a_clock_boundary(
    store: CounterStore,
) -> None:
    # Hits within one window always share one counter, whenever the window began.
    counts = [(await store.incr("rl:window:k", 1))[0] for _ in range(5)]
    assert counts == [1, 2, 3, 4, 5]


async def test_an_expired_mongo_window_starts_again(ctx: AppContext) -> None:
    limiter = RateLimiter(MongoCounterStore())
    for _ in range(3):
        await limiter.hit(LIMIT, "9.9.9.9")
    with pytest.raises(TooManyRequests):
        await limiter.hit(LIMIT, "9.9.9.9")
    # The TTL monitor may not have removed the counter yet: it is reset in place.
    past = datetime.now(UTC) - timedelta(seconds=1)
    await RateLimitCounter.get_pymongo_collection().update_one(
        {"_id": "rl:probe:9.9.9.9"}, {"$set": {"expiresAt": past}}
    )
    assert await limiter.hit(LIMIT, "9.9.9.9") == 1


async def test_an_unreachable_store_fails_open() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        limiter = RateLimiter(RedisCounterStore(redis))
        assert [await limiter.hit(LIMIT, "x") for _ in range(5)] == [0] * 5
    finally:
        await redis.aclose()
