"""Two server processes sharing MongoDB, Redis and S3, driven together.

Node A and node B are real ``uvicorn app.main:app`` subprocesses on their own
ports (tests/support/nodes.py). The test signs in on A and uses the cookie on
B, starts a share-code upload session on A and finishes it on B, relays a
WebRTC offer/answer between a peer on A and a peer on B, and lets both nodes'
schedulers race for the trash purge, which must run once per interval in
total (the purge-run log in MongoDB is the evidence).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.models.base import utcnow
from app.models.meeting import Meeting
from app.models.system import PurgeRun
from app.models.upload import Upload
from app.models.user import User
from app.services.context import AppContext
from tests.conftest import Servers
from tests.factories.meetings import make_meeting
from tests.factories.uploads import png_data_url, resident_details, webm_data_url
from tests.factories.users import DEFAULT_PASSWORD, make_user
from tests.sockets.peers import Peer, call_token
from tests.support.nodes import Node, start_node, stop_node
from tests.support.smtp_sink import SmtpSink, extract_otp

pytestmark = [pytest.mark.twonode, pytest.mark.resilience]

PURGE_INTERVAL = 2
# Enough runs to tell "once per interval" (about RUNS) from "once per node per
# interval" (about twice as many) with room for scheduler jitter.
RUNS = 5
WAIT_FOR_RUNS = 60.0


@pytest.fixture
async def nodes(
    settings: Settings, servers: Servers, app: FastAPI, tmp_path: Path
) -> AsyncIterator[tuple[Node, Node]]:
    redis = servers.redis()
    # A fresh Redis database per test: the purge lease and rate limits start empty.
    await asyncio.to_thread(_flush, redis.url)
    extra = {"SCHEDULER_ENABLED": "true", "PURGE_INTERVAL_SECONDS": str(PURGE_INTERVAL)}
    started = await asyncio.gather(
        start_node(settings, redis.url, tmp_path, extra),
        start_node(settings, redis.url, tmp_path, extra),
    )
    try:
        yield started[0], started[1]
    finally:
        await asyncio.gather(*(stop_node(node) for node in started))


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


async def sign_in(http: httpx.AsyncClient, smtp: SmtpSink, user: User) -> str:
    login = await http.post(
        "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200, login.text
    code = extract_otp((await asyncio.to_thread(smtp.wait_for, user.email)).text)
    verified = await http.post("/api/v1/verify", json={"OTP": code})
    assert verified.status_code == 200, verified.text
    token = http.cookies.get("token")
    assert token
    return token


async def test_two_nodes_share_sessions_uploads_signaling_and_the_purge(
    nodes: tuple[Node, Node], ctx: AppContext, smtp: SmtpSink, s3: Any, settings: Settings
) -> None:
    node_a, node_b = nodes
    user = await make_user(email="two-nodes@example.test")
    old = utcnow() - timedelta(days=settings.TRASH_RETENTION_DAYS + 1)
    trashed = await make_meeting(user, deleted=True, deletedAt=old)

    # 1. Sign in on A, use the cookie on B; a logout on B revokes it on A.
    async with httpx.AsyncClient(base_url=node_a.url) as on_a:
        token = await sign_in(on_a, smtp, user)
    async with httpx.AsyncClient(base_url=node_b.url, cookies={"token": token}) as on_b:
        me = await on_b.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["user"]["email"] == user.email
        folder = await on_b.post("/api/v1/folders", json={"name": "Made on B"})
        assert folder.status_code == 201
    async with httpx.AsyncClient(base_url=node_a.url, cookies={"token": token}) as on_a:
        listed = await on_a.get("/api/v1/folders")
        assert [f["name"] for f in listed.json()["folders"]] == ["Made on B"]

    # 2. An upload session started on A, fed and completed on B.
    details = resident_details(totalImages=1, totalVideos=1, email=user.email)
    async with httpx.AsyncClient(base_url=node_a.url) as on_a:
        started = await on_a.post("/api/v1/upload/session", json=details)
        assert started.status_code == 201, started.text
        session_id = started.json()["data"]["sessionId"]
        image = await on_a.post(
            f"/api/v1/upload/file/{session_id}",
            json={"fileData": png_data_url(), "fileType": "image", "fileIndex": 0},
        )
        assert image.status_code == 200, image.text
    async with httpx.AsyncClient(base_url=node_b.url) as on_b:
        video = await on_b.post(
            f"/api/v1/upload/file/{session_id}",
            json={"fileData": webm_data_url(), "fileType": "video", "fileIndex": 0},
        )
        assert video.status_code == 200, video.text
        done = await on_b.post(f"/api/v1/upload/complete/{session_id}")
        assert done.status_code == 201, done.text
    upload = await Upload.find_one({"accessCode": details["accessCode"]})
    assert upload is not None
    assert (len(upload.images), len(upload.videos)) == (1, 1)
    for item in [*upload.images, *upload.videos]:
        assert item.s3_key
        assert s3.head_object(Bucket=settings.S3_BUCKET_NAME, Key=item.s3_key)

    # 3. Signaling between a peer on A and a peer on B.
    landlord, resident = Peer("landlord"), Peer("resident")
    try:
        await landlord.connect(node_a.url, token=token)
        await resident.connect(node_b.url)
        room = call_token()
        await landlord.join(room)
        await resident.join(room)
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        await landlord.emit("offer", offer, room)
        assert await resident.one("offer") == offer
        answer = {"type": "answer", "sdp": "v=0\r\n"}
        await resident.emit("answer", answer, room)
        assert await landlord.one("answer") == answer
    finally:
        await landlord.close()
        await resident.close()

    # 4. Both schedulers race for the purge: it runs once per interval in total.
    runs = await purge_runs(at_least=RUNS)
    assert await Meeting.get(trashed.id) is None
    assert any(run.removed.get("meetings") == 1 for run in runs)
    span = (runs[-1].startedAt - runs[0].startedAt).total_seconds()
    intervals = span / PURGE_INTERVAL
    # Without the lease both nodes would each run every interval: ~2x intervals.
    assert len(runs) - 1 <= intervals + 1.5, [(r.node, r.startedAt) for r in runs]
    assert len(runs) - 1 >= intervals - 1.5, [(r.node, r.startedAt) for r in runs]

    # 5. Logout on B revokes the token on A (within the user cache's TTL).
    async with httpx.AsyncClient(base_url=node_b.url, cookies={"token": token}) as on_b:
        assert (await on_b.post("/api/v1/logout")).status_code == 200
    async with httpx.AsyncClient(base_url=node_a.url, cookies={"token": token}) as on_a:
        status = await eventually_status(on_a, "/api/v1/me", 401)
    assert status == 401


async def purge_runs(at_least: int) -> list[PurgeRun]:
    """The purge-run log once it holds ``at_least`` runs (polled; the scheduler
    runs on its own clock)."""
    deadline = asyncio.get_running_loop().time() + WAIT_FOR_RUNS
    while True:
        runs = await PurgeRun.find_all().sort("startedAt").to_list()
        if len(runs) >= at_least:
            return runs
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {len(runs)} purge runs after {WAIT_FOR_RUNS}s")
        await asyncio.sleep(0.5)


async def eventually_status(http: httpx.AsyncClient, path: str, wanted: int) -> int:
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        status = (await http.get(path)).status_code
        if status == wanted or asyncio.get_running_loop().time() > deadline:
            return status
        await asyncio.sleep(0.2)
