"""The token-user cache: fills that raced a write are dropped, writes to
``users`` through the app's client empty it, and a disabled cache stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import monitoring

from app.core.user_cache import UserCache, UserWriteListener


def _started(command: dict[str, Any], request_id: int) -> monitoring.CommandStartedEvent:
    return monitoring.CommandStartedEvent(command, "videodesk", request_id, ("h", 1), 1)


def test_put_and_get_within_ttl() -> None:
    cache = UserCache(60)
    cache.put("u1", {"_id": "u1"}, cache.generation)
    assert cache.get("u1") == {"_id": "u1"}
    assert cache.get("u2") is None


def test_fill_that_raced_a_write_is_dropped() -> None:
    cache = UserCache(60)
    generation = cache.generation
    cache.invalidate()
    cache.put("u1", {"_id": "u1"}, generation)
    assert cache.get("u1") is None


def test_disabled_cache_stores_nothing() -> None:
    cache = UserCache(0)
    cache.put("u1", {"_id": "u1"}, cache.generation)
    assert cache.get("u1") is None


def test_user_writes_empty_the_cache_other_collections_do_not() -> None:
    cache = UserCache(60)
    listener = UserWriteListener(cache)
    cache.put("u1", {"_id": "u1"}, cache.generation)
    listener.started(_started({"update": "meetings", "updates": []}, 1))
    listener.started(_started({"find": "users", "filter": {}}, 2))
    assert cache.get("u1") == {"_id": "u1"}
    listener.started(_started({"update": "users", "updates": []}, 3))
    assert cache.get("u1") is None
    # A read that started before the write finished must not be stored.
    generation = cache.generation
    listener.succeeded(
        monitoring.CommandSucceededEvent(
            timedelta(milliseconds=1), {"ok": 1}, "update", 3, ("h", 1), 1
        )
    )
    cache.put("u1", {"_id": "u1"}, generation)
    assert cache.get("u1") is None


async def test_logout_takes_effect_at_once_with_the_cache_on(client, ctx) -> None:
    from tests.factories.users import cookies_for, make_user

    assert ctx.db.user_cache.enabled
    user = await make_user()
    cookies = cookies_for(ctx, user)
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 200
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 200
    await client.get("/api/v1/logout", cookies=cookies)
    assert (await client.get("/api/v1/me", cookies=cookies)).status_code == 401
