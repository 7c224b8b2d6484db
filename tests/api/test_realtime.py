"""GET /api/v1/users/online and GET /api/v1/debug/socket-status."""

from __future__ import annotations

import time

import httpx

from app.models.user import Role
from app.services.context import AppContext
from app.services.presence import SocketUser, iso_ms
from tests.factories.users import cookies_for, make_user


async def test_online_users_requires_a_superadmin(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    response = await client.get("/api/v1/users/online")
    assert response.status_code == 401
    assert response.json()["success"] is False

    for role in (Role.LANDLORD, Role.ADMIN):
        user = await make_user(role=role)
        response = await client.get("/api/v1/users/online", cookies=cookies_for(ctx, user))
        assert response.status_code == 403
        assert response.json() == {
            "success": False,
            "message": "Only superadmins can access online users",
        }


async def test_online_users_lists_every_socket(client: httpx.AsyncClient, ctx: AppContext) -> None:
    boss = await make_user(role=Role.SUPERADMIN)
    member = SocketUser(
        user_id="65a1b2c3d4e5f6a7b8c9d0e1", email="a@x.test", role="landlord", company="Acme"
    )
    # Entries expire without a heartbeat, so "now" is the real clock, shifted.
    start = float(int(time.time())) - 30
    await ctx.presence.user_online("sid-one", member, now=start)
    await ctx.presence.user_online("sid-two", member, now=start + 10)

    response = await client.get("/api/v1/users/online", cookies=cookies_for(ctx, boss))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["totalOnline"] == 2
    assert data["users"][0] == {
        "userId": "65a1b2c3d4e5f6a7b8c9d0e1",
        "email": "a@x.test",
        "role": "landlord",
        "company": "Acme",
        "connectedAt": iso_ms(start),
        "lastActivity": iso_ms(start),
        "onlineDuration": data["users"][0]["onlineDuration"],
    }
    assert data["users"][0]["onlineDuration"] >= data["users"][1]["onlineDuration"]
    assert data["timestamp"].endswith("Z")


async def test_socket_status_is_for_superadmins(client: httpx.AsyncClient, ctx: AppContext) -> None:
    landlord = await make_user(role=Role.LANDLORD)
    boss = await make_user(role=Role.SUPERADMIN)
    assert (await client.get("/api/v1/debug/socket-status")).status_code == 401
    refused = await client.get("/api/v1/debug/socket-status", cookies=cookies_for(ctx, landlord))
    assert refused.status_code == 403
    assert refused.json() == {
        "success": False,
        "message": "Only superadmins can access socket status",
    }

    token = "3f1c1b5e-8a53-4a43-9f0f-0a1d3c2b4e5f"
    start = float(int(time.time()))
    await ctx.presence.admin_waiting(token, "sid-waiting", now=start)
    response = await client.get("/api/v1/debug/socket-status", cookies=cookies_for(ctx, boss))
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["adminWaitingRooms"] == [
        {"token": token, "adminSocketId": "sid-waiting", "timestamp": iso_ms(start)}
    ]
    assert data["timestamp"].endswith("Z")
