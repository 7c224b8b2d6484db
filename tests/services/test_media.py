"""Data URL parsing and streaming into storage (real moto S3 and local disk)."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.core.config import Settings
from app.core.errors import BadRequest, PayloadTooLarge
from app.services.media import (
    IMAGE_MIMES,
    VIDEO_MIMES,
    DataUrl,
    decoded_size,
    extension_for,
    media_key,
    parse_data_url,
    store_data_url,
)
from app.services.storage import LocalDiskStorage, S3Storage

MiB = 1024 * 1024


def data_url(mime_header: str, payload: bytes) -> str:
    return f"data:{mime_header};base64,{base64.b64encode(payload).decode()}"


@pytest.fixture
async def s3_storage(settings: Settings) -> AsyncIterator[S3Storage]:
    storage = S3Storage(settings)
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def disk_storage(settings_factory: Callable[..., Settings]) -> LocalDiskStorage:
    storage = LocalDiskStorage(settings_factory(S3_BUCKET_NAME=""))
    await storage.open()
    return storage


def no_pending_uploads(s3: Any, bucket: str) -> bool:
    return not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def object_keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


# --------------------------------------------------------------------------- parse_data_url


def test_parse_comma_inside_mime_parameters() -> None:
    value = data_url("video/webm;codecs=vp8,opus", b"hello")
    parsed = parse_data_url(value)
    assert parsed.mime == "video/webm"
    assert value[parsed.payload_offset :] == base64.b64encode(b"hello").decode()
    assert parsed.source is value


def test_parse_plain_image_and_case() -> None:
    parsed = parse_data_url(data_url("Image/PNG", b"\x89PNG"))
    assert parsed.mime == "image/png"
    assert decoded_size(parsed) == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "File data must be a base64 data URL string"),
        (123, "File data must be a base64 data URL string"),
        ({"$gt": ""}, "File data must be a base64 data URL string"),
        ("aGVsbG8=", "File data must be a data URL (data:<type>;base64,...)"),
        ("", "File data must be a data URL (data:<type>;base64,...)"),
        ("data:image/png,aGVsbG8=", "File data must be base64 encoded (data:<type>;base64,...)"),
        ("data:;base64,aGVsbG8=", "File data has an invalid or missing media type"),
        ("data:png;base64,aGVsbG8=", "File data has an invalid or missing media type"),
        ("data:image/png;base64,", "File data is empty"),
    ],
)
def test_parse_refusals(value: object, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_data_url(value)
    assert caught.value.message == message
    assert caught.value.status_code == 400


def test_parse_default_mime_for_bare_base64() -> None:
    parsed = parse_data_url("aGVsbG8=", default_mime="image/jpeg")
    assert parsed == DataUrl("image/jpeg", 0, "aGVsbG8=")


def test_decoded_size_rejects_truncated_payload() -> None:
    with pytest.raises(BadRequest, match="Invalid base64 file data"):
        decoded_size(parse_data_url("data:image/png;base64,aGVsbG8"))


# --------------------------------------------------------------------------- keys, extensions


def test_media_key_shape_and_sanitising() -> None:
    key = media_key("videodesk_recordings", "../x", "user@example.com", index=3, ext="webm")
    match = re.fullmatch(
        r"videodesk_recordings/\.\._x/user@example\.com/(\d{13})_3_([0-9a-f]{16})\.webm", key
    )
    assert match, key
    assert media_key("p", "..", index=0, ext="png").split("/")[1] == "_"
    assert media_key("p", "a/b\\c d", index=0, ext="png").split("/")[1] == "a_b_c_d"
    assert media_key("p", "m", index=0, ext="../sh").endswith(".sh")
    keys = {media_key("p", "m", index=0, ext="png") for _ in range(50)}
    assert len(keys) == 50


@pytest.mark.parametrize(
    ("mime", "ext"),
    [
        ("video/webm", "webm"),
        ("video/webm;codecs=vp9,opus", "webm"),
        ("video/mp4", "mp4"),
        ("video/quicktime", "mov"),
        ("image/png", "png"),
        ("image/jpeg", "jpeg"),
        ("image/jpg", "jpg"),
        ("image/gif", "gif"),
        ("image/webp", "webp"),
        ("application/x-weird+thing", "weirdthing"),
        ("application/", "bin"),
    ],
)
def test_extension_for(mime: str, ext: str) -> None:
    assert extension_for(mime) == ext


def test_mime_sets() -> None:
    assert {"video/webm", "video/mp4"} <= VIDEO_MIMES
    assert {"image/png", "image/jpeg"} <= IMAGE_MIMES
    assert "image/svg+xml" not in IMAGE_MIMES


# --------------------------------------------------------------------------- store_data_url on S3


async def test_store_small_screenshot_single_put(s3_storage: S3Storage, s3: Any) -> None:
    payload = b"\x89PNG\r\n\x1a\n" + os.urandom(1000)
    key = media_key("videodesk_screenshots", "m1", "u1", index=0, ext="png")
    stored = await store_data_url(
        s3_storage,
        key,
        parse_data_url(data_url("image/png", payload)),
        max_bytes=MiB,
        allowed_mimes=IMAGE_MIMES,
        metadata={"meeting-id": "m1"},
    )
    assert stored.key == key
    assert stored.size == len(payload)
    assert stored.content_type == "image/png"
    assert stored.url == s3_storage.url_for(key)
    bucket = s3_storage.bucket
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "image/png"
    assert "-" not in head["ETag"]  # a single PUT, not multipart
    assert head["Metadata"]["meeting-id"] == "m1"
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == payload


@pytest.mark.parametrize("size", [12 * MiB + 7, 10 * MiB])
async def test_store_multipart_with_odd_chunk_boundaries(
    s3_storage: S3Storage, s3: Any, size: int
) -> None:
    payload = os.urandom(size)
    key = media_key("videodesk_recordings", "m1", "u1", index=1, ext="webm")
    # 1 MiB + 4 chars of text per chunk: decoded chunks never line up with 5 MiB parts.
    stored = await store_data_url(
        s3_storage,
        key,
        parse_data_url(data_url("video/webm;codecs=vp8,opus", payload)),
        max_bytes=100 * MiB,
        allowed_mimes=VIDEO_MIMES,
        chunk_chars=MiB + 4,
    )
    assert stored.size == size
    head = s3.head_object(Bucket=s3_storage.bucket, Key=key)
    assert head["ContentType"] == "video/webm"
    assert head["ContentLength"] == size
    assert re.search(r"-\d+\"?$", head["ETag"]), head["ETag"]  # multipart ETag "<md5>-N"
    assert s3.get_object(Bucket=s3_storage.bucket, Key=key)["Body"].read() == payload
    assert no_pending_uploads(s3, s3_storage.bucket)


async def test_invalid_base64_after_parts_were_sent_leaves_nothing(
    s3_storage: S3Storage, s3: Any
) -> None:
    good = base64.b64encode(os.urandom(6 * MiB)).decode()
    value = f"data:video/webm;base64,{good}!!!!"
    key = media_key("videodesk_recordings", "m1", "u1", index=0, ext="webm")
    with pytest.raises(BadRequest, match="Invalid base64 file data"):
        await store_data_url(
            s3_storage,
            key,
            parse_data_url(value),
            max_bytes=100 * MiB,
            chunk_chars=4 * MiB,
        )
    assert object_keys(s3, s3_storage.bucket) == []
    assert no_pending_uploads(s3, s3_storage.bucket)


@pytest.mark.parametrize(
    "payload_text",
    [
        "aGVs bG8=",  # whitespace
        "aGVsbG8=aGVsbG8=",  # padding in the middle
        "aGVsbé8=",  # non-ASCII
        "====",  # padding only
    ],
)
async def test_strict_base64(s3_storage: S3Storage, s3: Any, payload_text: str) -> None:
    key = media_key("p", "m", index=0, ext="png")
    value = f"data:image/png;base64,{payload_text}"
    with pytest.raises(BadRequest) as caught:
        await store_data_url(s3_storage, key, parse_data_url(value), max_bytes=MiB)
    assert caught.value.message in ("Invalid base64 file data", "File data is empty")
    assert object_keys(s3, s3_storage.bucket) == []


async def test_size_cap_refused_before_writing(s3_storage: S3Storage, s3: Any) -> None:
    value = data_url("image/png", b"x" * (MiB + 1))
    with pytest.raises(PayloadTooLarge) as caught:
        await store_data_url(
            s3_storage,
            media_key("p", "m", index=0, ext="png"),
            parse_data_url(value),
            max_bytes=MiB,
        )
    assert caught.value.status_code == 413
    assert caught.value.message == "File too large. Maximum size is 1 MB."
    assert object_keys(s3, s3_storage.bucket) == []
    # Exactly at the cap is accepted.
    stored = await store_data_url(
        s3_storage,
        media_key("p", "m", index=0, ext="png"),
        parse_data_url(data_url("image/png", b"x" * MiB)),
        max_bytes=MiB,
    )
    assert stored.size == MiB


async def test_mime_not_allowed(s3_storage: S3Storage, s3: Any) -> None:
    value = data_url("text/html", b"<script>")
    with pytest.raises(BadRequest, match="Unsupported file type: text/html"):
        await store_data_url(
            s3_storage,
            media_key("p", "m", index=0, ext="png"),
            parse_data_url(value),
            max_bytes=MiB,
            allowed_mimes=IMAGE_MIMES,
        )
    assert object_keys(s3, s3_storage.bucket) == []


async def test_mp4_content_type_kept(s3_storage: S3Storage, s3: Any) -> None:
    key = media_key("videodesk_recordings", "m", index=0, ext=extension_for("video/mp4"))
    await store_data_url(
        s3_storage,
        key,
        parse_data_url(data_url("video/mp4", b"\0\0\0\x18ftypmp42")),
        max_bytes=MiB,
        allowed_mimes=VIDEO_MIMES,
    )
    assert key.endswith(".mp4")
    assert s3.head_object(Bucket=s3_storage.bucket, Key=key)["ContentType"] == "video/mp4"


# --------------------------------------------------------------------------- local disk


async def test_store_on_disk_same_interface(disk_storage: LocalDiskStorage) -> None:
    payload = os.urandom(300_001)
    key = media_key("videodesk_screenshots", "m", "u", index=0, ext="jpeg")
    stored = await store_data_url(
        disk_storage,
        key,
        parse_data_url(data_url("image/jpeg", payload)),
        max_bytes=MiB,
        chunk_chars=4096,
    )
    assert stored.size == len(payload)
    assert disk_storage.path_for(key).read_bytes() == payload
    assert await disk_storage.content_type(key) == "image/jpeg"

    bad_key = media_key("videodesk_screenshots", "m", "u", index=1, ext="jpeg")
    bad = data_url("image/jpeg", payload)[:-8] + "!!!!!!!!"
    with pytest.raises(BadRequest):
        await store_data_url(
            disk_storage, bad_key, parse_data_url(bad), max_bytes=MiB, chunk_chars=4096
        )
    assert not await disk_storage.exists(bad_key)
    assert list((disk_storage.root / ".tmp").iterdir()) == []
