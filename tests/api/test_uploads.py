"""Share-code uploads over HTTP (meetings-uploads.md §4, U1–U17), against the
real MongoDB-wire server and the moto S3 server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.core.config import Settings
from app.models.upload import Upload, UploadSession
from app.models.user import Role, User
from app.services.context import AppContext
from tests.conftest import make_client, running_app
from tests.factories.uploads import (
    PNG_BYTES,
    WEBM_BYTES,
    data_url,
    make_upload,
    next_code,
    png_data_url,
    resident_details,
    webm_data_url,
)
from tests.factories.users import make_user, token_for

API = "/api/v1"


class RecordingEmitter:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, room: str) -> None:
        self.events.append((event, data, room))


def bucket_keys(s3: Any, settings: Settings, prefix: str = "upload_") -> list[str]:
    listing = s3.list_objects_v2(Bucket=settings.S3_BUCKET_NAME, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def auth(ctx: AppContext, user: User) -> dict[str, str]:
    """The auth cookie as a header (httpx deprecates per-request cookies)."""
    return {"cookie": f"token={token_for(ctx, user)}"}


async def start(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/upload/session", json=resident_details(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def send(
    client: httpx.AsyncClient, session_id: str, file_type: str, index: int, **extra: Any
) -> httpx.Response:
    payload = {
        "fileData": png_data_url() if file_type == "image" else webm_data_url(),
        "fileName": f"{file_type}-{index}",
        "fileLabel": f"label {index}",
        "fileType": file_type,
        "fileIndex": index,
        **extra,
    }
    return await client.post(f"{API}/upload/file/{session_id}", json=payload)


async def complete(client: httpx.AsyncClient, session_id: str) -> httpx.Response:
    # The page sends this without a body and without a Content-Type.
    return await client.post(f"{API}/upload/complete/{session_id}")


async def uploaded(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """A finished upload with one image and one video, as the frontend makes it."""
    started = await start(client, **overrides)
    session_id = started["data"]["sessionId"]
    assert (await send(client, session_id, "image", 0)).status_code == 200
    assert (await send(client, session_id, "video", 0, duration=12.5)).status_code == 200
    done = await complete(client, session_id)
    assert done.status_code == 201, done.text
    upload: dict[str, Any] = done.json()["data"]["upload"]
    return upload


# --------------------------------------------------------------------------- staged flow


async def test_session_flow_across_two_app_instances_sharing_one_database(
    settings: Settings, s3: Any
) -> None:
    code = next_code()
    async with running_app(settings) as app_a, running_app(settings) as app_b:
        async with make_client(app_a) as a, make_client(app_b) as b:
            started = await start(a, accessCode=code, totalImages=2, totalVideos=1)
            assert started["success"] is True
            assert started["message"] == "Upload session created successfully"
            session_id = started["data"]["sessionId"]

            first = await send(b, session_id, "image", 0)
            assert first.status_code == 200
            assert first.json() == {
                "success": True,
                "message": "image uploaded successfully",
                "data": {
                    "uploaded": True,
                    "fileType": "image",
                    "fileIndex": 0,
                    "totalUploaded": 1,
                    "totalExpected": 3,
                },
            }
            assert (await send(a, session_id, "image", 1)).json()["data"]["totalUploaded"] == 2

            progress = await a.get(f"{API}/upload/progress/{session_id}")
            assert progress.json() == {
                "success": True,
                "message": "Upload progress retrieved successfully",
                "data": {
                    "progress": 67,
                    "totalUploaded": 2,
                    "totalExpected": 3,
                    "uploadedImages": 2,
                    "uploadedVideos": 0,
                },
            }
            video = await send(b, session_id, "video", 0, duration=14)
            assert video.json()["message"] == "video uploaded successfully"

            done = await complete(b, session_id)
            assert done.status_code == 201
            body = done.json()
            assert body["success"] is True
            assert body["message"] == "Upload completed successfully"
            upload = body["data"]["upload"]
            assert body["data"]["alreadyUploaded"] is False
            assert upload["accessCode"] == code
            assert upload["email"] == "rita@example.test"
            assert upload["actualPostCode"] == "LS11AA"
            assert [i["name"] for i in upload["images"]] == ["image-0", "image-1"]
            assert upload["videos"][0]["duration"] == 14
            assert upload["videos"][0]["s3_key"].startswith(f"upload_videos/{code}/")
            assert upload["videos"][0]["s3_key"].endswith(".webm")
            assert upload["images"][0]["s3_key"].startswith(f"upload_images/{code}/")

            # The retry of a complete (same or other worker) is the same upload.
            again = await complete(a, session_id)
            third = await complete(b, session_id)
            assert await Upload.find({"accessCode": code}).count() == 1
    assert again.status_code == 201
    assert again.json()["data"]["upload"]["_id"] == upload["_id"]
    assert third.json()["data"]["upload"]["_id"] == upload["_id"]

    keys = bucket_keys(s3, settings)
    assert len(keys) == 3
    obj = s3.get_object(Bucket=settings.S3_BUCKET_NAME, Key=upload["videos"][0]["s3_key"])
    assert obj["Body"].read() == WEBM_BYTES
    assert obj["ContentType"] == "video/webm"
    image = s3.get_object(Bucket=settings.S3_BUCKET_NAME, Key=upload["images"][1]["s3_key"])
    assert image["Body"].read() == PNG_BYTES


async def test_session_survives_a_restart_between_files(settings: Settings) -> None:
    async with running_app(settings) as first_run, make_client(first_run) as http:
        session_id = (await start(http))["data"]["sessionId"]
        assert (await send(http, session_id, "image", 0)).status_code == 200
    async with running_app(settings) as second_run, make_client(second_run) as http:
        progress = await http.get(f"{API}/upload/progress/{session_id}")
        assert progress.json()["data"]["totalUploaded"] == 1
        assert (await send(http, session_id, "video", 0)).status_code == 200
        done = await complete(http, session_id)
    assert done.status_code == 201
    upload = done.json()["data"]["upload"]
    assert len(upload["images"]) == 1
    assert len(upload["videos"]) == 1


async def test_unknown_or_expired_session_is_404(client: httpx.AsyncClient) -> None:
    message = {"success": False, "message": "Upload session not found or expired."}
    for response in (
        await send(client, "no-such-session", "image", 0),
        await complete(client, "no-such-session"),
        await client.get(f"{API}/upload/progress/no-such-session"),
    ):
        assert response.status_code == 404
        assert response.json() == message

    session_id = (await start(client))["data"]["sessionId"]
    await UploadSession.find_one({"_id": session_id}).update(
        {"$set": {"expiresAt": datetime.now(UTC) - timedelta(minutes=1)}}
    )
    assert (await send(client, session_id, "image", 0)).status_code == 404
    assert (await complete(client, session_id)).status_code == 404
    assert (await client.get(f"{API}/upload/progress/{session_id}")).status_code == 404


async def test_access_code_clash_is_409_and_codes_are_generated_when_absent(
    client: httpx.AsyncClient,
) -> None:
    taken = await make_upload(accessCode="4321")
    clash = await client.post(f"{API}/upload/session", json=resident_details(accessCode="4321"))
    assert clash.status_code == 409
    assert clash.json() == {
        "success": False,
        "message": "Access code already exists. Please try again.",
    }
    # A trashed upload keeps its code reserved.
    await taken.set({"deleted": True})
    assert (
        await client.post(f"{API}/upload/session", json=resident_details(accessCode="4321"))
    ).status_code == 409

    # The page builds its code with Math.floor: a JSON number is stored as its text.
    numeric = await start(client, accessCode=7777)
    assert numeric["data"]["accessCode"] == "7777"

    live = await start(client, accessCode="5555")
    assert live["data"]["accessCode"] == "5555"
    second = await client.post(f"{API}/upload/session", json=resident_details(accessCode="5555"))
    assert second.status_code == 409

    generated = await client.post(f"{API}/upload/session", json=resident_details(accessCode=None))
    assert generated.status_code == 201
    code = generated.json()["data"]["accessCode"]
    assert code.isdigit()
    assert len(code) == 6


async def test_code_taken_between_start_and_complete_is_409_and_keeps_the_session(
    client: httpx.AsyncClient,
) -> None:
    code = next_code()
    session_id = (await start(client, accessCode=code, totalVideos=0))["data"]["sessionId"]
    assert (await send(client, session_id, "image", 0)).status_code == 200
    await make_upload(accessCode=code, email="someone@else.test")
    clash = await complete(client, session_id)
    assert clash.status_code == 409
    assert clash.json()["message"] == "Access code already exists. Please try again."
    session = await UploadSession.get(session_id)
    assert session is not None
    assert session.uploadId is None
    assert (await client.get(f"{API}/upload/progress/{session_id}")).status_code == 200


async def test_file_limits_types_and_retries(
    client: httpx.AsyncClient, s3: Any, settings: Settings
) -> None:
    session_id = (await start(client, totalImages=1, totalVideos=0))["data"]["sessionId"]
    bad_type = await client.post(
        f"{API}/upload/file/{session_id}",
        json={"fileData": png_data_url(), "fileType": "audio", "fileIndex": 0},
    )
    assert bad_type.status_code == 400
    assert bad_type.json()["message"] == "Failed to upload audio: Unsupported file type: audio"

    wrong_mime = await client.post(
        f"{API}/upload/file/{session_id}",
        json={"fileData": data_url("text/html", b"<b>x</b>"), "fileType": "image"},
    )
    assert wrong_mime.status_code == 400
    no_data = await client.post(f"{API}/upload/file/{session_id}", json={"fileType": "image"})
    assert no_data.status_code == 400

    assert (await send(client, session_id, "image", 0)).status_code == 200
    first_key = bucket_keys(s3, settings)
    # The same index again is a client retry: it replaces the first copy.
    retry = await send(client, session_id, "image", 0, fileName="again")
    assert retry.status_code == 200
    assert retry.json()["data"]["totalUploaded"] == 1
    keys = bucket_keys(s3, settings)
    assert len(keys) == 1
    assert keys != first_key

    extra = await send(client, session_id, "image", 1)
    assert extra.status_code == 400
    assert (await send(client, session_id, "video", 0)).status_code == 400
    assert bucket_keys(s3, settings) == keys

    done = await complete(client, session_id)
    assert [i["name"] for i in done.json()["data"]["upload"]["images"]] == ["again"]
    late = await send(client, session_id, "image", 0)
    assert late.status_code == 404
    assert bucket_keys(s3, settings) == keys


async def test_raw_base64_without_prefix_is_stored_as_jpeg(
    client: httpx.AsyncClient, s3: Any, settings: Settings
) -> None:
    import base64

    session_id = (await start(client, totalVideos=0))["data"]["sessionId"]
    response = await client.post(
        f"{API}/upload/file/{session_id}",
        json={"fileData": base64.b64encode(PNG_BYTES).decode(), "fileType": "image"},
    )
    assert response.status_code == 200
    (key,) = bucket_keys(s3, settings)
    assert key.endswith(".jpg")
    head = s3.head_object(Bucket=settings.S3_BUCKET_NAME, Key=key)
    assert head["ContentType"] == "image/jpeg"


async def test_already_uploaded_reflects_earlier_uploads_of_the_email(
    client: httpx.AsyncClient,
) -> None:
    await make_upload(email="rita@example.test")
    started = await start(client, email="  Rita@Example.TEST ", totalImages=0, totalVideos=0)
    done = await complete(client, started["data"]["sessionId"])
    assert done.status_code == 201
    assert done.json()["data"]["alreadyUploaded"] is True
    assert done.json()["data"]["upload"]["email"] == "rita@example.test"
    assert done.json()["data"]["upload"]["images"] == []


async def test_bulk_upload(client: httpx.AsyncClient, s3: Any, settings: Settings) -> None:
    code = next_code()
    body = resident_details(accessCode=code)
    body["images"] = [{"name": "a", "label": "kitchen", "data": png_data_url()}, {"name": "x"}]
    body["videos"] = [{"name": "v", "label": "damp", "duration": 9, "data": webm_data_url()}]
    response = await client.post(f"{API}/upload", json=body)
    assert response.status_code == 201
    data = response.json()["data"]
    assert response.json()["message"] == "Upload created successfully"
    assert data["alreadyUploaded"] is False
    assert [i["label"] for i in data["upload"]["images"]] == ["kitchen"]
    assert data["upload"]["videos"][0]["duration"] == 9
    assert len(bucket_keys(s3, settings)) == 2

    clash = await client.post(f"{API}/upload", json=body)
    assert clash.status_code == 409

    broken = resident_details()
    broken["images"] = [
        {"name": "ok", "data": png_data_url()},
        {"name": "bad", "data": "data:image/png;base64,@@@@"},
    ]
    failed = await client.post(f"{API}/upload", json=broken)
    assert failed.status_code == 400
    assert len(bucket_keys(s3, settings)) == 2  # the first file of the failed request is gone
    assert await Upload.find({"accessCode": broken["accessCode"]}).count() == 0


# --------------------------------------------------------------------------- public look-ups


async def test_fetch_by_code_returns_live_uploads_only(client: httpx.AsyncClient) -> None:
    upload = await uploaded(client)
    response = await client.get(f"{API}/upload/{upload['accessCode']}")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Upload fetched successfully"
    assert body["data"]["upload"]["_id"] == upload["_id"]
    assert body["data"]["upload"]["images"][0]["url"] == upload["images"][0]["url"]

    await Upload.find_one({"accessCode": upload["accessCode"]}).update({"$set": {"deleted": True}})
    gone = await client.get(f"{API}/upload/{upload['accessCode']}")
    assert gone.status_code == 404
    assert gone.json() == {"success": False, "message": "No upload found for this access code."}


async def test_media_urls_are_fetchable_without_cookies(client: httpx.AsyncClient) -> None:
    upload = await uploaded(client)
    url = upload["images"][0]["url"]
    assert "/media/upload_images/" in url
    media = await client.get(httpx.URL(url).path)
    assert media.status_code in (200, 302, 307)


async def test_validate_access_code(client: httpx.AsyncClient) -> None:
    code = next_code()
    await make_upload(
        accessCode=code,
        house_name_number="12B",
        flat_apartment_room="Flat 3",
        actualPostCode="LS11AA",
        postCode="REF-77",
    )
    url = f"{API}/validate-access-code"

    for house, postcode in (("12b", "ls11aa"), ("  FLAT 3 ", "LS1 1AA"), ("12B", "ref-77")):
        ok = await client.post(url, json={"code": code, "house": house, "postcode": postcode})
        assert ok.status_code == 200
        assert ok.json() == {"valid": True, "accessCode": code}

    mismatch = await client.post(url, json={"code": code, "house": "13", "postcode": "LS11AA"})
    assert mismatch.status_code == 403
    assert mismatch.json() == {"valid": False, "message": "Details do not match"}
    wrong_postcode = await client.post(url, json={"code": code, "house": "12B", "postcode": "X"})
    assert wrong_postcode.status_code == 403

    unknown = await client.post(url, json={"code": "0000", "house": "1", "postcode": "A"})
    assert unknown.status_code == 404
    assert unknown.json() == {"valid": False, "message": "Code not found"}

    for body in ({"code": code, "house": "12B"}, {"code": "", "house": "1", "postcode": "A"}, {}):
        missing = await client.post(url, json=body)
        assert missing.status_code == 400
        assert missing.json() == {"valid": False, "message": "All fields are required."}
    assert (await client.post(url)).status_code == 400

    injected = await client.post(
        url, json={"code": {"$ne": None}, "house": "12B", "postcode": "LS11AA"}
    )
    assert injected.status_code == 400
    assert injected.json() == {"valid": False, "message": "Invalid input."}
    malformed = await client.post(
        url, content=b"{nope", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "success" not in malformed.json()

    await Upload.find_one({"accessCode": code}).update({"$set": {"deleted": True}})
    trashed = await client.post(url, json={"code": code, "house": "12B", "postcode": "LS11AA"})
    assert trashed.status_code == 404


async def test_public_lookups_are_rate_limited_per_ip(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(RATE_LIMIT_PUBLIC=3)
    async with running_app(settings) as app, make_client(app) as http:
        upload = await make_upload()
        assert (await http.get(f"{API}/upload/{upload.accessCode}")).status_code == 200
        assert (await http.get(f"{API}/upload/9999")).status_code == 404
        assert (await http.post(f"{API}/upload/{upload.accessCode}/access")).status_code == 200
        limited = await http.get(f"{API}/upload/{upload.accessCode}")
        assert limited.status_code == 429
        assert limited.json()["success"] is False
        assert int(limited.headers["retry-after"]) >= 1
        validate = await http.post(
            f"{API}/validate-access-code",
            json={"code": upload.accessCode, "house": "12", "postcode": "LS11AA"},
        )
        assert validate.status_code == 429
        assert validate.json()["valid"] is False
        assert "success" not in validate.json()
        marked = await http.post(f"{API}/uploads/notification/mark-sent/{upload.accessCode}")
        assert marked.status_code == 429
        # Other clients are not affected.
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=("10.9.9.9", 1234)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            assert (await other.get(f"{API}/upload/{upload.accessCode}")).status_code == 200


async def test_access_log(client: httpx.AsyncClient, ctx: AppContext) -> None:
    owner = await make_user(role=Role.RESIDENT, email="rita@example.test")
    upload = await make_upload(email="rita@example.test")
    url = f"{API}/upload/{upload.accessCode}/access"

    visitor = await client.post(url, json={"visitor_email": "  Officer@Council.TEST "})
    assert visitor.status_code == 200
    body = visitor.json()
    assert body["success"] is True
    assert body["message"] == "Visitor access recorded successfully"
    assert body["access_count"] == 1
    assert body["visitor_info"]["email"] == "officer@council.test"
    assert body["visitor_info"]["access_time"].endswith("Z")

    spoofed = await client.post(url, json={"creator": True})
    assert spoofed.json()["message"] == "Visitor access recorded successfully"
    assert spoofed.json()["visitor_info"]["email"] == "anonymous@visitor"

    creator = await client.post(url, json={"creator": True}, headers=auth(ctx, owner))
    assert creator.json()["message"] == "Creator access recorded successfully"
    assert creator.json()["visitor_info"]["email"] == "creator@system"
    assert creator.json()["access_count"] == 3

    stored = await Upload.get(upload.id)
    assert stored is not None
    assert [e.creator for e in stored.access_history] == [False, False, True]
    assert (await client.post(f"{API}/upload/nope/access")).status_code == 404


# --------------------------------------------------------------------------- owner routes


async def test_lists_belong_to_the_callers_email(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    me = await make_user(email="rita@example.test")
    other = await make_user(email="other@example.test")
    older = await make_upload(
        email="rita@example.test", total_access_count=4, createdAt=datetime(2024, 1, 1, tzinfo=UTC)
    )
    newer = await make_upload(email="rita@example.test")
    trashed = await make_upload(
        email="rita@example.test", deleted=True, deletedAt=datetime.now(UTC)
    )
    await make_upload(email="other@example.test")

    for path in ("/uploads/my", "/uploads/my-latest", "/uploads/trash"):
        unauth = await client.get(f"{API}{path}")
        assert unauth.status_code == 401
        assert unauth.json() == {"success": False, "message": "Unauthorize user"}

    mine = await client.get(f"{API}/uploads/my", headers=auth(ctx, me))
    assert mine.json()["message"] == "User uploads fetched successfully"
    items = {u["_id"]: u for u in mine.json()["data"]["uploads"]}
    assert set(items) == {str(older.id), str(newer.id)}
    assert items[str(older.id)]["visitors"] == 4
    assert items[str(newer.id)]["visitors"] == 0

    latest = await client.get(f"{API}/uploads/my-latest", headers=auth(ctx, me))
    assert latest.json()["message"] == "Latest upload fetched successfully"
    assert latest.json()["data"]["upload"]["_id"] == str(newer.id)

    trash = await client.get(f"{API}/uploads/trash", headers=auth(ctx, me))
    assert trash.json()["message"] == "Trashed uploads fetched successfully"
    assert [u["_id"] for u in trash.json()["data"]["uploads"]] == [str(trashed.id)]

    nothing = await client.get(f"{API}/uploads/my-latest", headers=auth(ctx, other))
    assert nothing.json()["data"]["upload"]["email"] == "other@example.test"
    stranger = await make_user(email="nobody@example.test")
    empty = await client.get(f"{API}/uploads/my-latest", headers=auth(ctx, stranger))
    assert empty.json()["data"] == {"upload": None}


async def test_trash_restore_and_foreign_refusals(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    me = await make_user(email="rita@example.test")
    other = await make_user(email="other@example.test")
    upload = await make_upload(email="rita@example.test")
    mine, theirs = auth(ctx, me), auth(ctx, other)
    denied = {"success": False, "message": "Upload not found or access denied."}

    for method, path in (
        ("DELETE", f"/uploads/{upload.id}"),
        ("PUT", f"/uploads/restore/{upload.id}"),
        ("DELETE", f"/uploads/permanent/{upload.id}"),
    ):
        foreign = await client.request(method, f"{API}{path}", headers=theirs)
        assert foreign.status_code == 404
        assert foreign.json() == denied
        assert (await client.request(method, f"{API}{path}")).status_code == 401
    bad = await client.delete(f"{API}/uploads/not-an-id", headers=mine)
    assert bad.status_code == 400
    assert bad.json() == {"success": False, "message": "Resource not found. Invalid: _id"}

    trashed = await client.delete(f"{API}/uploads/{upload.id}", headers=mine)
    assert trashed.status_code == 200
    assert trashed.json()["message"] == "Upload moved to trash successfully"
    assert trashed.json()["data"]["upload"]["deleted"] is True
    assert trashed.json()["data"]["upload"]["deletedAt"].endswith("Z")

    restored = await client.put(f"{API}/uploads/restore/{upload.id}", headers=mine)
    assert restored.status_code == 200
    assert restored.json()["message"] == "Upload restored successfully"
    assert restored.json()["data"]["upload"]["deleted"] is False
    assert restored.json()["data"]["upload"].get("deletedAt") is None


async def test_permanent_delete_removes_the_storage_objects(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    me = await make_user(email="rita@example.test")
    keep = await uploaded(client)
    upload = await uploaded(client)
    assert len(bucket_keys(s3, settings)) == 4
    response = await client.delete(
        f"{API}/uploads/permanent/{upload['_id']}", headers=auth(ctx, me)
    )
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Upload permanently deleted successfully",
    }
    assert await Upload.get(upload["_id"]) is None
    remaining = bucket_keys(s3, settings)
    assert remaining == sorted([keep["images"][0]["s3_key"], keep["videos"][0]["s3_key"]])


async def test_permanent_delete_recovers_keys_of_legacy_rows_from_urls(
    client: httpx.AsyncClient, ctx: AppContext, s3: Any, settings: Settings
) -> None:
    me = await make_user(email="rita@example.test")
    key = "upload_images/1234/1700000000000_0_00112233aabbccdd.png"
    s3.put_object(Bucket=settings.S3_BUCKET_NAME, Key=key, Body=PNG_BYTES)
    s3.put_object(Bucket=settings.S3_BUCKET_NAME, Key="other/secret.txt", Body=b"x")
    legacy = await make_upload(
        email="rita@example.test",
        images=[
            {"url": f"https://{settings.S3_BUCKET_NAME}.s3.us-east-1.amazonaws.com/{key}"},
            {
                "url": f"https://{settings.S3_BUCKET_NAME}.s3.us-east-1.amazonaws.com/other/secret.txt"
            },
        ],
    )
    response = await client.delete(f"{API}/uploads/permanent/{legacy.id}", headers=auth(ctx, me))
    assert response.status_code == 200
    assert bucket_keys(s3, settings, prefix="") == ["other/secret.txt"]


async def test_mark_sent_notifies_the_owner_once(
    client: httpx.AsyncClient, ctx: AppContext, smtp: Any
) -> None:
    recorder = RecordingEmitter()
    ctx.notifier.attach(recorder)
    me = await make_user(email="rita@example.test")
    upload = await make_upload(email="rita@example.test")
    url = f"{API}/uploads/notification/mark-sent/{upload.accessCode}"

    first = await client.post(url)  # no body, no cookie: the guest viewer page
    assert first.status_code == 200
    assert first.json() == {
        "success": True,
        "message": "Notification status updated",
        "data": {"notificationSent": True},
    }
    second = await client.post(url)
    assert second.json() == first.json()

    assert len(recorder.events) == 1
    event, payload, room = recorder.events[0]
    assert event == "new-notification"
    assert room == "notifications-rita@example.test"
    stored = await Upload.get(upload.id)
    assert stored is not None
    assert stored.notificationSent is True
    assert payload == {
        "_id": str(upload.id),
        "accessCode": upload.accessCode,
        "firstAccessedAt": payload["firstAccessedAt"],
        "message": "Your shared information has been viewed successfully!",
    }
    assert payload["firstAccessedAt"].endswith("Z")

    mail = smtp.wait_for("rita@example.test", subject_contains="Share Code Has Been Accessed")
    assert mail.subject == "Your Share Code Has Been Accessed - Videodesk"
    assert upload.accessCode in mail.text
    assert "History" in mail.text
    assert len([m for m in smtp.snapshot() if "rita@example.test" in m.rcpt_tos]) == 1

    check = await client.get(f"{API}/uploads/notification/check", headers=auth(ctx, me))
    assert check.status_code == 200
    body = check.json()
    assert body["message"] == "Notification status checked"
    assert body["data"]["hasNotifications"] is True
    assert [n["_id"] for n in body["data"]["notifications"]] == [str(upload.id)]

    unknown = await client.post(f"{API}/uploads/notification/mark-sent/0000")
    assert unknown.status_code == 404
    assert unknown.json() == {"success": False, "message": "Upload not found."}
    assert (await client.get(f"{API}/uploads/notification/check")).status_code == 401


async def test_notification_check_is_empty_without_views(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    me = await make_user(email="rita@example.test")
    await make_upload(email="rita@example.test")
    check = await client.get(f"{API}/uploads/notification/check", headers=auth(ctx, me))
    assert check.json()["data"] == {"hasNotifications": False, "notifications": []}


async def test_search(client: httpx.AsyncClient, ctx: AppContext) -> None:
    me = await make_user(email="rita@example.test")
    cookies = auth(ctx, me)
    january = await make_upload(
        accessCode="1111", createdAt=datetime(2024, 1, 31, 23, 30, tzinfo=UTC), city="Leeds"
    )
    february = await make_upload(
        accessCode="2111", createdAt=datetime(2024, 2, 1, 0, 10, tzinfo=UTC), deleted=True
    )
    await make_upload(accessCode="3111", email="other@example.test")
    url = f"{API}/uploads/search"

    async def ids(body: dict[str, Any] | None) -> list[str]:
        response = await client.post(url, json=body, headers=cookies)
        assert response.status_code == 200, response.text
        assert response.json()["message"] == "Uploads search completed successfully"
        return [u["_id"] for u in response.json()["data"]["uploads"]]

    assert await ids({}) == [str(february.id), str(january.id)]
    assert await ids({"accessCode": "11"}) == [str(february.id), str(january.id)]
    assert await ids({"accessCode": "21"}) == [str(february.id)]
    assert await ids({"accessCode": ".*"}) == []
    assert await ids({"date_from": "2024-01-01", "date_to": "2024-01-31"}) == [str(january.id)]
    assert await ids({"date_from": "2024-02-01"}) == [str(february.id)]
    assert await ids({"deleted": False}) == [str(january.id)]
    assert await ids({"deleted": True}) == [str(february.id)]
    assert await ids({"description": "leeds"}) == [str(january.id)]
    assert await ids({"date_from": "not a date"}) == [str(february.id), str(january.id)]

    injected = await client.post(url, json={"accessCode": {"$ne": None}}, headers=cookies)
    assert injected.status_code == 400
    assert (await client.post(url, json={})).status_code == 401
