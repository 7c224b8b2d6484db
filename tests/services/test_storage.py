"""Storage backends against the real S3 server (moto over HTTP) and local disk."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from app.core.config import Settings
from app.core.errors import BadRequest
from app.services.storage import (
    LocalDiskStorage,
    S3Storage,
    StorageError,
    build_storage,
    validate_key,
)

MiB = 1024 * 1024


@pytest.fixture
async def s3_storage(settings: Settings) -> AsyncIterator[S3Storage]:
    storage = S3Storage(settings)
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()


@pytest.fixture
async def disk(settings_factory: Callable[..., Settings]) -> LocalDiskStorage:
    storage = build_storage(settings_factory(S3_BUCKET_NAME=""))
    assert isinstance(storage, LocalDiskStorage)
    await storage.open()
    return storage


def keys_in(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


async def write_then_fail(
    storage: S3Storage | LocalDiskStorage, key: str, data: bytes, error: Exception
) -> None:
    async with storage.writer(key, "video/webm") as out:
        await out.write(data)
        raise error


def pending_uploads(s3: Any, bucket: str) -> list[Any]:
    uploads: list[Any] = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return uploads


def test_build_storage_picks_backend(settings_factory: Callable[..., Settings]) -> None:
    assert isinstance(build_storage(settings_factory()), S3Storage)
    assert isinstance(build_storage(settings_factory(S3_BUCKET_NAME="")), LocalDiskStorage)


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "./a", "a/./b", "a b", "x" * 1025])
def test_validate_key_refuses_unsafe_keys(key: str) -> None:
    with pytest.raises(BadRequest):
        validate_key(key)


async def test_small_object_is_a_single_put_with_object_parameters(
    s3_storage: S3Storage, s3: Any
) -> None:
    data = os.urandom(1000)
    stored = await s3_storage.put_bytes("p/small.png", data, "image/png", {"meeting-id": "m1"})
    assert stored.size == 1000
    head = s3.head_object(Bucket=s3_storage.bucket, Key="p/small.png")
    assert head["ContentType"] == "image/png"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentDisposition"] == "inline"
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"] == {"meeting-id": "m1", "upload-method": "multipart-optimized"}
    assert "-" not in head["ETag"]


async def test_exactly_one_part_stays_a_single_put(s3_storage: S3Storage, s3: Any) -> None:
    async with s3_storage.writer("p/one-part.webm", "video/webm") as out:
        await out.write(os.urandom(5 * MiB - 1))
    head = s3.head_object(Bucket=s3_storage.bucket, Key="p/one-part.webm")
    assert "-" not in head["ETag"]
    assert head["ContentLength"] == 5 * MiB - 1


async def test_empty_and_many_small_chunks_keep_their_bytes(s3_storage: S3Storage, s3: Any) -> None:
    async with s3_storage.writer("p/empty.bin", "application/octet-stream"):
        pass
    assert s3.head_object(Bucket=s3_storage.bucket, Key="p/empty.bin")["ContentLength"] == 0
    chunks = [os.urandom(1_300_007) for _ in range(8)] + [os.urandom(700_001)]
    async with s3_storage.writer("p/odd.webm", "video/webm") as out:
        for chunk in chunks:
            await out.write(chunk)
    body = s3.get_object(Bucket=s3_storage.bucket, Key="p/odd.webm")["Body"].read()
    assert body == b"".join(chunks)
    head = s3.head_object(Bucket=s3_storage.bucket, Key="p/odd.webm")
    assert head["ETag"].strip('"').endswith("-3")  # 5 MiB, 5 MiB, remainder


async def test_larger_object_is_multipart_in_order(s3_storage: S3Storage, s3: Any) -> None:
    chunks = [os.urandom(size) for size in (3 * MiB, 4 * MiB, 1, 6 * MiB + 17)]
    async with s3_storage.writer("p/big.webm", "video/webm") as out:
        for chunk in chunks:
            await out.write(chunk)
    head = s3.head_object(Bucket=s3_storage.bucket, Key="p/big.webm")
    total = sum(len(c) for c in chunks)
    assert head["ContentLength"] == total
    assert head["ContentType"] == "video/webm"
    assert head["ETag"].strip('"').endswith("-3")  # 5 + 5 + remainder
    body = s3.get_object(Bucket=s3_storage.bucket, Key="p/big.webm")["Body"].read()
    assert body == b"".join(chunks)
    assert pending_uploads(s3, s3_storage.bucket) == []


async def test_exception_after_parts_aborts_the_multipart_upload(
    s3_storage: S3Storage, s3: Any
) -> None:
    with pytest.raises(RuntimeError, match="client went away"):
        await write_then_fail(
            s3_storage, "p/aborted.webm", os.urandom(11 * MiB), RuntimeError("client went away")
        )
    assert keys_in(s3, s3_storage.bucket) == []
    assert pending_uploads(s3, s3_storage.bucket) == []


async def test_exception_before_first_part_leaves_nothing(s3_storage: S3Storage, s3: Any) -> None:
    with pytest.raises(ValueError, match="bad"):
        await write_then_fail(s3_storage, "p/never.png", b"abc", ValueError("bad"))
    assert keys_in(s3, s3_storage.bucket) == []
    assert pending_uploads(s3, s3_storage.bucket) == []


async def test_missing_bucket_is_a_502_storage_error(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    storage = S3Storage(settings_factory(S3_BUCKET_NAME="no-such-bucket-here"))
    await storage.open()
    try:
        with pytest.raises(StorageError) as caught:
            await storage.put_bytes("p/x.png", b"x", "image/png")
        assert caught.value.status_code == 502
        with pytest.raises(StorageError):
            async with storage.writer("p/y.webm", "video/webm") as out:
                await out.write(os.urandom(6 * MiB))
    finally:
        await storage.close()


async def test_delete_semantics(
    s3_storage: S3Storage, s3: Any, settings_factory: Callable[..., Settings]
) -> None:
    await s3_storage.put_bytes("p/del.png", b"x", "image/png")
    result = await s3_storage.delete("p/del.png")
    assert (result.deleted, result.reason) == (True, None)
    assert keys_in(s3, s3_storage.bucket) == []
    # A key that is already gone counts as deleted.
    assert (await s3_storage.delete("p/del.png")).deleted is True
    assert await s3_storage.exists("p/del.png") is False

    await s3_storage.put_bytes("p/a.png", b"a", "image/png")
    await s3_storage.put_bytes("p/b.png", b"b", "image/png")
    results = await s3_storage.delete_many(["p/a.png", "p/b.png", ""])
    assert [r.deleted for r in results] == [True, True]
    assert keys_in(s3, s3_storage.bucket) == []


async def test_delete_failure_is_reported_not_raised(
    settings_factory: Callable[..., Settings],
) -> None:
    """A non-network error is retried (3 attempts, no pause) and then reported."""
    storage = S3Storage(settings_factory(S3_BUCKET_NAME="no-such-bucket-here"))
    await storage.open()
    try:
        result = await storage.delete("p/x.png")
        assert result.deleted is False
        assert result.reason == "NoSuchBucket"
        results = await storage.delete_many(["p/x.png"])
        assert results[0].deleted is False
    finally:
        await storage.close()


async def test_delete_switch_off_keeps_objects(
    settings_factory: Callable[..., Settings], s3: Any
) -> None:
    settings = settings_factory(S3_ENABLE_DELETE="false")
    storage = S3Storage(settings)
    await storage.open()
    try:
        await storage.put_bytes("p/keep.png", b"k", "image/png")
        result = await storage.delete("p/keep.png")
        assert (result.deleted, result.reason) == (False, "DeleteDisabled")
        assert keys_in(s3, settings.S3_BUCKET_NAME) == ["p/keep.png"]
    finally:
        await storage.close()


async def test_urls_and_keys_round_trip(
    s3_storage: S3Storage, settings_factory: Callable[..., Settings]
) -> None:
    url = s3_storage.url_for("videodesk_screenshots/m/u/1_0_ab.png")
    assert url.endswith("/media/videodesk_screenshots/m/u/1_0_ab.png")
    assert s3_storage.key_from_url(url) == "videodesk_screenshots/m/u/1_0_ab.png"
    legacy = "https://bucket.s3.eu-west-2.amazonaws.com/videodesk_recordings/m/u/1_0_ab.webm"
    assert s3_storage.key_from_url(legacy) == "videodesk_recordings/m/u/1_0_ab.webm"
    cdn = S3Storage(settings_factory(S3_PUBLIC_BASE_URL="https://cdn.example/media-bucket/"))
    assert cdn.url_for("k/x.png") == "https://cdn.example/media-bucket/k/x.png"
    assert cdn.key_from_url("https://cdn.example/media-bucket/k/x.png?v=1") == "k/x.png"
    presigned = await s3_storage.presigned_get("k/x.png")
    assert "X-Amz-Signature=" in presigned
    assert "X-Amz-Expires=604800" in presigned


async def test_media_url_is_readable_without_cookies(
    client: httpx.AsyncClient, ctx: Any, s3: Any
) -> None:
    stored = await ctx.storage.put_bytes(
        "videodesk_screenshots/m/u/1_0_ab.png", b"png", "image/png"
    )
    response = await client.get(stored.url.replace(ctx.settings.public_url, ""))
    assert response.status_code == 302
    async with httpx.AsyncClient() as plain:
        fetched = await plain.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.content == b"png"
    assert fetched.headers["content-type"] == "image/png"


# --------------------------------------------------------------------------- local disk


async def test_disk_backend_same_interface(disk: LocalDiskStorage) -> None:
    async with disk.writer("videodesk_recordings/m/u/r.webm", "video/webm") as out:
        await out.write(b"a" * 10)
        await out.write(b"b" * 5)
    path = disk.path_for("videodesk_recordings/m/u/r.webm")
    assert path.read_bytes() == b"a" * 10 + b"b" * 5
    assert await disk.exists("videodesk_recordings/m/u/r.webm")
    assert await disk.content_type("videodesk_recordings/m/u/r.webm") == "video/webm"
    result = await disk.delete("videodesk_recordings/m/u/r.webm")
    assert result.deleted is True
    assert not path.exists()
    assert (await disk.delete("videodesk_recordings/m/u/r.webm")).deleted is True

    with pytest.raises(RuntimeError):
        await write_then_fail(disk, "p/failed.png", b"partial", RuntimeError("boom"))
    assert not await disk.exists("p/failed.png")
    assert list((disk.root / ".tmp").iterdir()) == []
    with pytest.raises(BadRequest):
        disk.path_for("../outside.png")


async def test_disk_delete_switch_off(settings_factory: Callable[..., Settings]) -> None:
    storage = LocalDiskStorage(settings_factory(S3_BUCKET_NAME="", S3_ENABLE_DELETE=False))
    await storage.open()
    await storage.put_bytes("p/keep.png", b"k", "image/png")
    result = await storage.delete("p/keep.png")
    assert (result.deleted, result.reason) == (False, "DeleteDisabled")
    assert await storage.exists("p/keep.png")
