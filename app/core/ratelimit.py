"""Windowed rate limits shared by every worker: Redis when configured,
MongoDB otherwise (a TTL-indexed counter collection).

Failure policy: if the backing store is unreachable the limiter *fails open*
(logs a warning and lets the request through). The request would need the
database anyway; refusing every sign-in because Redis blinked would turn a
degraded cache into a full outage. Documented in the README.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.errors import TooManyRequests
from app.core.logging import get_logger
from app.models.base import as_utc
from app.models.system import RateLimitCounter

log = get_logger(__name__)


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window_seconds: int


class CounterStore(Protocol):
    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        """Count one hit; return the count in the current window and the seconds
        until that window ends. A window starts at a key's first hit (not at a
        clock boundary), so a burst can never straddle two fresh windows."""
        ...


class RedisCounterStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.pttl(key)
        count, _, ttl_ms = await pipe.execute()
        return int(count), max(float(ttl_ms), 0.0) / 1000


class MongoCounterStore:
    async def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        collection = RateLimitCounter.get_pymongo_collection()
        for _ in range(3):
            now = datetime.now(UTC)
            # Count inside a live window...
            doc = await collection.find_one_and_update(
                {"_id": key, "expiresAt": {"$gt": now}},
                {"$inc": {"hits": 1}},
                return_document=ReturnDocument.AFTER,
            )
            if doc is None:
                # ...or start a new one. The TTL monitor deletes expired counters
                # only about once a minute, so an expired one is reset in place.
                fresh = {"hits": 1, "expiresAt": now + timedelta(seconds=window_seconds)}
                doc = await collection.find_one_and_update(
                    {"_id": key, "expiresAt": {"$lte": now}},
                    {"$set": fresh},
                    return_document=ReturnDocument.AFTER,
                )
                if doc is None:
                    try:
                        await collection.insert_one({"_id": key, **fresh})
                    except DuplicateKeyError:
                        continue  # another request created it first: count in it
                    doc = {"_id": key, **fresh}
            remaining = (as_utc(doc["expiresAt"]) - now).total_seconds()
            return int(doc["hits"]), max(remaining, 0.0)
        raise RuntimeError("rate-limit counter kept changing under this request")


class RateLimiter:
    def __init__(self, store: CounterStore) -> None:
        self._store = store

    async def hit(self, limit: Limit, key: str) -> int:
        """Count one event for ``key``; raise 429 once the window's limit is passed."""
        counter_key = f"rl:{limit.bucket}:{key}"
        try:
            count, remaining = await self._store.incr(counter_key, limit.window_seconds)
        except (RedisError, OSError) as exc:
            log.warning("ratelimit.store_unavailable", bucket=limit.bucket, error=str(exc))
            return 0
        if count > limit.limit:
            log.warning("ratelimit.exceeded", bucket=limit.bucket, key=key, count=count)
            raise TooManyRequests(retry_after=max(math.ceil(remaining), 1))
        return count
