"""Upload trash purge and the sweep of abandoned staged sessions, with injected time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from beanie import PydanticObjectId

from app.core.config import Settings
from app.models.upload import Upload, UploadSession
from app.services.context import AppContext
from app.services.purge import run_purge_cycle
from app.services.uploads import (
    SESSION_SWEEP_GRACE,
    purge_trashed_uploads,
    sweep_expired_sessions,
)
from tests.factories.uploads import make_upload, png_data_url, resident_details

API = "/api/v1"


def bucket_keys(s3: Any, settings: Settings) -> list[str]:
    listing = s3.list_objects_v2(Bucket=settings.S3_BUCKET_NAME, Prefix="upload_")
    return sorted(item["Key"] for item in listing.get("Contents", []))


async def staged(client: httpx.AsyncClient, files: int = 1) -> str:
    started = await client.post(
        f"{API}/upload/session", json=resident_details(totalImages=files, totalVideos=0)
    )
    session_id: str = started.json()["data"]["sessionId"]
    for index in range(files):
        sent = await client.post(
            f"{API}/upload/file/{session_id}",
            json={"fileData": png_data_url(), "fileType": "image", "fileIndex": index},
        )
        assert sent.status_code == 200
    return session_id


async def finished_upload(client: httpx.AsyncClient) -> Upload:
    session_id = await staged(client)
    done = await client.post(f"{API}/upload/complete/{session_id}")
    upload = await Upload.get(done.json()["data"]["upload"]["_id"])
    assert upload is not None
    return upload


async def test_trashed_uploads_are_purged_with_their_objects_after_retention(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    now = datetime.now(UTC)
    old = await finished_upload(client)
    recent = await finished_upload(client)
    live = await finished_upload(client)
    await old.set({"deleted": True, "deletedAt": now - timedelta(days=10, minutes=1)})
    await recent.set({"deleted": True, "deletedAt": now - timedelta(days=9)})
    # Flagged deleted without a date (the original's data): never due, never lost.
    undated = await make_upload(deleted=True)

    assert await purge_trashed_uploads(ctx, now) == 1
    assert await Upload.get(old.id) is None
    for kept in (recent, live, undated):
        assert await Upload.get(kept.id) is not None
    assert old.images[0].s3_key not in bucket_keys(s3, settings)
    assert len(bucket_keys(s3, settings)) == 2

    # Eleven days later the second one is due as well; the live one never.
    later = now + timedelta(days=2)
    assert await purge_trashed_uploads(ctx, later) == 1
    assert bucket_keys(s3, settings) == [live.images[0].s3_key]


async def test_a_restored_upload_is_not_purged(client: httpx.AsyncClient, ctx: AppContext) -> None:
    now = datetime.now(UTC)
    upload = await make_upload(deleted=True, deletedAt=now - timedelta(days=30))
    await upload.set({"deleted": False})
    assert await purge_trashed_uploads(ctx, now) == 0
    assert await Upload.get(upload.id) is not None


async def test_expired_sessions_leave_no_objects_behind(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    abandoned = await staged(client, files=2)
    completed = await finished_upload(client)
    # An object whose request died between the write and the bookkeeping.
    orphan = "upload_images/9999/1700000000000_0_0011223344556677.png"
    s3.put_object(Bucket=settings.S3_BUCKET_NAME, Key=orphan, Body=b"x")
    await UploadSession.find_one({"_id": abandoned}).update({"$push": {"pendingKeys": orphan}})
    assert len(bucket_keys(s3, settings)) == 4

    now = datetime.now(UTC)
    assert await sweep_expired_sessions(ctx, now) == 0  # nothing has expired yet

    after_expiry = now + timedelta(hours=settings.UPLOAD_SESSION_TTL_HOURS, minutes=1)
    assert await sweep_expired_sessions(ctx, after_expiry) == 2
    assert await UploadSession.count() == 0
    # The completed session's objects belong to its upload and stay.
    assert bucket_keys(s3, settings) == [completed.images[0].s3_key]


async def test_a_claimed_but_unfinished_session_is_swept_only_after_the_grace(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    session_id = await staged(client)
    # A complete claimed an upload id, then its process died before the insert.
    await UploadSession.find_one({"_id": session_id}).update(
        {"$set": {"uploadId": PydanticObjectId()}}
    )
    expired = datetime.now(UTC) + timedelta(hours=settings.UPLOAD_SESSION_TTL_HOURS, minutes=1)
    assert await sweep_expired_sessions(ctx, expired) == 0
    assert len(bucket_keys(s3, settings)) == 1
    assert await sweep_expired_sessions(ctx, expired + SESSION_SWEEP_GRACE) == 1
    assert bucket_keys(s3, settings) == []


async def test_the_purge_cycle_runs_the_upload_jobs(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    now = datetime.now(UTC)
    await make_upload(deleted=True, deletedAt=now - timedelta(days=11))
    await staged(client)
    report = await run_purge_cycle(ctx, now + timedelta(days=2))
    assert report.removed["uploads"] == 1
    assert report.removed["upload_sessions"] == 1
