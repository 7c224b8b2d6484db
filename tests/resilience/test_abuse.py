"""Bad input and abuse: every attempt gets a clear 4xx and leaves nothing behind.

Covers oversize bodies (declared and streamed), a slow-loris body against a
real uvicorn server, malformed JSON, malformed data URLs, path traversal in
names and keys, Mongo operators where strings are expected, unicode and very
long strings, and brute force of OTPs, share codes and passwords (429 before
a guess can succeed).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.models.meeting import Meeting
from app.models.upload import Upload
from app.models.user import Role, User
from app.services.context import AppContext
from tests.conftest import LiveServer, make_client, running_app
from tests.factories.meetings import new_meeting_id, png_data_url
from tests.factories.uploads import make_upload
from tests.factories.users import DEFAULT_PASSWORD, cookies_for, make_user
from tests.resilience.support import assert_envelope, multipart_uploads, s3_keys, snapshot
from tests.support.smtp_sink import SmtpSink, extract_otp

pytestmark = pytest.mark.resilience

AppFactory = Callable[..., Any]


@contextlib.asynccontextmanager
async def app_with(
    settings_factory: Callable[..., Settings], **overrides: Any
) -> AsyncIterator[tuple[FastAPI, AppContext]]:
    async with running_app(settings_factory(**overrides)) as started:
        yield started, started.state.ctx


async def signed_in(app: FastAPI, ctx: AppContext, user: User) -> httpx.AsyncClient:
    return make_client(app, cookies=cookies_for(ctx, user))


# --------------------------------------------------------------------------- oversize bodies


async def test_declared_oversize_body_is_413_and_nothing_stored(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    async with app_with(settings_factory, MAX_FILE_SIZE="64kb") as (app, ctx):
        user = await make_user()
        meeting_id = new_meeting_id()
        body = {"meeting_id": meeting_id, "screenshots": [{"data": png_data_url(100_000)}]}
        async with await signed_in(app, ctx, user) as client:
            response = await client.post("/api/v1/meetings/create", json=body)
        assert response.status_code == 413
        assert response.json() == {
            "success": False,
            "message": "File size too large. Maximum allowed size is 64kb. "
            "Please compress your files.",
            "details": "Current limit: 64kb",
        }
        assert await Meeting.find_one({"meeting_id": meeting_id}) is None
        assert s3_keys(s3, ctx.settings.S3_BUCKET_NAME) == []


async def test_streamed_oversize_body_without_length_is_413(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    """A chunked body that never declares its size trips the limit while streaming."""
    async with app_with(settings_factory, MAX_FILE_SIZE="64kb") as (app, ctx):
        user = await make_user()
        meeting_id = new_meeting_id()
        payload = (
            b'{"meeting_id":"' + meeting_id.encode() + b'","screenshots":[{"data":"'
            b"data:image/png;base64," + base64.b64encode(b"\x89PNG" + b"\0" * 80_000) + b'"}]}'
        )

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 8192):
                yield payload[start : start + 8192]

        async with await signed_in(app, ctx, user) as client:
            response = await client.post(
                "/api/v1/meetings/create",
                content=chunks(),
                headers={"content-type": "application/json"},
            )
        assert response.status_code == 413
        assert "File size too large" in response.json()["message"]
        assert await Meeting.find_one({"meeting_id": meeting_id}) is None
        assert s3_keys(s3, ctx.settings.S3_BUCKET_NAME) == []


# --------------------------------------------------------------------------- slow loris


async def test_slow_body_times_out_with_408_on_a_real_server(
    settings_factory: Callable[..., Settings],
    live_server_factory: Callable[[Settings], Awaitable[LiveServer]],
) -> None:
    """A client that declares a body and then stalls is answered 408 and cut off,
    instead of holding a worker forever."""
    live = await live_server_factory(settings_factory(REQUEST_TIMEOUT=300))
    user = await make_user()
    token = cookies_for(live.ctx, user)["token"]
    url = urlsplit(live.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        head = (
            "POST /api/v1/folders HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\n"
            f"Cookie: token={token}\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n"
            '{"name": "slo'
        )
        writer.write(head.encode())
        await writer.drain()
        # Nothing more is ever sent; the server must answer on its own.
        raw = await asyncio.wait_for(reader.read(), 20)
    finally:
        writer.close()
    status_line, _, rest = raw.decode().partition("\r\n")
    assert status_line == "HTTP/1.1 408 Request Timeout"
    assert '"timeout_duration":"300ms"' in rest
    assert "timeout" in rest
    stored = await User.get(user.id)
    assert stored is not None
    assert stored.folders == []


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/meetings/create", b'{"meeting_id": "x", '),
        ("/api/v1/folders", b"{name: 'unquoted'}"),
        ("/api/v1/meetings/search", b"\xff\xfe not utf-8"),
        ("/api/v1/login", b'{"email": "a@b.c", "password": "x"'),
        ("/api/v1/upload/session", b"[1, 2"),
    ],
)
async def test_malformed_json_is_400_in_the_envelope(
    app: FastAPI, ctx: AppContext, path: str, raw: bytes
) -> None:
    user = await make_user()
    before = await snapshot(ctx)
    async with await signed_in(app, ctx, user) as client:
        response = await client.post(
            path, content=raw, headers={"content-type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert_envelope(response.json(), status=400)
    assert await snapshot(ctx) == before


@pytest.mark.parametrize(
    "data",
    [
        "data:image/png;base64,!!!not-base64!!!",
        "data:image/png,plain-text-not-base64",
        "http://example.com/x.png",
        "data:;base64,",
        "data:image/png;base64,",
        "data:text/html;base64," + base64.b64encode(b"<script>alert(1)</script>").decode(),
        12345,
        {"$ne": None},
    ],
)
async def test_malformed_data_url_is_400_and_nothing_stored(
    app: FastAPI, ctx: AppContext, s3: Any, data: Any
) -> None:
    user = await make_user()
    meeting_id = new_meeting_id()
    body = {
        "meeting_id": meeting_id,
        "screenshots": [{"data": png_data_url()}, {"data": data}],
    }
    async with await signed_in(app, ctx, user) as client:
        response = await client.post("/api/v1/meetings/create", json=body)
    assert response.status_code == 400, response.text
    assert_envelope(response.json(), status=400)
    # All or nothing: the valid first screenshot was not kept either.
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert s3_keys(s3, ctx.settings.S3_BUCKET_NAME) == []
    assert multipart_uploads(s3, ctx.settings.S3_BUCKET_NAME) == []


# --------------------------------------------------------------------------- path traversal


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "videodesk_screenshots/../../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "/etc/passwd",
    ],
)
async def test_media_keys_cannot_leave_the_store(
    settings_factory: Callable[..., Settings], key: str, tmp_path: Any
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    # Local-disk storage is where a traversal would reach the file system.
    async with app_with(settings_factory, S3_BUCKET_NAME="", MEDIA_ROOT=tmp_path / "media") as (
        app,
        _ctx,
    ):
        async with make_client(app) as client:
            response = await client.get(f"/media/{key}")
    assert response.status_code in (400, 404), response.text
    assert "top secret" not in response.text
    assert_envelope(response.json(), status=response.status_code)


async def test_traversal_in_a_meeting_id_never_reaches_storage_keys(
    app: FastAPI, ctx: AppContext, s3: Any
) -> None:
    user = await make_user()
    body = {"meeting_id": "../../escape", "screenshots": [{"data": png_data_url()}]}
    async with await signed_in(app, ctx, user) as client:
        response = await client.post("/api/v1/meetings/create", json=body)
    keys = s3_keys(s3, ctx.settings.S3_BUCKET_NAME)
    if response.status_code >= 400:
        assert response.status_code == 400
        assert keys == []
    else:
        assert keys, "a stored screenshot has a key"
    for key in keys:
        assert ".." not in key.split("/"), key
        assert not key.startswith("/")


async def test_traversal_in_a_ticket_attachment_name_is_neutralised(
    app: FastAPI, ctx: AppContext, s3: Any
) -> None:
    user = await make_user()
    content = base64.b64encode(b"hello").decode()
    body = {
        "category": "Technical Issue",
        "subject": "Traversal",
        "description": "file name with dots",
        "files": [{"name": "../../../etc/passwd", "data": f"data:text/plain;base64,{content}"}],
    }
    async with await signed_in(app, ctx, user) as client:
        response = await client.post("/api/v1/support-tickets/create", json=body)
    assert response.status_code < 500, response.text
    for key in s3_keys(s3, ctx.settings.S3_BUCKET_NAME):
        assert ".." not in key.split("/"), key
        assert "etc/passwd" not in key


# --------------------------------------------------------------------------- operator injection


async def test_operators_in_login_fields_are_refused(
    app: FastAPI, ctx: AppContext, smtp: SmtpSink
) -> None:
    await make_user(email="victim@example.test")
    async with make_client(app) as client:
        for body in (
            {"email": {"$ne": None}, "password": {"$ne": None}},
            {"email": {"$regex": ".*"}, "password": DEFAULT_PASSWORD},
            {"email": ["victim@example.test"], "password": DEFAULT_PASSWORD},
        ):
            response = await client.post("/api/v1/login", json=body)
            assert response.status_code == 400, (body, response.text)
            assert_envelope(response.json(), status=400)
    assert smtp.messages == []


async def test_operators_and_regex_in_searches_match_literally(
    app: FastAPI, ctx: AppContext
) -> None:
    owner = await make_user()
    stranger = await make_user()
    await make_upload(email=owner.email, first_name="Private")
    await Meeting(meeting_id=new_meeting_id(), name="Private", owner=owner.id).insert()
    async with await signed_in(app, ctx, stranger) as client:
        for body in ({"name": {"$ne": None}}, {"name": {"$regex": ".*"}}):
            response = await client.post("/api/v1/meetings/search", json=body)
            assert response.status_code == 400, (body, response.text)
            assert_envelope(response.json(), status=400)
        # Unknown keys are ignored, operators and all: still nothing of the owner's.
        ignored = await client.post(
            "/api/v1/meetings/search", json={"$where": "1", "q": {"$gt": ""}}
        )
        assert ignored.status_code == 200, ignored.text
        assert ignored.json()["meetings"] == []
        for text in (".*", "^", "(", "[a-z]+", "$where"):
            meetings = await client.post("/api/v1/meetings/search", json={"name": text})
            assert meetings.status_code == 200, meetings.text
            assert meetings.json()["meetings"] == []
            uploads = await client.post("/api/v1/uploads/search", json={"query": text})
            assert uploads.status_code in (200, 400), uploads.text
            if uploads.status_code == 200:
                assert uploads.json()["data"]["uploads"] == []


async def test_operator_as_access_code_is_refused(app: FastAPI, ctx: AppContext) -> None:
    await make_upload(accessCode="4321", house_name_number="12", actualPostCode="LS11AA")
    async with make_client(app) as client:
        response = await client.post(
            "/api/v1/validate-access-code",
            json={"code": {"$ne": None}, "house": "12", "postcode": "LS11AA"},
        )
    assert response.status_code == 400
    assert response.json() == {"valid": False, "message": "Invalid input."}


# --------------------------------------------------------------------------- unicode and length


@pytest.mark.parametrize(
    "name",
    [
        "x" * 100_000,
        "line\u0000nul",
        "bell\u0007and\u001b[31mescape",
        "😀" * 5000,
    ],
)
async def test_very_long_or_odd_folder_names_are_refused(
    app: FastAPI, ctx: AppContext, name: str
) -> None:
    user = await make_user()
    before = await snapshot(ctx)
    async with await signed_in(app, ctx, user) as client:
        response = await client.post("/api/v1/folders", json={"name": name})
    assert response.status_code == 400, response.text
    assert_envelope(response.json(), status=400)
    assert await snapshot(ctx) == before


async def test_unicode_names_round_trip(app: FastAPI, ctx: AppContext) -> None:
    user = await make_user()
    async with await signed_in(app, ctx, user) as client:
        created = await client.post("/api/v1/folders", json={"name": "Zoë's flat — 東京 😀"})
        assert created.status_code == 201, created.text
        listed = await client.get("/api/v1/folders")
    assert [f["name"] for f in listed.json()["folders"]] == ["Zoë's flat — 東京 😀"]


async def test_very_long_strings_elsewhere_never_500(app: FastAPI, ctx: AppContext) -> None:
    user = await make_user()
    long_text = "é" * 200_000
    requests: list[tuple[str, str, Any]] = [
        ("POST", "/api/v1/login", {"email": long_text, "password": long_text}),
        ("POST", "/api/v1/register", {"email": f"{long_text}@x.test", "password": "x"}),
        ("POST", "/api/v1/meetings/search", {"name": long_text}),
        ("PUT", "/api/v1/user/message-settings", {"tailoredMessage": long_text}),
        (
            "POST",
            "/api/v1/validate-access-code",
            {"code": long_text, "house": "1", "postcode": "x"},
        ),
        ("GET", f"/api/v1/upload/{'9' * 5000}", None),
        ("GET", f"/api/v1/meetings/{'a' * 5000}", None),
    ]
    async with await signed_in(app, ctx, user) as client:
        for method, path, body in requests:
            response = await client.request(method, path, json=body)
            assert 400 <= response.status_code < 500, (path, response.status_code, response.text)


# --------------------------------------------------------------------------- brute force


async def test_otp_guessing_hits_429_before_the_right_code(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    async with app_with(
        settings_factory, RATE_LIMIT_EMAIL=3, RATE_LIMIT_IP=50, OTP_MAX_ATTEMPTS=100
    ) as (app, _ctx):
        user = await make_user(email="guess@example.test")
        async with make_client(app) as client:
            login = await client.post(
                "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            assert login.status_code == 200, login.text
            code = extract_otp(smtp.wait_for(user.email).text)
            wrong = [f"{n:04d}" for n in range(10_000) if f"{n:04d}" != code]
            statuses = []
            for guess in wrong[:5]:
                statuses.append(
                    (await client.post("/api/v1/verify", json={"OTP": guess})).status_code
                )
            right = await client.post("/api/v1/verify", json={"OTP": code})
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]
    assert right.status_code == 429
    assert "token" not in right.cookies


async def test_otp_is_burnt_after_max_wrong_attempts(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    """Even spread across many IPs and windows, a code stops working after
    ``OTP_MAX_ATTEMPTS`` wrong guesses."""
    async with app_with(
        settings_factory, RATE_LIMIT_EMAIL=100, RATE_LIMIT_IP=100, OTP_MAX_ATTEMPTS=3
    ) as (app, _ctx):
        user = await make_user(email="burn@example.test")
        async with make_client(app) as client:
            await client.post(
                "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            code = extract_otp(smtp.wait_for(user.email).text)
            wrong = "0000" if code != "0000" else "1111"
            for _ in range(3):
                assert (await client.post("/api/v1/verify", json={"OTP": wrong})).status_code == 401
            right = await client.post("/api/v1/verify", json={"OTP": code})
    assert right.status_code == 401
    assert "token" not in right.cookies


async def test_access_code_enumeration_hits_429(
    settings_factory: Callable[..., Settings],
) -> None:
    async with app_with(settings_factory, RATE_LIMIT_PUBLIC=5) as (app, _ctx):
        await make_upload(accessCode="7777", house_name_number="12", actualPostCode="LS11AA")
        async with make_client(app) as client:
            statuses = []
            for guess in ("1000", "1001", "1002", "1003", "1004"):
                response = await client.post(
                    "/api/v1/validate-access-code",
                    json={"code": guess, "house": "12", "postcode": "LS11AA"},
                )
                statuses.append(response.status_code)
            right = await client.post(
                "/api/v1/validate-access-code",
                json={"code": "7777", "house": "12", "postcode": "LS11AA"},
            )
            lookup = await client.get("/api/v1/upload/7777")
    assert statuses == [404] * 5
    assert right.status_code == 429
    assert right.json()["valid"] is False
    assert lookup.status_code == 429
    assert_envelope(lookup.json(), status=429)


async def test_share_code_lookup_enumeration_hits_429(
    settings_factory: Callable[..., Settings],
) -> None:
    async with app_with(settings_factory, RATE_LIMIT_PUBLIC=4) as (app, _ctx):
        await make_upload(accessCode="8888")
        async with make_client(app) as client:
            misses = [(await client.get(f"/api/v1/upload/{n}")).status_code for n in range(4)]
            right = await client.get("/api/v1/upload/8888")
    assert misses == [404] * 4
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) >= 1


async def test_login_flooding_hits_429_before_the_right_password(
    settings_factory: Callable[..., Settings], smtp: SmtpSink
) -> None:
    async with app_with(settings_factory, RATE_LIMIT_IP=100, RATE_LIMIT_EMAIL=4) as (app, _c):
        user = await make_user(email="flood@example.test")
        async with make_client(app) as client:
            statuses = [
                (
                    await client.post(
                        "/api/v1/login", json={"email": user.email, "password": f"wrong-{n}"}
                    )
                ).status_code
                for n in range(4)
            ]
            right = await client.post(
                "/api/v1/login", json={"email": user.email, "password": DEFAULT_PASSWORD}
            )
            stored = await User.get(user.id)
    assert statuses == [401] * 4
    assert right.status_code == 429
    assert_envelope(right.json(), status=429)
    assert smtp.messages == []
    assert stored is not None
    assert stored.otpHash is None


async def test_login_flooding_from_one_ip_across_accounts_hits_429(
    settings_factory: Callable[..., Settings],
) -> None:
    async with app_with(settings_factory, RATE_LIMIT_IP=5, RATE_LIMIT_EMAIL=100) as (app, _c):
        async with make_client(app) as client:
            statuses = [
                (
                    await client.post(
                        "/api/v1/login", json={"email": f"probe{n}@example.test", "password": "x"}
                    )
                ).status_code
                for n in range(7)
            ]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]


async def test_uploads_of_a_role_guarded_route_stay_refused(app: FastAPI, ctx: AppContext) -> None:
    """A resident cannot reach staff data by adding query operators."""
    resident = await make_user(role=Role.RESIDENT)
    async with await signed_in(app, ctx, resident) as client:
        response = await client.get(
            "/api/v1/support-tickets/admin/export", params={"status[$ne]": "x"}
        )
    assert response.status_code in (401, 403)
    assert_envelope(response.json(), status=response.status_code)
    assert await Upload.find_all().count() == 0


async def test_undecodable_body_on_a_swapped_route_is_400(app: FastAPI, ctx: AppContext) -> None:
    """Found by the schemathesis run: not-UTF-8 bytes on the chat routes were a 500."""
    user = await make_user()
    async with await signed_in(app, ctx, user) as client:
        response = await client.post(
            "/api/v1/chat/sessions",
            content=b"\xff\x79\x3f\x34",
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False
