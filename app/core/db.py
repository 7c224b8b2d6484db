"""MongoDB connection: PyMongo's native async client plus Beanie.

With no ``DB_URL`` the service starts an embedded MongoDB-wire server (see
:mod:`app.core.embedded_mongo`) so a fresh checkout runs with no setup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.core.config import Settings
from app.core.user_cache import UserCache, UserWriteListener
from app.models import ALL_DOCUMENTS


@dataclass
class Database:
    client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    user_cache: UserCache = field(default_factory=lambda: UserCache(0))

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def close(self) -> None:
        await self.client.close()


def database_name(url: str, fallback: str) -> str:
    path = urlparse(url).path.lstrip("/")
    return path.split("?")[0] or fallback


async def connect(url: str, settings: Settings) -> Database:
    user_cache = UserCache(settings.USER_CACHE_TTL_SECONDS)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=settings.MONGO_TIMEOUT_MS,
        connectTimeoutMS=settings.MONGO_TIMEOUT_MS,
        tz_aware=False,
        appname="videodesk",
        event_listeners=[UserWriteListener(user_cache)],
    )
    db = client[database_name(url, settings.DB_NAME)]
    await init_beanie(database=db, document_models=ALL_DOCUMENTS)
    return Database(client=client, db=db, user_cache=user_cache)
