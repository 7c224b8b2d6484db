"""Bookkeeping collections used when Redis is not configured: rate-limit
counters and job locks. Both expire through TTL indexes."""

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


DOCUMENTS: list[type[Document]] = [RateLimitCounter, JobLock]
