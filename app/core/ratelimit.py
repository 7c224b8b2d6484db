"""Fixed-window rate limits shared by every worker: Redis when configured,
MongoDB otherwise (a TTL-indexed counter collection).

Failure policy: if the backing store is unreachable the limiter *fails open*
(logs a warning and lets the request through). The request would need the
database anyway; refusing every sign-in because Redis blinked would turn a
degraded cache into a full outage. Documented in the README.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pymongo import ReturnDocument
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.errors import TooManyRequests
from app.core.logging import get_logger
from app.models.system import RateLimitCounter

log = get_logger(__name__)


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int


class CounterStore(Protocol):
    async def incr(self, key: str, window_seconds: int) -> int: ...


class RedisCounterStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def incr(self, key: str, window_seconds: int) -> int:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        count, _ = await pipe.execute()
        return int(count)


class MongoCounterStore:
    async def incr(self, key: str, window_seconds: int) -> int:
        collection = RateLimitCounter.get_pymongo_collection()
        expires = datetime.now(UTC) + timedelta(seconds=window_seconds)
        doc = await collection.find_one_and_update(
            {"_id": key},
            {"$inc": {"hits": 1}, "$setOnInsert": {"expiresAt": expires}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["hits"]) if doc else 1


class RateLimiter:
    def __init__(self, store: CounterStore) -> None:
        self._store = store

    async def hit(self, limit: Limit, key: str) -> int:
        """Count one event for ``key``; raise 429 once the window's limit is passed."""
        window = int(time.time()) // limit.window_seconds
        counter_key = f"rl:{limit.bucket}:{key}:{window}"
        try:
            count = await self._store.incr(counter_key, limit.window_seconds)
        except (RedisError, OSError) as exc:
            log.warning("ratelimit.store_unavailable", bucket=limit.bucket, error=str(exc))
            return 0
        if count > limit.limit:
            retry_after = limit.window_seconds - int(time.time()) % limit.window_seconds
            log.warning("ratelimit.exceeded", bucket=limit.bucket, key=key, count=count)
            raise TooManyRequests(retry_after=max(retry_after, 1))
        return count
