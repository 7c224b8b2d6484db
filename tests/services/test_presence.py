"""The presence service on both back-ends, with injected time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.services.presence import ENTRY_TTL_SECONDS, PresenceService, RedisSets, SocketUser
from tests.conftest import Servers

NOW = 1_735_689_600.0
ALICE = SocketUser(user_id="a" * 24, email="alice@x.test", role="landlord", company=None)
BOSS = SocketUser(user_id="b" * 24, email="boss@x.test", role="superadmin", company="HQ")
TOKEN = "3f1c1b5e-8a53-4a43-9f0f-0a1d3c2b4e5f"


@pytest.fixture(params=["memory", "redis"])
async def presence(
    request: pytest.FixtureRequest, servers: Servers
) -> AsyncIterator[PresenceService]:
    if request.param == "memory":
        yield PresenceService.in_memory()
        return
    redis = Redis.from_url(servers.redis().url)
    # A private key prefix per test instead of flushing a shared server.
    yield PresenceService(RedisSets(redis, prefix=f"t:{uuid.uuid4().hex}:"), shared=True)
    await redis.aclose()


async def test_online_entries_are_per_socket(presence: PresenceService) -> None:
    came = await presence.user_online("s1", ALICE, NOW)
    assert came == {
        "userId": "a" * 24,
        "email": "alice@x.test",
        "role": "landlord",
        "company": None,
        "connectedAt": "2025-01-01T00:00:00.000Z",
    }
    await presence.user_online("s2", ALICE, NOW + 5)
    await presence.user_online("s3", BOSS, NOW + 7)
    await presence.touch("s1", NOW + 20)

    snapshot = await presence.online_snapshot(NOW + 30)
    assert snapshot["totalOnline"] == 3
    first = snapshot["users"][0]
    assert first["lastActivity"] == "2025-01-01T00:00:20.000Z"
    assert first["onlineDuration"] == 30
    assert snapshot["timestamp"] == "2025-01-01T00:00:30.000Z"

    assert await presence.user_offline("s1") == ALICE
    assert await presence.is_user_online(ALICE.user_id, NOW + 30)
    assert await presence.user_offline("s2") == ALICE
    assert not await presence.is_user_online(ALICE.user_id, NOW + 30)
    assert await presence.user_offline("s2") is None


async def test_entries_expire_unless_the_heartbeat_extends_them(
    presence: PresenceService,
) -> None:
    await presence.user_online("s1", ALICE, NOW)
    later = NOW + ENTRY_TTL_SECONDS + 1
    assert (await presence.online_snapshot(later))["totalOnline"] == 0

    await presence.user_online("s2", BOSS, NOW)
    await presence.heartbeat(NOW + 60)
    assert (await presence.online_snapshot(later))["totalOnline"] == 1


async def test_waiting_rooms_and_call_capacity(presence: PresenceService) -> None:
    await presence.admin_waiting(TOKEN, "w1", NOW)
    await presence.admin_waiting(TOKEN, "w2", NOW + 1)
    assert sorted(await presence.waiting_for(TOKEN, NOW + 2)) == ["w1", "w2"]
    assert [row["adminSocketId"] for row in await presence.waiting_rooms(NOW + 2)] == ["w1", "w2"]
    await presence.admin_stopped_waiting(TOKEN, "w1")
    assert await presence.waiting_for(TOKEN, NOW + 2) == ["w2"]

    assert await presence.join_call(TOKEN, "p1", NOW, capacity=2)
    assert await presence.join_call(TOKEN, "p2", NOW, capacity=2)
    assert await presence.join_call(TOKEN, "p1", NOW, capacity=2)  # already in
    assert not await presence.join_call(TOKEN, "p3", NOW, capacity=2)
    await presence.leave_call(TOKEN, "p1")
    assert await presence.join_call(TOKEN, "p3", NOW, capacity=2)
    assert await presence.call_members(TOKEN, NOW) == ["p2", "p3"]


async def test_ticket_members(presence: PresenceService) -> None:
    await presence.join_ticket("t1", "s1", ALICE, NOW)
    await presence.join_ticket("t1", "s2", BOSS, NOW + 1)
    await presence.touch_ticket("t1", "s1", NOW + 9)
    users = await presence.ticket_users("t1", NOW + 10)
    assert users[0] == {
        "userId": ALICE.user_id,
        "userEmail": ALICE.email,
        "userRole": "landlord",
        "connectedAt": "2025-01-01T00:00:00.000Z",
        "lastActivity": "2025-01-01T00:00:09.000Z",
    }
    await presence.leave_ticket("t1", "s1")
    assert [u["userId"] for u in await presence.ticket_users("t1", NOW + 10)] == [BOSS.user_id]
