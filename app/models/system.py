"""Bookkeeping collections: rate-limit counters and job locks (used when Redis
is not configured) and the purge-run log. All expire through TTL indexes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from beanie import Document
from pydantic import Field
from pymongo import IndexModel


class RateLimitCounter(Document):
    # _id is "<bucket>:<key>:<window start>" so one upsert both creates and counts.
    id: str = Field(alias="_id")  # type: ignore[assignment]
    hits: int = 0
    expiresAt: datetime

    class Settings:
        name = "ratelimits"
        indexes: ClassVar[list[Any]] = [IndexModel([("expiresAt", 1)], expireAfterSeconds=0)]


class JobLock(Document):
    id: str = Field(alias="_id")  # type: ignore[assignment]
    holder: str
    expiresAt: datetime

    class Settings:
        name = "joblocks"
        indexes: ClassVar[list[Any]] = [IndexModel([("expiresAt", 1)], expireAfterSeconds=0)]


class PurgeRun(Document):
    """One trash-purge cycle that won the lease: when, on which process, and what
    it removed. Kept for a day; it shows that the purge runs once per interval
    across all workers (tests/resilience/test_twonode.py) and helps operations."""

    startedAt: datetime
    node: str
    removed: dict[str, int] = Field(default_factory=dict)

    class Settings:
        name = "purgeruns"
        indexes: ClassVar[list[Any]] = [IndexModel([("startedAt", 1)], expireAfterSeconds=86_400)]


DOCUMENTS: list[type[Document]] = [RateLimitCounter, JobLock, PurgeRun]
