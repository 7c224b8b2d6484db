"""A lease lock so a scheduled job runs once per interval across all workers and hosts.

Redis ``SET NX PX`` when configured, otherwise an insert into a TTL-indexed
collection whose unique ``_id`` is the lock name. The lease simply expires; it
is never released early, so a job that finished quickly is not re-run by a
second worker within the same interval.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pymongo.errors import DuplicateKeyError
from redis.asyncio import Redis

from app.models.system import JobLock


class LeaseLock(Protocol):
    async def acquire(self, name: str, ttl_seconds: int) -> bool: ...


class RedisLeaseLock:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._holder = uuid.uuid4().hex

    async def acquire(self, name: str, ttl_seconds: int) -> bool:
        return bool(
            await self._redis.set(f"lock:{name}", self._holder, nx=True, px=ttl_seconds * 1000)
        )


class MongoLeaseLock:
    def __init__(self) -> None:
        self._holder = uuid.uuid4().hex

    async def acquire(self, name: str, ttl_seconds: int) -> bool:
        collection = JobLock.get_pymongo_collection()
        now = datetime.now(UTC)
        # TTL deletion runs about once a minute, so an expired lease may still be
        # present: take it over explicitly when its time is up.
        taken = await collection.find_one_and_update(
            {"_id": name, "expiresAt": {"$lte": now}},
            {"$set": {"holder": self._holder, "expiresAt": now + timedelta(seconds=ttl_seconds)}},
        )
        if taken is not None:
            return True
        try:
            await collection.insert_one(
                {
                    "_id": name,
                    "holder": self._holder,
                    "expiresAt": now + timedelta(seconds=ttl_seconds),
                }
            )
        except DuplicateKeyError:
            return False
        return True
