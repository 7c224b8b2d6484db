"""Meetings routes against the real Mongo-wire server and the real S3 (moto) server."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.models.meeting import AccessEntry, Meeting
from app.models.user import User
from app.services import meetings as meetings_service
from app.services.context import AppContext
from tests.conftest import make_client, running_app
from tests.factories.meetings import (
    PNG_HEADER,
    WEBM_HEADER,
    data_url,
    make_meeting,
    new_meeting_id,
    png_data_url,
    stored_recording,
    stored_screenshot,
    webm_data_url,
)
from tests.factories.users import make_user, token_for

BASE = "/api/v1/meetings"
MiB = 1024 * 1024


def auth(ctx: AppContext, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(ctx, user)}"}


def bucket_keys(s3: Any, bucket: str) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


class EmitRecorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.events.append((event, data, room))


@pytest.fixture
def emitted(ctx: AppContext) -> EmitRecorder:
    recorder = EmitRecorder()
    ctx.notifier.attach(recorder)
    return recorder


@pytest.fixture
async def owner(ctx: AppContext) -> User:
    return await make_user(email="owner@example.test")


@pytest.fixture
async def other(ctx: AppContext) -> User:
    return await make_user(email="other@example.test")


UPLOAD_SUMMARY_KEYS = {
    "total_time",
    "success_rate",
    "recordings_uploaded",
    "recordings_attempted",
    "screenshots_uploaded",
    "screenshots_attempted",
    "total_files_processed",
    "total_files_attempted",
    "created_by",
}
MEDIA_SUMMARY_KEYS = {
    "success_rate",
    "total_recordings_count",
    "total_screenshots_count",
    "new_recordings_added",
    "new_screenshots_added",
    "new_files_attempted",
    "new_files_successful",
    "updated_by",
    "meeting_userId",
}


# --------------------------------------------------------------------------- M1 create


async def test_create_new_meeting_uploads_media_and_answers_201(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    s3: Any,
    settings: Settings,
    emitted: EmitRecorder,
) -> None:
    meeting_id = new_meeting_id()
    recording = webm_data_url(4000)
    screenshot = png_data_url(500)
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": meeting_id,
            "first_name": "  Ann ",
            "name": "Ann Smith",
            "reference": "REF-9",
            "post_code": "E1 6AN",
            "address": "never stored",
            "update_mode": "create",
            "work_details": [{"detail": " Damp ", "target_time": "24h"}],
            "special_notes": "Mould in bathroom",
            "recordings": [
                {"data": recording, "duration": 12.5, "timestamp": "2024-03-01T10:00:00Z"}
            ],
            "screenshots": [
                {"data": screenshot, "timestamp": "3/1/2024, 10:05:00 AM", "canvasId": "x"}
            ],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Meeting created successfully"
    assert set(body["upload_summary"]) == UPLOAD_SUMMARY_KEYS
    summary = body["upload_summary"]
    assert summary["success_rate"] == "100%"
    assert summary["recordings_uploaded"] == 1
    assert summary["recordings_attempted"] == 1
    assert summary["screenshots_uploaded"] == 1
    assert summary["screenshots_attempted"] == 1
    assert summary["total_files_processed"] == 2
    assert summary["total_files_attempted"] == 2
    assert summary["created_by"] == str(owner.id)
    assert re.fullmatch(r"\d+ms", summary["total_time"])
    assert body["user_message_settings"]["selectedButtonColor"] == "bg-green-800"

    meeting = body["meeting"]
    assert meeting["meeting_id"] == meeting_id
    assert meeting["first_name"] == "Ann"
    assert "address" not in meeting
    assert "update_mode" not in meeting
    for key in ("owner", "userId", "created_by", "last_updated_by"):
        assert meeting[key] == str(owner.id)
    assert meeting["work_details"][0]["detail"] == "Damp"
    assert re.fullmatch(r"[0-9a-f]{24}", meeting["work_details"][0]["_id"])
    assert meeting["total_recordings"] == 1
    assert meeting["total_screenshots"] == 1
    rec, shot = meeting["recordings"][0], meeting["screenshots"][0]
    assert re.fullmatch(r"[0-9a-f]{24}", shot["_id"])
    assert shot["timestamp"] == "2024-03-01T10:05:00.000Z"
    assert rec["timestamp"] == "2024-03-01T10:00:00.000Z"
    assert rec["duration"] == 12.5
    assert rec["uploaded_by"] == str(owner.id)
    assert re.fullmatch(
        rf"videodesk_recordings/{meeting_id}/{owner.id}/\d{{13}}_0_[0-9a-f]{{16}}\.webm",
        rec["cloudinary_id"],
    )
    assert re.fullmatch(
        rf"videodesk_screenshots/{meeting_id}/{owner.id}/\d{{13}}_0_[0-9a-f]{{16}}\.png",
        shot["cloudinary_id"],
    )
    assert rec["url"] == ctx.storage.url_for(rec["cloudinary_id"])

    bucket = settings.S3_BUCKET_NAME
    head = s3.head_object(Bucket=bucket, Key=rec["cloudinary_id"])
    assert head["ContentType"] == "video/webm"
    assert head["ContentLength"] == rec["size"] == 4000
    stored_rec = s3.get_object(Bucket=bucket, Key=rec["cloudinary_id"])["Body"].read()
    assert stored_rec == base64.b64decode(recording.split(";base64,", 1)[1])
    assert s3.head_object(Bucket=bucket, Key=shot["cloudinary_id"])["ContentType"] == "image/png"

    stored = await Meeting.find_one({"meeting_id": meeting_id})
    assert stored is not None
    assert stored.total_recordings == 1

    assert [(e, room) for e, _, room in emitted.events] == [
        ("meeting-data-available", meeting_id),
        ("meeting-data-updated", f"admin-{meeting_id}"),
    ]
    payload = emitted.events[0][1]
    assert payload["meeting_id"] == meeting_id
    assert "access_history" not in payload["meeting"]


async def test_create_on_existing_meeting_overwrites_fields_and_appends_media(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    meeting = await make_meeting(owner, name="Old", reference="R1", city="Leeds")
    meeting.recordings = [await stored_recording(ctx, meeting.meeting_id, owner)]
    meeting.total_recordings = 1
    await meeting.save()
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": meeting.meeting_id,
            "name": "New name",
            "reference": "",
            "city": None,
            "recordings": [{"data": webm_data_url(100, codecs=False)}],
            "screenshots": [{"data": png_data_url()}, {"data": png_data_url()}],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Meeting updated successfully with new media files"
    assert set(body["media_summary"]) == MEDIA_SUMMARY_KEYS
    assert body["media_summary"] == {
        "success_rate": "100%",
        "total_recordings_count": 2,
        "total_screenshots_count": 2,
        "new_recordings_added": 1,
        "new_screenshots_added": 2,
        "new_files_attempted": 3,
        "new_files_successful": 3,
        "updated_by": str(owner.id),
        "meeting_userId": str(owner.id),
    }
    doc = body["meeting"]
    assert doc["name"] == "New name"
    assert doc["reference"] == ""
    assert doc["city"] is None
    assert doc["last_name"] == meeting.last_name  # absent keys untouched
    assert len(doc["recordings"]) == 2
    assert len(doc["screenshots"]) == 2
    assert [s["cloudinary_id"].split("_")[-2] for s in doc["screenshots"]]  # indexes in keys
    assert {s["cloudinary_id"].rsplit("/", 1)[1].split("_")[1] for s in doc["screenshots"]} == {
        "0",
        "1",
    }
    assert len(bucket_keys(s3, settings.S3_BUCKET_NAME)) == 4


async def test_create_on_someone_elses_meeting_id_is_404_and_writes_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    other: User,
    s3: Any,
    settings: Settings,
) -> None:
    meeting = await make_meeting(owner, name="Mine")
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, other),
        json={
            "meeting_id": meeting.meeting_id,
            "name": "Hijacked",
            "screenshots": [{"data": png_data_url()}],
        },
    )
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Meeting not found"}
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert reloaded.name == "Mine"
    assert reloaded.screenshots == []
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []


async def test_create_requires_auth_and_meeting_id(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    response = await client.post(f"{BASE}/create", json={"meeting_id": "x"})
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Unauthorize user"}
    for payload in ({}, {"meeting_id": ""}, {"meeting_id": "   "}, {"meeting_id": {"$gt": ""}}):
        response = await client.post(f"{BASE}/create", headers=auth(ctx, owner), json=payload)
        assert response.status_code == 400, payload
        assert response.json() == {"success": False, "message": "Meeting ID is required"}
    response = await client.post(
        f"{BASE}/create", headers=auth(ctx, owner), json={"meeting_id": "m", "name": 5}
    )
    assert response.status_code == 400
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    ("screenshot", "message"),
    [
        ("not a data url", "Screenshot 2: File data must be a data URL (data:<type>;base64,...)"),
        (42, "Screenshot 2: File data must be a base64 data URL string"),
        ("data:image/png;base64,", "Screenshot 2: File data is empty"),
        ("data:text/html;base64,PGI+", "Screenshot 2: Unsupported screenshot type: text/html"),
        ("data:image/png;base64,abc", "Screenshot 2: Invalid base64 file data"),
    ],
)
async def test_create_with_bad_media_is_400_with_no_record_and_no_object(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    s3: Any,
    settings: Settings,
    screenshot: Any,
    message: str,
) -> None:
    meeting_id = new_meeting_id()
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": meeting_id,
            "recordings": [{"data": webm_data_url()}],
            "screenshots": [{"data": png_data_url()}, {"data": screenshot}],
        },
    )
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []


async def test_failed_upload_midway_rolls_back_written_objects(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    """A payload that only fails while decoding (after other files were stored)."""
    meeting_id = new_meeting_id()
    good = base64.b64encode(os.urandom(3000)).decode()
    broken = f"data:image/png;base64,{good[:-4]}!!!!"
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": meeting_id,
            "recordings": [{"data": webm_data_url(2000)}, {"data": webm_data_url(2000)}],
            "screenshots": [{"data": png_data_url()}, {"data": broken}],
        },
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid base64 file data"
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []
    assert not s3.list_multipart_uploads(Bucket=settings.S3_BUCKET_NAME).get("Uploads")


async def test_oversize_screenshot_is_413_before_any_upload(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    meeting_id = new_meeting_id()
    # 25 MiB + 3 bytes decoded, built as text directly (content is irrelevant).
    too_big = "data:image/png;base64," + "A" * ((25 * MiB) // 3 * 4 + 8)
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={"meeting_id": meeting_id, "screenshots": [{"data": too_big}]},
    )
    assert response.status_code == 413
    assert "File size too large" in response.json()["message"]
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []


async def test_storage_down_is_502_and_nothing_saved(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        S3_ENDPOINT_URL="http://127.0.0.1:9", S3_MAX_RETRIES=1, S3_CONNECTION_TIMEOUT=300
    )
    async with running_app(settings) as app:
        ctx: AppContext = app.state.ctx
        user = await make_user(email="down@example.test")
        async with make_client(app) as http:
            meeting_id = new_meeting_id()
            response = await http.post(
                f"{BASE}/create",
                headers=auth(ctx, user),
                json={"meeting_id": meeting_id, "screenshots": [{"data": png_data_url()}]},
            )
        assert response.status_code == 502
        assert response.json()["success"] is False
        assert await Meeting.find_one({"meeting_id": meeting_id}) is None


async def test_20_mb_recording_goes_up_as_multipart(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    meeting_id = new_meeting_id()
    payload = os.urandom(20 * MiB)
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": meeting_id,
            "recordings": [{"data": data_url("video/webm;codecs=vp9,opus", payload)}],
        },
    )
    assert response.status_code == 201, response.text
    key = response.json()["meeting"]["recordings"][0]["cloudinary_id"]
    assert key.startswith(f"videodesk_recordings/{meeting_id}/{owner.id}/")
    head = s3.head_object(Bucket=settings.S3_BUCKET_NAME, Key=key)
    assert head["ContentType"] == "video/webm"
    assert head["ContentLength"] == 20 * MiB
    assert head["ETag"].strip('"').endswith("-4")  # 5 MiB parts
    assert not s3.list_multipart_uploads(Bucket=settings.S3_BUCKET_NAME).get("Uploads")


async def test_mp4_recording_and_jpeg_screenshot_keep_their_types(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    response = await client.post(
        f"{BASE}/create",
        headers=auth(ctx, owner),
        json={
            "meeting_id": new_meeting_id(),
            "recordings": [{"data": data_url("video/mp4", b"\0\0\0\x18ftypmp42")}],
            "screenshots": [{"data": data_url("image/jpeg", b"\xff\xd8\xff\xe0")}],
        },
    )
    assert response.status_code == 201
    meeting = response.json()["meeting"]
    rec_key = meeting["recordings"][0]["cloudinary_id"]
    shot_key = meeting["screenshots"][0]["cloudinary_id"]
    assert rec_key.endswith(".mp4")
    assert shot_key.endswith(".jpeg")
    bucket = settings.S3_BUCKET_NAME
    assert s3.head_object(Bucket=bucket, Key=rec_key)["ContentType"] == "video/mp4"
    assert s3.head_object(Bucket=bucket, Key=shot_key)["ContentType"] == "image/jpeg"


async def test_concurrent_creates_of_one_meeting_id_end_in_one_meeting(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    meeting_id = new_meeting_id()

    async def create() -> httpx.Response:
        return await client.post(
            f"{BASE}/create",
            headers=auth(ctx, owner),
            json={"meeting_id": meeting_id, "screenshots": [{"data": png_data_url()}]},
        )

    responses = await asyncio.gather(create(), create())
    assert sorted(r.status_code for r in responses) == [200, 201]
    meetings = await Meeting.find({"meeting_id": meeting_id}).to_list()
    assert len(meetings) == 1
    assert meetings[0].total_screenshots == 2 == len(meetings[0].screenshots)


# --------------------------------------------------------------------------- M2 / M3


async def test_list_filters_and_populates(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    now = datetime.now(UTC)
    active = await make_meeting(owner, last_updated_by=owner.id, createdAt=now - timedelta(days=2))
    archived = await make_meeting(
        owner, archived=True, archivedBy=owner.id, createdAt=now - timedelta(days=1)
    )
    trashed = await make_meeting(owner, deleted=True, deletedAt=now)
    legacy = await make_meeting(None, userId=owner.id, createdAt=now)  # owned via userId only
    await make_meeting(other)

    async def ids(query: str) -> list[str]:
        response = await client.get(f"{BASE}/all{query}", headers=auth(ctx, owner))
        assert response.status_code == 200
        return [m["meeting_id"] for m in response.json()["meetings"]]

    response = await client.get(f"{BASE}/all", headers=auth(ctx, owner))
    body = response.json()
    assert set(body) == {"success", "meetings", "total_meetings", "user_id", "filter"}
    assert body["filter"] == "all meetings"
    assert body["user_id"] == str(owner.id)
    assert body["total_meetings"] == 3
    assert [m["meeting_id"] for m in body["meetings"]] == [
        legacy.meeting_id,
        archived.meeting_id,
        active.meeting_id,
    ]
    first_active = next(m for m in body["meetings"] if m["meeting_id"] == active.meeting_id)
    assert first_active["created_by"] == {"_id": str(owner.id), "email": owner.email}
    assert first_active["last_updated_by"] == {"_id": str(owner.id), "email": owner.email}
    assert first_active["archivedBy"] is None
    assert await ids("?archived=true") == [archived.meeting_id]
    assert set(await ids("?archived=false")) == {legacy.meeting_id, active.meeting_id}
    assert await ids("?deleted=true") == [trashed.meeting_id]
    response = await client.get(f"{BASE}/all?archived=true", headers=auth(ctx, owner))
    assert response.json()["filter"] == "archived: true"
    assert (
        await client.get(f"{BASE}/all?archived=yes", headers=auth(ctx, owner))
    ).status_code == 400
    assert (await client.get(f"{BASE}/all")).status_code == 401


async def test_archived_count(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    await make_meeting(owner)
    await make_meeting(owner, archived=True)
    await make_meeting(owner, archived=True, deleted=True)
    await make_meeting(other, archived=True)
    response = await client.get(f"{BASE}/archived-count", headers=auth(ctx, owner))
    assert response.json() == {
        "success": True,
        "archivedCount": 2,
        "totalCount": 3,
        "activeCount": 1,
    }


# --------------------------------------------------------------------------- M4 search


async def search(
    client: httpx.AsyncClient, ctx: AppContext, user: User, body: Any
) -> httpx.Response:
    return await client.post(f"{BASE}/search", headers=auth(ctx, user), json=body)


async def test_search_filters(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    base = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
    a = await make_meeting(
        owner,
        name="Alice Brown",
        reference="HX-100",
        street_road="Baker Street",
        special_notes="Damp in kitchen",
        target_time="48h",
        createdAt=base,
    )
    b = await make_meeting(
        owner,
        name="Bob (Smith)",
        reference="HX-200",
        city="Leeds",
        work_details=[{"detail": "roof", "target_time": "7 days"}],
        archived=True,
        createdAt=base + timedelta(days=1, hours=11),
    )
    c = await make_meeting(owner, name="Carol", deleted=True, createdAt=base + timedelta(days=3))
    await make_meeting(other, name="Alice Other", createdAt=base)

    async def found(body: dict[str, Any]) -> set[str]:
        response = await search(client, ctx, owner, body)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["filter"] == "search"
        assert data["total_meetings"] == len(data["meetings"])
        return {m["meeting_id"] for m in data["meetings"]}

    response = await search(client, ctx, owner, {"name": "alice"})
    assert set(response.json()) == {"success", "meetings", "total_meetings", "user_id", "filter"}
    assert await found({"name": "alice"}) == {a.meeting_id}
    assert await found({}) == {a.meeting_id, b.meeting_id, c.meeting_id}
    assert await found({"ref": "hx-"}) == {a.meeting_id, b.meeting_id}
    assert await found({"reference": "HX", "ref": "200"}) == {b.meeting_id}
    assert await found({"address": "baker"}) == {a.meeting_id}
    assert await found({"address": "leeds"}) == {b.meeting_id}
    assert await found({"special_notes": "kitchen"}) == {a.meeting_id}
    assert await found({"target_time": "7 days"}) == {b.meeting_id}
    assert await found({"target_time": "48"}) == {a.meeting_id}
    assert await found({"work_details_target_time": "48"}) == set()
    assert await found({"archived": True}) == {b.meeting_id}
    assert await found({"archived": False, "deleted": False}) == {a.meeting_id}
    assert await found({"deleted": True}) == {c.meeting_id}
    assert await found({"name": "", "email": "x@y.z"}) == {a.meeting_id, b.meeting_id, c.meeting_id}
    # Dates: whole days in UTC, date_to inclusive to 23:59:59.999.
    assert await found({"date_from": "2024-05-11"}) == {b.meeting_id, c.meeting_id}
    assert await found({"date_to": "2024-05-11"}) == {a.meeting_id, b.meeting_id}
    assert await found({"date_from": "2024-05-11", "date_to": "2024-05-11"}) == {b.meeting_id}


async def test_search_is_literal_and_refuses_operators(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    paren = await make_meeting(owner, name="Bob (Smith)")
    await make_meeting(owner, name="Bobby")
    for pattern in ("(Smith)", "b (s"):
        response = await search(client, ctx, owner, {"name": pattern})
        assert [m["meeting_id"] for m in response.json()["meetings"]] == [paren.meeting_id]
    for pattern in (".*", "^B", "(a+)+$"):
        response = await search(client, ctx, owner, {"name": pattern})
        assert response.status_code == 200
        assert response.json()["meetings"] == []
    bad_bodies = [
        ({"name": {"$regex": ".*"}}, "Search field name must be text"),
        ({"reference": ["x"]}, "Search field reference must be text"),
        ({"archived": {"$ne": True}}, "Search field archived must be true or false"),
        ({"date_from": "yesterday"}, "Search field date_from must be a date (YYYY-MM-DD)"),
        ({"date_to": 5}, "Search field date_to must be a date"),
        ({"name": "x" * 201}, "Search field name is too long"),
    ]
    for body, message in bad_bodies:
        response = await search(client, ctx, owner, body)
        assert response.status_code == 400, body
        assert response.json() == {"success": False, "message": message}


async def test_search_pagination_and_sorting(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    made = [
        await make_meeting(owner, name=f"Name {letter}", createdAt=base + timedelta(hours=i))
        for i, letter in enumerate("CAEBD")
    ]
    response = await search(client, ctx, owner, {"page": 2, "limit": 2})
    body = response.json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5, "pages": 3}
    assert body["total_meetings"] == 5
    # newest first by default: E(2)... order by createdAt desc = D, B, E, A, C
    assert [m["name"] for m in body["meetings"]] == ["Name E", "Name A"]
    response = await search(client, ctx, owner, {"sort": "name"})
    assert [m["name"] for m in response.json()["meetings"]] == [
        "Name A",
        "Name B",
        "Name C",
        "Name D",
        "Name E",
    ]
    assert "pagination" not in response.json()
    response = await search(client, ctx, owner, {"sort": "-createdAt", "limit": 1})
    assert [m["meeting_id"] for m in response.json()["meetings"]] == [made[-1].meeting_id]
    for bad in ({"page": 0}, {"limit": "10"}, {"sort": "password"}, {"sort": {"$x": 1}}):
        assert (await search(client, ctx, owner, bad)).status_code == 400, bad
    # No body at all is "no filter".
    response = await client.post(f"{BASE}/search", headers=auth(ctx, owner))
    assert response.status_code == 200
    assert response.json()["total_meetings"] == 5


# --------------------------------------------------------------------------- M5–M11


async def test_get_update_trash_by_id(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User, emitted: EmitRecorder
) -> None:
    meeting = await make_meeting(
        owner,
        access_history=[
            AccessEntry(visitor_name="V", visitor_email="v@x.io", ip_address="1.2.3.4")
        ],
        total_access_count=1,
    )
    url = f"{BASE}/{meeting.id}"
    response = await client.get(url, headers=auth(ctx, owner))
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["message"] == "Meeting retrieved successfully"
    assert body["data"]["meeting"]["_id"] == str(meeting.id)
    assert body["data"]["meeting"]["total_access_count"] == 1
    assert body["data"]["meeting"]["access_history"][0]["ip_address"] == "1.2.3.4"

    response = await client.put(
        url, headers=auth(ctx, owner), json={"name": "Renamed", "post_code": " N1 9GU ", "extra": 1}
    )
    assert response.json() == {"success": True, "message": "Meeting updated successfully"}
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert (reloaded.name, reloaded.post_code) == ("Renamed", "N1 9GU")
    assert reloaded.last_updated_by == owner.id
    assert reloaded.first_name == "Jane"
    assert emitted.events[-2][0] == "meeting-data-available"

    response = await client.delete(url, headers=auth(ctx, owner))
    assert response.json() == {
        "success": True,
        "message": "Meeting moved to trash",
        "data": {"meeting_id": meeting.meeting_id},
    }
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert reloaded.deleted
    assert reloaded.deletedAt is not None

    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, url, headers=auth(ctx, other), json={})
        assert response.status_code == 404, method
        assert response.json() == {"success": False, "message": "Meeting not found"}
        response = await client.request(method, f"{BASE}/not-an-id", headers=auth(ctx, owner))
        assert response.status_code == 400
        assert response.json() == {"success": False, "message": "Resource not found. Invalid: _id"}
        assert (await client.request(method, url)).status_code == 401


async def test_archive_unarchive_restore_without_body(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    meeting = await make_meeting(owner, deleted=True, deletedAt=datetime.now(UTC))
    owner.meetingFolders = {str(meeting.id): "folder-1", "other": "folder-2"}
    await owner.save()
    headers = auth(ctx, owner)

    response = await client.put(f"{BASE}/{meeting.id}/archive", headers=headers)
    body = response.json()
    assert response.status_code == 200
    assert body["message"] == "Meeting archived successfully"
    assert body["meeting"]["archived"] is True
    assert body["meeting"]["archivedBy"] == str(owner.id)
    assert body["meeting"]["archivedAt"].endswith("Z")
    response = await client.put(f"{BASE}/{meeting.id}/archive", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"] == "Meeting is already archived"

    response = await client.put(f"{BASE}/{meeting.id}/unarchive", headers=headers)
    body = response.json()
    assert body["message"] == "Meeting unarchived successfully"
    assert body["meeting"]["archived"] is False
    assert body["meeting"]["archivedBy"] is None
    refreshed = await User.get(owner.id)
    assert refreshed is not None
    assert refreshed.meetingFolders == {"other": "folder-2"}
    response = await client.put(f"{BASE}/{meeting.id}/unarchive", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"] == "Meeting is not archived"

    response = await client.put(f"{BASE}/restore/{meeting.id}", headers=headers)
    body = response.json()
    assert body["message"] == "Meeting restored successfully"
    assert body["meeting"]["deleted"] is False
    assert body["meeting"]["deletedAt"] is None
    response = await client.put(f"{BASE}/restore/{meeting.id}", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"] == "Meeting is not in trash"

    for path in (f"{meeting.id}/archive", f"{meeting.id}/unarchive", f"restore/{meeting.id}"):
        response = await client.put(f"{BASE}/{path}", headers=auth(ctx, other))
        assert response.status_code == 404, path
        assert (await client.put(f"{BASE}/{path}")).status_code == 401


async def test_permanent_delete_removes_objects(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    other: User,
    s3: Any,
    settings: Settings,
) -> None:
    meeting = await make_meeting(owner)
    meeting.recordings = [await stored_recording(ctx, meeting.meeting_id, owner)]
    meeting.screenshots = [await stored_screenshot(ctx, meeting.meeting_id, owner)]
    await meeting.save()
    keep = await make_meeting(owner)
    keep.screenshots = [await stored_screenshot(ctx, keep.meeting_id, owner)]
    await keep.save()
    assert len(bucket_keys(s3, settings.S3_BUCKET_NAME)) == 3

    response = await client.delete(f"{BASE}/permanent/{meeting.id}", headers=auth(ctx, other))
    assert response.status_code == 404
    response = await client.delete(f"{BASE}/permanent/{meeting.id}", headers=auth(ctx, owner))
    assert response.json() == {
        "success": True,
        "message": "Meeting permanently deleted (including S3 files)",
    }
    assert await Meeting.get(meeting.id) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == [keep.screenshots[0].cloudinary_id]
    response = await client.delete(f"{BASE}/permanent/{meeting.id}", headers=auth(ctx, owner))
    assert response.status_code == 404
    response = await client.delete(f"{BASE}/permanent/xyz", headers=auth(ctx, owner))
    assert response.status_code == 400


# --------------------------------------------------------------------------- M12–M14


async def test_by_meeting_id(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    meeting = await make_meeting(owner, deleted=True)
    response = await client.get(
        f"{BASE}/by-meeting-id/{meeting.meeting_id}", headers=auth(ctx, owner)
    )
    body = response.json()
    assert set(body) == {"success", "meeting"}
    assert body["meeting"]["meeting_id"] == meeting.meeting_id
    response = await client.get(f"{BASE}/by-meeting-id/unknown-id", headers=auth(ctx, owner))
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "meeting": None,
        "isNewMeeting": True,
        "message": "No existing meeting found - ready for new meeting creation",
    }
    response = await client.get(
        f"{BASE}/by-meeting-id/{meeting.meeting_id}", headers=auth(ctx, other)
    )
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Meeting not found"}
    assert (await client.get(f"{BASE}/by-meeting-id/x")).status_code == 401


async def test_delete_recording_and_screenshot_remove_objects_and_fix_counters(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    other: User,
    s3: Any,
    settings: Settings,
) -> None:
    meeting = await make_meeting(owner)
    rec = await stored_recording(ctx, meeting.meeting_id, owner)
    rec2 = await stored_recording(ctx, meeting.meeting_id, owner)
    shot = await stored_screenshot(ctx, meeting.meeting_id, owner)
    meeting.recordings = [rec, rec2]
    meeting.screenshots = [shot]
    meeting.total_recordings, meeting.total_screenshots = 2, 5  # legacy drift
    await meeting.save()
    mid = meeting.meeting_id
    bucket = settings.S3_BUCKET_NAME

    response = await client.delete(f"{BASE}/{mid}/recordings/{rec.id}", headers=auth(ctx, other))
    assert response.status_code == 404
    assert response.json()["message"] == "Meeting not found"
    response = await client.delete(f"{BASE}/{mid}/recordings/{shot.id}", headers=auth(ctx, owner))
    assert response.status_code == 404
    assert response.json()["message"] == "Recording not found"

    response = await client.delete(f"{BASE}/{mid}/recordings/{rec.id}", headers=auth(ctx, owner))
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Recording deleted successfully",
        "timeout": False,
    }
    assert rec.cloudinary_id not in bucket_keys(s3, bucket)
    assert rec2.cloudinary_id in bucket_keys(s3, bucket)

    response = await client.delete(f"{BASE}/{mid}/screenshots/not-hex", headers=auth(ctx, owner))
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid screenshot ID format"
    response = await client.delete(f"{BASE}/{mid}/screenshots/{rec2.id}", headers=auth(ctx, owner))
    assert response.status_code == 404
    assert response.json()["message"] == "Screenshot not found"
    response = await client.delete(f"{BASE}/{mid}/screenshots/{shot.id}", headers=auth(ctx, other))
    assert response.status_code == 404
    response = await client.delete(f"{BASE}/{mid}/screenshots/{shot.id}", headers=auth(ctx, owner))
    assert response.json() == {
        "success": True,
        "message": "Screenshot deleted successfully",
        "timeout": False,
    }
    assert bucket_keys(s3, bucket) == [rec2.cloudinary_id]

    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert [r.id for r in reloaded.recordings] == [rec2.id]
    assert reloaded.screenshots == []
    assert (reloaded.total_recordings, reloaded.total_screenshots) == (1, 0)
    assert reloaded.last_updated_by == owner.id


async def test_media_delete_with_storage_deletes_disabled_keeps_object(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    settings = settings_factory(S3_ENABLE_DELETE=False)
    async with running_app(settings) as app, make_client(app) as http:
        ctx: AppContext = app.state.ctx
        user = await make_user(email="nodelete@example.test")
        meeting = await make_meeting(user)
        rec = await stored_recording(ctx, meeting.meeting_id, user)
        meeting.recordings = [rec]
        await meeting.save()
        response = await http.delete(
            f"{BASE}/{meeting.meeting_id}/recordings/{rec.id}", headers=auth(ctx, user)
        )
        assert response.status_code == 200
        reloaded = await Meeting.get(meeting.id)
        assert reloaded is not None
        assert reloaded.recordings == []
        assert bucket_keys(s3, settings.S3_BUCKET_NAME) == [rec.cloudinary_id]


# --------------------------------------------------------------------------- M15–M18 notes


async def test_special_notes(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    meeting = await make_meeting(owner)
    url = f"{BASE}/{meeting.meeting_id}/special-notes"
    response = await client.get(url, headers=auth(ctx, owner))
    assert response.json() == {"success": True, "special_notes": {}}
    response = await client.post(url, headers=auth(ctx, owner), json={"special_notes": "Gas leak"})
    assert response.json() == {
        "success": True,
        "message": "Special notes updated successfully",
        "special_notes": "Gas leak",
    }
    response = await client.get(url, headers=auth(ctx, owner))
    assert response.json()["special_notes"] == "Gas leak"
    for body in ({}, {"special_notes": None}):
        response = await client.post(url, headers=auth(ctx, owner), json=body)
        assert response.status_code == 400
        assert response.json()["message"] == "Special notes data is required"
    response = await client.post(url, headers=auth(ctx, owner))
    assert response.status_code == 400
    response = await client.post(url, headers=auth(ctx, owner), json={"special_notes": ""})
    assert response.status_code == 200  # clearing is allowed
    for method in ("GET", "POST"):
        response = await client.request(
            method, url, headers=auth(ctx, other), json={"special_notes": "x"}
        )
        assert response.status_code == 404
        response = await client.request(
            method,
            f"{BASE}/missing/special-notes",
            headers=auth(ctx, owner),
            json={"special_notes": "x"},
        )
        assert response.status_code == 404
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert reloaded.special_notes == ""
    assert reloaded.last_updated_by == owner.id


async def test_structured_special_notes(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    meeting = await make_meeting(owner, structured_special_notes={"old": 1})
    url = f"{BASE}/{meeting.meeting_id}/structured-special-notes"
    response = await client.get(url, headers=auth(ctx, owner))
    assert response.json() == {"success": True, "structured_special_notes": {"old": 1}}
    notes = {"hazards": ["mould"], "access": {"keys": "neighbour"}}
    response = await client.patch(
        url, headers=auth(ctx, owner), json={"structured_special_notes": notes}
    )
    assert response.json() == {
        "success": True,
        "message": "Structured special notes updated successfully",
        "structured_special_notes": notes,
    }
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert reloaded.structured_special_notes == notes
    for bad in ({}, {"structured_special_notes": None}, {"structured_special_notes": "text"}):
        response = await client.patch(url, headers=auth(ctx, owner), json=bad)
        assert response.status_code == 400
        assert response.json()["message"] == (
            "Structured special notes data is required and must be an object"
        )
    response = await client.patch(
        url, headers=auth(ctx, other), json={"structured_special_notes": {}}
    )
    assert response.status_code == 404
    assert (await client.get(url, headers=auth(ctx, other))).status_code == 404


# --------------------------------------------------------------------------- M19 / M20 share


SHARE_KEYS = {
    "meeting_id",
    "name",
    "first_name",
    "last_name",
    "post_code",
    "phone_number",
    "reference",
    "ref",
    "repair_detail",
    "work_details",
    "special_notes",
    "structured_special_notes",
    "target_time",
    "recordings",
    "screenshots",
    "createdAt",
    "total_recordings",
    "total_screenshots",
    "total_access_count",
    "owner",
    "userId",
    "created_by",
    "house_name_number",
    "flat_apartment_room",
    "street_road",
    "city",
    "country",
}


async def test_public_share_view_hides_visitor_log(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    meeting = await make_meeting(
        owner,
        access_history=[
            AccessEntry(
                visitor_name="Eve", visitor_email="eve@x.io", ip_address="9.9.9.9", user_agent="UA"
            )
        ],
        total_access_count=1,
    )
    meeting.recordings = [await stored_recording(ctx, meeting.meeting_id, owner)]
    await meeting.save()
    response = await client.get(f"{BASE}/share/{meeting.meeting_id}")  # no cookie
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Meeting data retrieved for sharing"
    shared = body["meeting"]
    assert set(shared) == SHARE_KEYS
    assert shared["owner"] == shared["userId"] == shared["created_by"] == str(owner.id)
    assert shared["ref"] == meeting.reference
    assert shared["total_access_count"] == 1
    assert set(shared["recordings"][0]) == {"_id", "url", "timestamp", "duration", "content_type"}
    assert "9.9.9.9" not in response.text
    assert "eve@x.io" not in response.text

    response = await client.get(f"{BASE}/share/unknown")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Meeting not found"}
    meeting.deleted = True
    await meeting.save()
    assert (await client.get(f"{BASE}/share/{meeting.meeting_id}")).status_code == 404


async def test_share_access_visitor_and_creator(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    meeting = await make_meeting(owner)
    url = f"{BASE}/share/{meeting.meeting_id}/access"
    response = await client.post(
        url,
        json={"visitor_name": "  Val ", "visitor_email": " Val@Example.COM "},
        headers={"User-Agent": "TestBrowser/1"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Visitor access recorded successfully"
    assert body["access_count"] == 1
    assert body["visitor_info"]["name"] == "  Val "
    assert body["visitor_info"]["email"] == " Val@Example.COM "
    assert body["visitor_info"]["access_time"].endswith("Z")

    # Creator claim from the signed-in owner.
    response = await client.post(url, json={"creator": "true"}, headers=auth(ctx, owner))
    body = response.json()
    assert body["message"] == "Creator access recorded successfully"
    assert body["access_count"] == 2
    assert body["visitor_info"]["name"] == "You"

    # Creator claim from anyone else is an ordinary visit (so needs name and e-mail).
    response = await client.post(url, json={"creator": True}, headers=auth(ctx, other))
    assert response.status_code == 400
    assert response.json()["message"] == "Visitor name and email are required"
    response = await client.post(
        url, json={"creator": True, "visitor_name": "Mallory", "visitor_email": "m@x.io"}
    )
    assert response.json()["message"] == "Visitor access recorded successfully"

    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert reloaded.total_access_count == 3
    entries = reloaded.access_history
    assert [(e.visitor_name, e.visitor_email, e.creator) for e in entries] == [
        ("Val", "val@example.com", False),
        ("You", owner.email, True),
        ("Mallory", "m@x.io", False),
    ]
    assert entries[0].user_agent == "TestBrowser/1"
    assert entries[0].ip_address

    bad = [
        ({}, "Visitor name and email are required"),
        (
            {"visitor_name": "A", "visitor_email": "not-an-email"},
            "Please enter a valid email address",
        ),
        (
            {"visitor_name": {"$ne": 1}, "visitor_email": "a@b.co"},
            "Visitor name and email must be text",
        ),
    ]
    for payload, message in bad:
        response = await client.post(url, json=payload)
        assert response.status_code == 400
        assert response.json()["message"] == message
    response = await client.post(
        f"{BASE}/share/unknown/access", json={"visitor_name": "A", "visitor_email": "a@b.co"}
    )
    assert response.status_code == 404


async def test_share_access_history_is_capped(
    client: httpx.AsyncClient, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meetings_service, "ACCESS_HISTORY_LIMIT", 3)
    meeting = await make_meeting(owner)
    for number in range(5):
        response = await client.post(
            f"{BASE}/share/{meeting.meeting_id}/access",
            json={"visitor_name": f"V{number}", "visitor_email": f"v{number}@x.io"},
        )
        assert response.status_code == 200
    reloaded = await Meeting.get(meeting.id)
    assert reloaded is not None
    assert [e.visitor_name for e in reloaded.access_history] == ["V2", "V3", "V4"]
    assert reloaded.total_access_count == 5


async def test_share_routes_are_rate_limited_per_ip(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(RATE_LIMIT_PUBLIC=3, RATE_LIMIT_PUBLIC_WINDOW=3600)
    async with running_app(settings) as app, make_client(app) as http:
        user = await make_user(email="limited@example.test")
        meeting = await make_meeting(user)
        statuses = [
            (await http.get(f"{BASE}/share/{meeting.meeting_id}")).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        response = await http.post(
            f"{BASE}/share/{meeting.meeting_id}/access",
            json={"visitor_name": "A", "visitor_email": "a@b.co"},
        )
        assert response.status_code == 429
        assert response.json()["success"] is False
        assert "Retry-After" in response.headers


async def test_media_constant_limits_match_brief() -> None:
    assert 100 * MiB == meetings_service.MAX_RECORDING_BYTES
    assert 25 * MiB == meetings_service.MAX_SCREENSHOT_BYTES
    assert PNG_HEADER.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- M1 spooled bodies
# Bodies over 1 MiB are spooled to a file and their long data URLs decoded from it
# (app/api/streaming.py); these tests send bodies of that size.


async def post_raw(client: httpx.AsyncClient, ctx: AppContext, user: User, raw: bytes) -> Any:
    headers = {**auth(ctx, user), "content-type": "application/json"}
    return await client.post(f"{BASE}/create", content=raw, headers=headers)


async def test_spooled_create_stores_the_same_bytes(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, s3: Any, settings: Settings
) -> None:
    meeting_id = new_meeting_id()
    video = WEBM_HEADER + os.urandom(3 * MiB)
    image = PNG_HEADER + os.urandom(200_000)
    body = {
        "meeting_id": meeting_id,
        "name": "Spooled " + "n" * 70_000,  # a long field that is not media stays a str
        "recordings": [{"data": data_url("video/webm;codecs=vp8,opus", video), "duration": 3}],
        "screenshots": [{"data": data_url("image/png", image)}],
    }
    # Some encoders escape "/" as "\/": that string is decoded by json.loads instead.
    raw = json.dumps(body).replace('"data:image/png;base64,', '"data:image\\/png;base64,')
    response = await post_raw(client, ctx, owner, raw.encode())
    assert response.status_code == 201, response.text
    meeting = response.json()["meeting"]
    assert meeting["name"] == body["name"]
    rec, shot = meeting["recordings"][0], meeting["screenshots"][0]
    assert (rec["size"], rec["content_type"]) == (len(video), "video/webm")
    assert (shot["size"], shot["content_type"]) == (len(image), "image/png")
    bucket = settings.S3_BUCKET_NAME
    assert s3.get_object(Bucket=bucket, Key=rec["cloudinary_id"])["Body"].read() == video
    assert s3.get_object(Bucket=bucket, Key=shot["cloudinary_id"])["Body"].read() == image


@pytest.mark.parametrize(
    ("recording", "message"),
    [
        ("x" * (2 * MiB), "Recording 1: File data must be a data URL (data:<type>;base64,...)"),
        ("data:video/webm," + "A" * (2 * MiB), "Recording 1: File data must be base64 encoded"),
        ("data:text/html;base64," + "A" * (2 * MiB), "Recording 1: Unsupported recording type"),
        ("data:video/webm;base64," + "A" * (2 * MiB + 1), "Recording 1: Invalid base64 file data"),
        ("data:video/webm;base64," + "A" * (2 * MiB) + "!!!!", "Invalid base64 file data"),
    ],
)
async def test_spooled_create_with_bad_media_is_400_and_stores_nothing(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    s3: Any,
    settings: Settings,
    recording: str,
    message: str,
) -> None:
    meeting_id = new_meeting_id()
    raw = json.dumps(
        {
            "meeting_id": meeting_id,
            "screenshots": [{"data": png_data_url(100_000)}],
            "recordings": [{"data": recording}],
        }
    ).encode()
    response = await post_raw(client, ctx, owner, raw)
    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["message"].startswith(message)
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []
    assert not s3.list_multipart_uploads(Bucket=settings.S3_BUCKET_NAME).get("Uploads")


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b'"}]', "Malformed JSON body"),  # truncated after the media
        (b'"}]} , x', "Malformed JSON body"),
        (b'"}], "name": "\x01"}', "Malformed JSON body"),
        (b'"}], "name": "\xff"}', "There was an error parsing the body"),
        (b'"}], "name": 5}', "Invalid name: Input should be a valid string"),
    ],
)
async def test_spooled_body_errors_match_the_small_body_ones(
    client: httpx.AsyncClient,
    ctx: AppContext,
    owner: User,
    s3: Any,
    settings: Settings,
    tail: bytes,
    message: str,
) -> None:
    meeting_id = new_meeting_id()
    head = json.dumps({"meeting_id": meeting_id, "recordings": [{"data": ""}]})
    head = head.removesuffix('"}]}')
    raw = head.encode() + webm_data_url(2 * MiB).encode() + tail
    response = await post_raw(client, ctx, owner, raw)
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert await Meeting.find_one({"meeting_id": meeting_id}) is None
    assert bucket_keys(s3, settings.S3_BUCKET_NAME) == []


async def test_spooled_body_without_auth_is_401_after_a_valid_parse(
    client: httpx.AsyncClient,
) -> None:
    raw = json.dumps({"meeting_id": "x", "recordings": [{"data": webm_data_url(2 * MiB)}]})
    response = await client.post(
        f"{BASE}/create", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Unauthorize user"}


async def test_create_keeps_its_request_schema_in_openapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    body = document["paths"][f"{BASE}/create"]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    assert {"meeting_id", "recordings", "screenshots", "work_details"} <= set(schema["properties"])
    assert "$ref" not in json.dumps(schema)
