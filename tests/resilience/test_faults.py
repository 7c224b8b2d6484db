"""Faults: the real servers are stopped and started under a running app.

MongoDB and Redis get their own server processes here (the session's shared
ones stay untouched); S3 faults go through :class:`FaultyS3Proxy` in front of
moto; SMTP and Twilio are the session's sinks, stopped and restarted inside
the test. Each test checks the answer during the fault, that nothing was left
half-saved, and that the service recovers without a restart.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from app.core.config import Settings
from app.models.base import utcnow
from app.models.meeting import Meeting
from app.models.upload import Upload, UploadSession
from app.models.user import User
from app.services.context import AppContext
from app.services.scheduler import purge_job
from tests.conftest import Servers, make_client, running_app
from tests.factories.meetings import make_meeting, new_meeting_id, png_data_url
from tests.factories.uploads import png_data_url as upload_png
from tests.factories.uploads import resident_details, webm_data_url
from tests.factories.users import DEFAULT_PASSWORD, cookies_for, make_user
from tests.resilience.s3_proxy import FaultyS3Proxy, is_put_object, is_upload_part
from tests.resilience.support import assert_envelope, log_events, multipart_uploads, s3_keys
from tests.sockets.peers import Peer, call_token
from tests.support.fake_twilio import FakeTwilio
from tests.support.nodes import start_node, stop_node
from tests.support.servers import ServerProcess, restart, start_mongo, start_redis
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.resilience

MiB = 1024 * 1024
# A generous bound on "answers within the timeout": a hung request would hit it,
# a working one never comes near it. It is a guard, not a measurement.
NO_HANG = 30.0
DB_DOWN = "Database temporarily unavailable. Please try again shortly."


class Restartable:
    """A server process that a test may stop and bring back (restart() gives a new object)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url

    def kill(self) -> None:
        self.server.kill()

    def stop(self) -> None:
        self.server.stop()

    def back(self) -> None:
        self.server = restart(self.server)

    def ensure_up(self) -> None:
        if not self.server.alive():
            self.back()


@pytest.fixture(scope="module")
def own_mongo() -> Iterator[Restartable]:
    with tempfile.TemporaryDirectory(prefix="videodesk-faults-mongo-") as tmp:
        # sync_on_commit: data written before a kill() survives the restart.
        mongo = Restartable(start_mongo(Path(tmp) / "data", log_dir=Path(tmp), sync_on_commit=True))
        try:
            yield mongo
        finally:
            mongo.server.stop()


@pytest.fixture(scope="module")
def own_redis() -> Iterator[Restartable]:
    with tempfile.TemporaryDirectory(prefix="videodesk-faults-redis-") as tmp:
        redis = Restartable(start_redis(Path(tmp) / "data", log_dir=Path(tmp)))
        try:
            yield redis
        finally:
            redis.server.stop()


@pytest.fixture
async def s3_proxy(servers: Servers) -> AsyncIterator[FaultyS3Proxy]:
    proxy = FaultyS3Proxy(upstream=servers.moto.url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


# --------------------------------------------------------------------------- MongoDB


async def test_mongo_down_answers_503_and_recovers_without_restart(
    settings_factory: Callable[..., Settings],
    own_mongo: Restartable,
) -> None:
    own_mongo.ensure_up()
    settings = settings_factory(DB_URL=f"{own_mongo.url}/faults_mongo", MONGO_TIMEOUT_MS=1000)
    async with running_app(settings) as app:
        ctx: AppContext = app.state.ctx
        await ctx.db.client.drop_database("faults_mongo")
        user = await make_user()
        async with make_client(app, cookies=cookies_for(ctx, user)) as client:
            created = await client.post("/api/v1/folders", json={"name": "Before"})
            assert created.status_code == 201

            own_mongo.kill()
            try:
                with log_events() as logged:
                    for method, path, body in (
                        ("GET", "/api/v1/folders", None),
                        ("POST", "/api/v1/folders", {"name": "During"}),
                        ("GET", "/api/v1/meetings/all", None),
                        ("POST", "/api/v1/login", {"email": user.email, "password": "x"}),
                        ("GET", "/api/v1/chat/sessions", None),
                    ):
                        response = await asyncio.wait_for(
                            client.request(method, path, json=body), NO_HANG
                        )
                        assert response.status_code == 503, (path, response.text)
                        assert response.json()["success"] is False
                        assert "message" in response.json()
                    ready = await asyncio.wait_for(client.get("/ready"), NO_HANG)
                assert ready.status_code == 503
                assert ready.json()["status"] == "degraded"
                assert ready.json()["checks"]["mongo"]["status"] == "down"
                assert ready.json()["checks"]["storage"] == {"status": "up"}
                assert logged.named("database.unavailable"), "the outage is logged"
                plain = await client.get("/api/v1/folders")
                assert plain.json() == {"success": False, "message": DB_DOWN}
            finally:
                own_mongo.back()

            # Same app, same client pool: the next requests work again.
            recovered = await asyncio.wait_for(client.get("/api/v1/folders"), NO_HANG)
            for _ in range(5):
                if recovered.status_code == 200:
                    break
                recovered = await client.get("/api/v1/folders")
            assert recovered.status_code == 200, recovered.text
            assert [f["name"] for f in recovered.json()["folders"]] == ["Before"]
            assert (await client.get("/ready")).status_code == 200
            again = await client.post("/api/v1/folders", json={"name": "After"})
            assert again.status_code == 201


# --------------------------------------------------------------------------- S3


def recording_body(meeting_id: str, size: int) -> dict[str, Any]:
    payload = b"\x1aE\xdf\xa3" + os.urandom(size)
    data = "data:video/webm;codecs=vp9,opus;base64," + base64.b64encode(payload).decode()
    return {"meeting_id": meeting_id, "name": "Fault", "recordings": [{"data": data}]}


async def test_s3_failing_mid_multipart_aborts_and_a_retry_succeeds(
    settings_factory: Callable[..., Settings], s3_proxy: FaultyS3Proxy, s3: Any
) -> None:
    settings = settings_factory(S3_ENDPOINT_URL=s3_proxy.url, S3_MAX_RETRIES=1)
    bucket = settings.S3_BUCKET_NAME
    async with running_app(settings) as app:
        ctx: AppContext = app.state.ctx
        user = await make_user()
        meeting_id = new_meeting_id()
        body = recording_body(meeting_id, 11 * MiB)  # three parts of 5 MiB
        async with make_client(app, cookies=cookies_for(ctx, user)) as client:
            s3_proxy.fail_when = is_upload_part(2)
            failed = await asyncio.wait_for(
                client.post("/api/v1/meetings/create", json=body), NO_HANG
            )
            assert failed.status_code in (502, 503), failed.text
            assert_envelope(failed.json(), status=failed.status_code)
            # Part 1 went up before part 2 failed, and the upload was aborted.
            assert any(method == "DELETE" and "uploadId=" in q for method, q in s3_proxy.seen)
            assert await Meeting.find_one({"meeting_id": meeting_id}) is None
            assert s3_keys(s3, bucket) == []
            assert multipart_uploads(s3, bucket) == []

            s3_proxy.fail_when = None
            retried = await client.post("/api/v1/meetings/create", json=body)
        assert retried.status_code == 201, retried.text
        key = retried.json()["meeting"]["recordings"][0]["cloudinary_id"]
        assert s3_keys(s3, bucket) == [key]
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 11 * MiB + 4
        assert multipart_uploads(s3, bucket) == []


async def test_s3_down_answers_502_saves_nothing_and_recovers(
    settings_factory: Callable[..., Settings], s3_proxy: FaultyS3Proxy, s3: Any
) -> None:
    settings = settings_factory(
        S3_ENDPOINT_URL=s3_proxy.url, S3_MAX_RETRIES=1, S3_CONNECTION_TIMEOUT=500
    )
    bucket = settings.S3_BUCKET_NAME
    async with running_app(settings) as app:
        ctx: AppContext = app.state.ctx
        user = await make_user()
        meeting_id = new_meeting_id()
        body = {"meeting_id": meeting_id, "screenshots": [{"data": png_data_url()}]}
        async with make_client(app, cookies=cookies_for(ctx, user)) as client:
            # A single PUT failing (small media), then the whole endpoint gone.
            s3_proxy.fail_when = is_put_object
            failed = await client.post("/api/v1/meetings/create", json=body)
            assert failed.status_code in (502, 503), failed.text
            s3_proxy.fail_when = None

            await s3_proxy.stop()
            down = await asyncio.wait_for(
                client.post("/api/v1/meetings/create", json=body), NO_HANG
            )
            assert down.status_code in (502, 503), down.text
            assert_envelope(down.json(), status=down.status_code)
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["checks"]["storage"]["status"] == "down"
            assert await Meeting.find_one({"meeting_id": meeting_id}) is None

            # Upload sessions (share-code uploads) keep nothing either.
            started = await client.post("/api/v1/upload/session", json=resident_details())
            assert started.status_code == 201, started.text
            session_id = started.json()["data"]["sessionId"]
            file_failed = await client.post(
                f"/api/v1/upload/file/{session_id}",
                json={"fileData": upload_png(), "fileType": "image", "fileIndex": 0},
            )
            assert file_failed.status_code in (502, 503), file_failed.text
            session = await UploadSession.get(session_id)
            assert session is not None
            assert session.uploadedImages == []

            await s3_proxy.start()
            retried = await client.post("/api/v1/meetings/create", json=body)
            assert retried.status_code == 201, retried.text
            assert (await client.get("/ready")).status_code == 200
        assert len(s3_keys(s3, bucket)) == 1
        assert multipart_uploads(s3, bucket) == []


# --------------------------------------------------------------------------- SMTP


@contextlib.contextmanager
def smtp_down(smtp: SmtpSink) -> Iterator[None]:
    smtp.stop()
    try:
        yield
    finally:
        smtp.start()


async def test_smtp_down_leaves_no_valid_otp_or_reset_token(
    settings_factory: Callable[..., Settings],
    smtp: SmtpSink,
) -> None:
    settings = settings_factory(MAIL_TIMEOUT=3)
    async with running_app(settings) as app:
        user = await make_user(email="mailless@example.test")
        async with make_client(app) as client:
            with smtp_down(smtp), log_events() as logged:
                login = await client.post(
                    "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
                )
                register = await client.post(
                    "/api/v1/register",
                    json={
                        "email": "newcomer@example.test",
                        "password": "pw-123456",
                        "role": "landlord",
                    },
                )
                forgot = await client.post("/api/v1/forgot-password", json={"email": user.email})
            for response in (login, register, forgot):
                assert response.status_code == 500, response.text
                assert response.json() == {"success": False, "message": "Email could not be sent"}

            stored = await User.get(user.id)
            assert stored is not None
            assert stored.otpHash is None
            assert stored.resetPasswordToken is None
            assert await User.find_one({"email": "newcomer@example.test"}) is None
            # Any code is refused: nothing valid was left behind by the failed login.
            for guess in ("0000", "1234", "9999"):
                verify = await client.post(
                    "/api/v1/verify", json={"OTP": guess, "email": user.email}
                )
                assert verify.status_code == 401

            failures = logged.named("mail.send_failed")
            assert {f["to"] for f in failures} >= {user.email, "newcomer@example.test"}
            assert logged.named("accounts.login_mail_failed")[0]["user_id"] == str(user.id)

            # Back up: the same login works and the mailed code signs in.
            again = await client.post(
                "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            assert again.status_code == 200, again.text
            code = smtp.wait_for(user.email).text
            assert code


# --------------------------------------------------------------------------- Twilio


async def test_twilio_down_still_answers_the_link_and_logs_the_failure(
    settings_factory: Callable[..., Settings],
    twilio: FakeTwilio,
) -> None:
    settings = settings_factory()
    async with running_app(settings) as app:
        landlord = await make_user()
        async with make_client(app) as client:
            twilio.stop()
            try:
                with log_events() as logged:
                    response = await client.get(
                        "/send-token",
                        params={"number": "07700 900123", "senderId": str(landlord.id)},
                    )
            finally:
                twilio.start()
            # The link is answered (the spec sends in the background) and the
            # provider failure is logged with who and why, never raised.
            assert response.status_code == 200
            assert set(response.json()) == {"token", "url"}
            failures = logged.named("sms.send_failed") + logged.named("invites.sms_failed")
            assert failures, logged.events
            assert twilio.messages == []

            # A provider error (not a network error) is logged with its reason too.
            twilio.fail_with = (400, 21211, "The 'To' number is not a valid phone number.")
            with log_events() as logged:
                rejected = await client.get(
                    "/resend-token",
                    params={
                        "number": "07700 900124",
                        "senderId": str(landlord.id),
                        "token": call_token(),
                    },
                )
            assert rejected.status_code == 200
            assert logged.named("sms.send_failed") or logged.named("invites.sms_not_sent")
            twilio.fail_with = None

            recovered = await client.get(
                "/send-token", params={"number": "07700 900125", "senderId": str(landlord.id)}
            )
            assert recovered.status_code == 200
            assert "Please click on the link below to connect" in (
                twilio.wait_for("+447700900125").body
            )


# --------------------------------------------------------------------------- Redis


async def test_redis_down_fails_open_for_limits_and_skips_the_purge(
    settings_factory: Callable[..., Settings],
    own_redis: Restartable,
) -> None:
    own_redis.ensure_up()
    settings = settings_factory(REDIS_URL=own_redis.url, RATE_LIMIT_IP=2, RATE_LIMIT_EMAIL=2)
    async with running_app(settings) as app:
        ctx: AppContext = app.state.ctx
        owner = await make_user()
        old = utcnow() - timedelta(days=settings.TRASH_RETENTION_DAYS + 1)
        trashed = await make_meeting(owner, deleted=True, deletedAt=old)
        async with make_client(app) as client:
            bad = {"email": owner.email, "password": "wrong-password"}
            # With Redis up the limit bites at the third attempt.
            statuses = [(await client.post("/api/v1/login", json=bad)).status_code for _ in "abc"]
            assert statuses == [401, 401, 429]

            own_redis.stop()
            try:
                with log_events() as logged:
                    # Fail open: a counter store outage does not lock anyone out.
                    during = [
                        (
                            await asyncio.wait_for(
                                client.post(
                                    "/api/v1/login",
                                    json={"email": f"x{n}@example.test", "password": "x"},
                                ),
                                NO_HANG,
                            )
                        ).status_code
                        for n in range(4)
                    ]
                    ready = await client.get("/ready")
                    # The purge cannot take its lock: the cycle is skipped, not run unlocked.
                    await purge_job(ctx)
                assert during == [401, 401, 401, 401]
                assert logged.named("ratelimit.store_unavailable")
                assert ready.status_code == 503
                assert ready.json()["checks"]["redis"]["status"] == "down"
                assert logged.named("purge.failed")
                assert await Meeting.get(trashed.id) is not None
            finally:
                own_redis.back()

            await purge_job(ctx)
            assert await Meeting.get(trashed.id) is None
            assert (await client.get("/ready")).status_code == 200


async def test_redis_down_signaling_on_one_worker_keeps_working(
    settings_factory: Callable[..., Settings],
    own_redis: Restartable,
    live_server_factory: Any,
) -> None:
    own_redis.ensure_up()
    live = await live_server_factory(settings_factory(REDIS_URL=own_redis.url))
    peers = [Peer("landlord"), Peer("resident")]
    try:
        landlord_user = await make_user()
        landlord = await peers[0].connect(
            live.url, token=cookies_for(live.ctx, landlord_user)["token"]
        )
        resident = await peers[1].connect(live.url)
        own_redis.stop()
        try:
            room = call_token()
            await landlord.join(room)
            await resident.join(room)
            offer = {"type": "offer", "sdp": "v=0\r\n"}
            await landlord.emit("offer", offer, room)
            assert await resident.one("offer") == offer
            await resident.emit("answer", {"type": "answer", "sdp": "v=0\r\n"}, room)
            assert (await landlord.one("answer"))["type"] == "answer"
        finally:
            own_redis.back()
    finally:
        for peer in peers:
            await peer.close()


# --------------------------------------------------------------------------- restarts


async def test_upload_session_continues_after_a_restart(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    settings = settings_factory()
    async with running_app(settings) as first, make_client(first) as client:
        started = await client.post(
            "/api/v1/upload/session", json=resident_details(totalImages=1, totalVideos=1)
        )
        assert started.status_code == 201, started.text
        session_id = started.json()["data"]["sessionId"]
        image = await client.post(
            f"/api/v1/upload/file/{session_id}",
            json={"fileData": upload_png(), "fileType": "image", "fileIndex": 0},
        )
        assert image.status_code == 200, image.text

    # A new process (new app, new clients) with the same configuration.
    async with running_app(settings) as second, make_client(second) as client:
        video = await client.post(
            f"/api/v1/upload/file/{session_id}",
            json={"fileData": webm_data_url(), "fileType": "video", "fileIndex": 0},
        )
        assert video.status_code == 200, video.text
        done = await client.post(f"/api/v1/upload/complete/{session_id}")
        assert done.status_code == 201, done.text
        upload = await Upload.find_one({"accessCode": started.json()["data"]["accessCode"]})
    assert upload is not None
    assert (len(upload.images), len(upload.videos)) == (1, 1)
    assert len(s3_keys(s3, settings.S3_BUCKET_NAME)) == 2


async def test_sigterm_lets_the_request_in_flight_finish_and_exits(
    settings_factory: Callable[..., Settings], servers: Servers, tmp_path: Path
) -> None:
    settings = settings_factory()
    node = await start_node(settings, "", tmp_path, {"ENABLE_CLUSTER": "false"})
    try:
        async with running_app(settings) as app:
            user = await make_user()
            token = cookies_for(app.state.ctx, user)["token"]
            body = b'{"name": "Finished during shutdown"}'
            url = urlsplit(node.url)
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            writer.write(
                (
                    "POST /api/v1/folders HTTP/1.1\r\n"
                    f"Host: {url.netloc}\r\n"
                    f"Cookie: token={token}\r\n"
                    "Content-Type: application/json\r\n"
                    "Expect: 100-continue\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            # "100 Continue" is sent when the app first asks for the body: from
            # here on the request is in flight inside the application.
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), NO_HANG)
            assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
            node.proc.send_signal(signal.SIGTERM)
            writer.write(body)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), NO_HANG)
            writer.close()
            status_line = raw.decode(errors="replace").partition("\r\n")[0]
            assert status_line == "HTTP/1.1 201 Created", raw[:500]
            code = await asyncio.wait_for(node.proc.wait(), NO_HANG)
            # uvicorn re-raises the signal once its graceful shutdown is done.
            assert code in (0, -signal.SIGTERM), node.log_text()[-2000:]
            assert "Application shutdown complete." in node.log_text()
            stored = await User.get(user.id)
            assert stored is not None
            assert [f.name for f in stored.folders] == ["Finished during shutdown"]
            # And the port is closed: no new requests are taken.
            with pytest.raises(httpx.ConnectError):
                async with httpx.AsyncClient(base_url=node.url) as http:
                    await http.get("/health")
    finally:
        await stop_node(node)
