"""The product's core journey in two real browsers (docs/e2e.md).

A landlord signs up in headless Chromium (the OTP comes from the SMTP sink),
waits for the resident, calls them over WebRTC with the service relaying the
offer, answer and ICE candidates through Socket.IO, records three seconds of the
resident's picture, takes a canvas screenshot and saves both through
``POST /api/v1/meetings/create``. The resident is a second, anonymous browser
context on the room link. The pages in ``pages/`` follow the frontend's event
flow (signaling.md §4.2, §4.3); the service runs as a real uvicorn server.

Every wait is on a condition with its own bound, and the whole journey is
bounded by ``JOURNEY_TIMEOUT``; nothing sleeps for a fixed time except the
landlord page's three-second recording, which is the feature itself.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.core.config import Settings
from tests.conftest import LiveServer
from tests.e2e.conftest import BrowserKit, PageServer
from tests.support.smtp_sink import SmtpSink, extract_otp

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

pytestmark = pytest.mark.browser

JOURNEY_TIMEOUT = 90.0
STEP_TIMEOUT_MS = 30_000
RECORD_SECONDS = 3
VIEWPORT: ViewportSize = {"width": 680, "height": 584}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PASSWORD = "Landlord-Pass-2024"


async def wait_for_room_member(live: LiveServer, room: str, timeout: float = 15.0) -> None:
    """Until a socket is in ``room`` on the live server.

    ``admin-waiting`` has no acknowledgement and ``user-opened-link`` is not
    buffered (signaling.md §4.2), so the resident may only open the link once
    the landlord's waiting socket is in its room; a human has seconds of slack
    here, the test has none. This reads the in-memory Socket.IO manager of the
    single-process test server.
    """
    manager = live.app.state.sio.manager
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not any(True for _ in manager.get_participants("/", room)):
        if loop.time() > deadline:
            raise AssertionError(f"no socket joined {room!r} within {timeout}s")
        await asyncio.sleep(0.05)


async def wait_until(page: Page, expression: str, what: str) -> None:
    """Until ``expression`` is truthy in ``page``; the page's own log explains a timeout."""
    try:
        await page.wait_for_function(expression, timeout=STEP_TIMEOUT_MS)
    except Exception as exc:
        try:
            state = await page.evaluate("JSON.stringify(window.callkit && window.callkit.state)")
        except Exception as unreadable:
            state = f"<unreadable: {unreadable}>"
        raise AssertionError(f"{what}: {expression!r} never held; page state {state}") from exc


def keep_console(page: Page, lines: list[str]) -> None:
    page.on("console", lambda message: lines.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: lines.append(f"[pageerror] {error}"))


async def s3_object(s3: Any, bucket: str, prefix: str) -> tuple[str, str, bytes]:
    """The one object under ``prefix``: key, content type, bytes."""
    listing = await asyncio.to_thread(s3.list_objects_v2, Bucket=bucket, Prefix=prefix)
    keys = [item["Key"] for item in listing.get("Contents", [])]
    assert len(keys) == 1, f"expected one object under {prefix}, found {keys}"
    got = await asyncio.to_thread(s3.get_object, Bucket=bucket, Key=keys[0])
    body = await asyncio.to_thread(got["Body"].read)
    return keys[0], got["ContentType"], body


async def test_landlord_and_resident_call_record_and_save(
    browser_kit: BrowserKit,
    page_server: PageServer,
    browser: Browser,
    settings_factory: Callable[..., Settings],
    live_server_factory: Callable[[Settings], Awaitable[LiveServer]],
    smtp: SmtpSink,
    s3: Any,
    artifacts_dir: Path,
) -> None:
    settings = settings_factory(FRONTEND_URL=page_server.origin)
    live = await live_server_factory(settings)
    token = str(uuid.uuid4())
    email = f"landlord-{uuid.uuid4().hex[:8]}@example.test"
    consoles: dict[str, list[str]] = {"landlord": [], "resident": []}
    contexts: list[BrowserContext] = []
    pages: dict[str, Page] = {}
    try:
        async with asyncio.timeout(JOURNEY_TIMEOUT):
            await _journey(
                browser, page_server, live, settings, smtp, s3, artifacts_dir,
                token, email, consoles, contexts, pages,
            )  # fmt: skip
    except BaseException:
        for name, page in pages.items():
            try:
                await page.screenshot(path=artifacts_dir / f"failure-{name}.png", timeout=5_000)
            except Exception:  # the page may be what failed; the logs still get written
                continue
        raise
    finally:
        for name, lines in consoles.items():
            (artifacts_dir / f"{name}-console.log").write_text("\n".join(lines) + "\n")
        for context in contexts:
            try:
                await context.close()
            except Exception:
                continue


async def _journey(
    browser: Browser,
    page_server: PageServer,
    live: LiveServer,
    settings: Settings,
    smtp: SmtpSink,
    s3: Any,
    artifacts_dir: Path,
    token: str,
    email: str,
    consoles: dict[str, list[str]],
    contexts: list[BrowserContext],
    pages: dict[str, Page],
) -> None:
    landlord_context = await browser.new_context(viewport=VIEWPORT)
    resident_context = await browser.new_context(viewport=VIEWPORT)
    contexts += [landlord_context, resident_context]

    # --- the landlord signs up from the page; the OTP arrives in the SMTP sink -------------
    landlord = pages["landlord"] = await landlord_context.new_page()
    keep_console(landlord, consoles["landlord"])
    await landlord.goto(page_server.landlord_url(token, live.url))
    await wait_until(landlord, "window.app !== undefined", "landlord page loaded")

    registered = await landlord.evaluate("([e, p]) => app.register(e, p)", [email, PASSWORD])
    assert registered == {
        "status": 200,
        "body": {"success": True, "message": "OTP Sent to your email successfully"},
    }
    mail = await asyncio.to_thread(
        smtp.wait_for, email, 10.0, "Videodesk - Account Verification OTP"
    )
    verified = await landlord.evaluate("otp => app.verify(otp)", extract_otp(mail.text))
    assert verified["status"] == 200, verified
    assert verified["body"]["success"] is True
    assert verified["body"]["message"] == f"Welcome back, {email}"
    user = verified["body"]["user"]
    assert user["email"] == email
    assert user["role"] == "landlord"
    assert re.fullmatch(r"[0-9a-f]{24}", user["_id"])

    cookies = {c["name"]: c for c in await landlord_context.cookies(live.url)}
    assert "token" in cookies, sorted(cookies)
    assert cookies["token"]["httpOnly"] is True
    assert cookies["token"]["sameSite"] == "Lax"
    me = await landlord.evaluate("app.me()")
    assert me["status"] == 200, me
    assert me["body"]["user"]["_id"] == user["_id"]

    # --- the landlord waits; the anonymous resident opens the room link ---------------------
    await landlord.evaluate("app.waitForResident()")
    await wait_for_room_member(live, f"admin-{token}")

    resident = pages["resident"] = await resident_context.new_page()
    keep_console(resident, consoles["resident"])
    await resident.goto(page_server.resident_url(token, live.url))
    assert await resident_context.cookies(live.url) == []

    await wait_until(landlord, "app.state.residentOpened", "landlord told the link was opened")
    await wait_until(landlord, "app.state.connectionState === 'connected'", "landlord connected")
    await wait_until(resident, "app.state.connectionState === 'connected'", "resident connected")
    await wait_until(
        resident,
        "app.state.framesRendered >= 15 && app.remoteVideo.videoWidth > 0",
        "resident plays the landlord's camera",
    )
    await wait_until(landlord, "app.state.framesRendered >= 15", "landlord plays the resident")

    # Every candidate each side sent was relayed to the other (only loopback ones are sent).
    for page in (landlord, resident):
        await wait_until(page, "app.state.gatheringState === 'complete'", "ICE gathering done")
    sent_by_landlord = await landlord.evaluate("app.state.candidatesSent")
    sent_by_resident = await resident.evaluate("app.state.candidatesSent")
    assert sent_by_landlord > 0
    assert sent_by_resident > 0
    await wait_until(
        resident, f"app.state.candidatesReceived === {sent_by_landlord}", "landlord's candidates"
    )
    await wait_until(
        landlord, f"app.state.candidatesReceived === {sent_by_resident}", "resident's candidates"
    )

    landlord_state = await landlord.evaluate("app.state")
    resident_state = await resident.evaluate("app.state")
    (artifacts_dir / "landlord-state.json").write_text(json.dumps(landlord_state, indent=2))
    (artifacts_dir / "resident-state.json").write_text(json.dumps(resident_state, indent=2))
    assert landlord_state["errors"] == [], landlord_state["errors"]
    assert resident_state["errors"] == [], resident_state["errors"]
    assert landlord_state["joinedRoom"] == token
    assert resident_state["joinedRoom"] == token
    # WebRTC carries the sender's stream id (msid): the resident's remote video is the
    # landlord's fake camera stream, and the other way round.
    assert resident_state["remoteStreamId"] == landlord_state["localStreamId"]
    assert landlord_state["remoteStreamId"] == resident_state["localStreamId"]

    picture = await resident.evaluate("app.sampleRemote()")
    (artifacts_dir / "resident-picture.json").write_text(json.dumps(picture))
    assert picture["width"] > 0
    assert picture["height"] > 0
    # A camera picture (the fake device draws a clock and a moving shape on green), not a
    # black or flat frame.
    assert picture["distinctColours"] > 4, picture
    assert picture["meanBrightness"] > 10, picture

    await landlord.screenshot(path=artifacts_dir / "landlord-call.png")
    await resident.screenshot(path=artifacts_dir / "resident-call.png")

    # --- the landlord records, screenshots and saves the meeting ----------------------------
    saved = await landlord.evaluate(f"app.recordAndSave({RECORD_SECONDS})")
    assert saved["status"] == 201, saved["body"]
    assert saved["mimeType"].startswith("video/webm")
    assert saved["recordingPrefix"].startswith("data:video/webm")
    assert saved["screenshotPrefix"] == "data:image/png;base64,"
    body = saved["body"]
    assert body["success"] is True
    assert body["message"] == "Meeting created successfully"
    summary = body["upload_summary"]
    assert summary["recordings_uploaded"] == 1
    assert summary["recordings_attempted"] == 1
    assert summary["screenshots_uploaded"] == 1
    assert summary["screenshots_attempted"] == 1
    assert summary["created_by"] == user["_id"]
    assert body["meeting"]["meeting_id"] == token

    found = await landlord.evaluate("app.meeting()")
    assert found["status"] == 200, found
    meeting = found["body"]["meeting"]
    assert meeting is not None
    assert meeting["meeting_id"] == token
    assert meeting["owner"] == user["_id"]
    assert meeting["repair_detail"] == "Damp patch above the kitchen window"
    assert meeting["total_recordings"] == 1
    assert meeting["total_screenshots"] == 1
    [recording] = meeting["recordings"]
    [screenshot] = meeting["screenshots"]

    bucket = settings.S3_BUCKET_NAME
    video_key, video_type, video = await s3_object(
        s3, bucket, f"videodesk_recordings/{token}/{user['_id']}/"
    )
    image_key, image_type, image = await s3_object(
        s3, bucket, f"videodesk_screenshots/{token}/{user['_id']}/"
    )
    assert recording["cloudinary_id"] == video_key
    assert screenshot["cloudinary_id"] == image_key
    assert video_key.endswith(".webm")
    assert image_key.endswith(".png")
    assert video_type == "video/webm"
    assert image_type == "image/png"
    assert video.startswith(EBML_MAGIC), video[:16]
    assert len(video) > 10 * 1024
    assert len(video) == saved["recordingBytes"]
    assert recording["size"] == len(video)
    assert image.startswith(PNG_MAGIC)
    assert screenshot["size"] == len(image)

    # --- the landlord hangs up: the resident hears user-disconnected with no argument -------
    await landlord.evaluate("app.hangUp()")
    await wait_until(resident, "app.state.peerLeft", "resident told the landlord hung up")
    assert await resident.evaluate("app.state.peerLeftArgs") == 0

    (artifacts_dir / "meeting.json").write_text(json.dumps(meeting, indent=2) + "\n")
