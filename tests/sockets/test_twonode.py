"""Two server processes sharing Redis and MongoDB: signaling and pushes cross them.

Each node is a real ``uvicorn app.main:app`` subprocess configured only through
the environment, like a deployment with two workers or two hosts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.models.upload import Upload
from app.models.user import Role
from app.services.context import AppContext
from tests.conftest import Servers
from tests.factories.users import make_user, token_for
from tests.sockets.peers import Peer, call_token
from tests.support.nodes import Node, node_env, start_node, stop_node

pytestmark = pytest.mark.twonode

# The launcher lives in tests/support/nodes.py (shared with tests/resilience);
# the names stay importable from here.
__all__ = ["Node", "node_env", "start_node", "stop_node"]


@pytest.fixture
async def nodes(
    settings: Settings, servers: Servers, app: FastAPI, tmp_path: Path
) -> AsyncIterator[tuple[Node, Node]]:
    redis_url = servers.redis().url
    started = await asyncio.gather(
        start_node(settings, redis_url, tmp_path), start_node(settings, redis_url, tmp_path)
    )
    try:
        yield started[0], started[1]
    finally:
        await asyncio.gather(*(stop_node(node) for node in started))


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    opened: list[Peer] = []
    yield opened
    for peer in opened:
        await peer.close()


async def connect(peers: list[Peer], node: Node, name: str, token: str | None = None) -> Peer:
    peer = Peer(name)
    peers.append(peer)
    return await peer.connect(node.url, token=token)


async def test_signaling_and_pushes_cross_processes(
    nodes: tuple[Node, Node], peers: list[Peer], ctx: AppContext
) -> None:
    node_a, node_b = nodes
    landlord_user = await make_user(role=Role.LANDLORD, email="landlord@example.test")
    room = call_token()

    # A call whose two sides sit on different processes.
    landlord = await connect(peers, node_a, "landlord", token_for(ctx, landlord_user))
    resident = await connect(peers, node_b, "resident")
    await landlord.join(room)
    await resident.join(room)
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    answer = {"type": "answer", "sdp": "v=0\r\n"}
    candidate = {
        "candidate": "candidate:1 1 udp 1 198.51.100.1 9 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "u",
    }
    await landlord.emit("offer", offer, room)
    assert await resident.one("offer") == offer
    await resident.emit("answer", answer, room)
    assert await landlord.one("answer") == answer
    await resident.emit("ice-candidate", candidate, room)
    assert await landlord.one("ice-candidate") == candidate
    await resident.emit("user-disconnected", room)
    assert await landlord.next("user-disconnected") == ()  # still no argument via Redis
    await landlord.barrier()
    assert not landlord.received("offer")

    # The waiting landlord on A hears the resident who opens the link on B.
    token = call_token()
    await landlord.emit("admin-waiting", token)
    await landlord.barrier()
    await resident.emit("user-opened-link", token)
    assert await landlord.one("user-joined-room") == token

    # A notification raised by an HTTP call on A reaches the dashboard on B.
    upload = Upload(accessCode="TWO123", email="landlord@example.test")
    await upload.insert()
    dashboard = await connect(peers, node_b, "dashboard", token_for(ctx, landlord_user))
    await dashboard.emit("join-notification-room", "landlord@example.test")
    await dashboard.barrier()
    async with httpx.AsyncClient(base_url=node_a.url) as http:
        response = await http.post("/api/v1/uploads/notification/mark-sent/TWO123")
    assert response.status_code == 200
    note = await dashboard.one("new-notification")
    assert note["_id"] == str(upload.id)
    assert note["accessCode"] == "TWO123"

    # Presence is shared: a superadmin on A sees the user signed in on B.
    boss = await make_user(role=Role.SUPERADMIN)
    feed = await connect(peers, node_a, "feed", token_for(ctx, boss))
    await dashboard.emit("user-authenticated", {})
    await dashboard.barrier()
    await feed.emit("user-authenticated", {})
    snapshot = await feed.one("online-users-update")
    assert sorted(u["email"] for u in snapshot["users"]) == sorted(
        ["landlord@example.test", boss.email]
    )
    cookies = {"token": token_for(ctx, boss)}
    async with httpx.AsyncClient(base_url=node_b.url, cookies=cookies) as http:
        online = (await http.get("/api/v1/users/online")).json()["data"]
    assert online["totalOnline"] == 2
