"""Two server processes sharing Redis and MongoDB: signaling and pushes cross them.

Each node is a real ``uvicorn app.main:app`` subprocess configured only through
the environment, like a deployment with two workers or two hosts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.models.upload import Upload
from app.models.user import Role
from app.services.context import AppContext
from tests.conftest import FRONTEND, Servers
from tests.factories.users import make_user, token_for
from tests.sockets.peers import Peer, call_token
from tests.support.servers import free_port

pytestmark = pytest.mark.twonode

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0


@dataclass
class Node:
    url: str
    proc: asyncio.subprocess.Process
    log_path: Path


def node_env(settings: Settings, redis_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "MAIL_", "TWILL"))}
    env.update(
        {
            "NODE_ENV": "test",
            "PORT": str(port),
            "DB_URL": settings.DB_URL,
            "REDIS_URL": redis_url,
            "ENABLE_CLUSTER": "true",
            "JWT_SECRET": settings.JWT_SECRET,
            "FRONTEND_URL": FRONTEND,
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "S3_BUCKET_NAME": settings.S3_BUCKET_NAME,
            "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
            "S3_ACCESS_KEY": settings.S3_ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": settings.S3_SECRET_ACCESS_KEY,
            "AWS_REGION": settings.AWS_REGION,
            "S3_PART_SIZE": str(settings.S3_PART_SIZE),
            "MAIL_HOST": settings.MAIL_HOST,
            "MAIL_PORT": str(settings.MAIL_PORT),
            "MAIL_STARTTLS": "false",
            "SCHEDULER_ENABLED": "false",
            "DATA_DIR": str(settings.DATA_DIR / f"node-{port}"),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def start_node(settings: Settings, redis_url: str, log_dir: Path) -> Node:
    port = free_port()
    log_path = log_dir / f"node-{port}.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets",
            cwd=REPO,
            env=node_env(settings, redis_url, port),
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    node = Node(url=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path)
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=node.url) as http:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"node exited:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health")).status_code == 200:
                    return node
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"node did not start:\n{log_path.read_text()[-3000:]}")
            await asyncio.sleep(0.1)


async def stop_node(node: Node) -> None:
    if node.proc.returncode is None:
        node.proc.terminate()
        try:
            await asyncio.wait_for(node.proc.wait(), 15)
        except TimeoutError:
            node.proc.kill()
            await node.proc.wait()


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
