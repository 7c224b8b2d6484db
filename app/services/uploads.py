"""Share-code uploads (meetings-uploads.md §4): staged resident uploads, access
codes, the public look-ups by code, the owner's lists and trash, notifications.

Decisions where the spec is silent or asks for a change (also in docs/uploads.md):

* Staged sessions live in MongoDB (:class:`UploadSession`), so any worker can
  serve any step and a restart loses nothing. Each file goes to storage as it
  arrives; the session only records keys. A file is registered in
  ``pendingKeys`` before its bytes are written, so an object is always
  reachable from its session, even after a crash mid-request.
* ``complete`` claims an Upload ``_id`` on the session with a conditional
  update; every call (first or retried, on any worker) inserts or finds the
  Upload with that ``_id``. A retried complete answers the same upload.
* A file sent twice with the same ``fileIndex`` (a client retry) replaces the
  first copy; otherwise files beyond ``totalImages``/``totalVideos`` are refused.
* Codes: the client's code is stored exactly as sent; a server code (6 digits,
  CSPRNG) is generated only when none is sent. A code is taken while any upload
  (trashed ones included, the original's unique index) or a live session holds it.
* Public look-ups share one per-IP budget (``RATE_LIMIT_PUBLIC`` per
  ``RATE_LIMIT_PUBLIC_WINDOW``); every failed look-up is logged with the IP.
  ``GET /upload/:code``, access logging and validation ignore trashed uploads;
  ``mark-sent`` finds trashed ones too (as the original) but notifies only once.
* The ``creator`` flag of an access entry is honoured only for the signed-in
  owner; anyone else is logged as a visitor. The log keeps the newest
  :data:`ACCESS_HISTORY_LIMIT` entries.
* Upload e-mails are stored trimmed and lower-cased; an account matches its
  uploads by its lower-cased e-mail (and, for the original's rows, exactly).
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

import pymongo
from beanie import PydanticObjectId
from bson.errors import InvalidId
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    ResponseBody,
    ServiceUnavailable,
    TooManyRequests,
)
from app.core.jsonenc import iso
from app.core.logging import get_logger
from app.core.ratelimit import Limit
from app.models.base import as_utc, dump, utcnow
from app.models.upload import (
    SESSION_ACTIVE,
    SESSION_COMPLETED,
    StagedFile,
    Upload,
    UploadImage,
    UploadSession,
    UploadVideo,
    normalise_email,
)
from app.models.user import User
from app.services.context import AppContext
from app.services.mail import MailError, render
from app.services.media import (
    IMAGE_MIMES,
    VIDEO_MIMES,
    DataUrl,
    extension_for,
    media_key,
    parse_data_url,
    store_data_url,
)
from app.services.storage import StoredObject

log = get_logger(__name__)

SESSION_NOT_FOUND = "Upload session not found or expired."
CODE_TAKEN = "Access code already exists. Please try again."
NOT_OWNED = "Upload not found or access denied."
NO_EMAIL = "No email found for user"
NOTIFICATION_MESSAGE = "Your shared information has been viewed successfully!"
ACCESSED_SUBJECT = "Your Share Code Has Been Accessed - Videodesk"

IMAGE_PREFIX = "upload_images"
VIDEO_PREFIX = "upload_videos"
MAX_FILES_PER_KIND = 50
ACCESS_HISTORY_LIMIT = 500
# The TTL monitor removes a session this long after its logical expiry, which
# leaves the purge job ample time to delete the objects of abandoned sessions.
SESSION_SWEEP_GRACE = timedelta(hours=24)
GENERATED_CODE_ATTEMPTS = 20

_ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "house_name_number",
    "flat_apartment_room",
    "street_road",
    "city",
    "country",
    "postCode",
    "actualPostCode",
    "phoneNumber",
)
_SEARCHABLE_TEXT = (*_ADDRESS_FIELDS, "email")
_HEADER_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]


# --------------------------------------------------------------------------- inputs


class ResidentDetails(BaseModel):
    """The address block U1/U5 receive; every field optional (as the original)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    first_name: Text | None = None
    last_name: Text | None = None
    house_name_number: Text | None = None
    flat_apartment_room: Text | None = None
    street_road: Text | None = None
    city: Text | None = None
    country: Text | None = None
    postCode: Text | None = None
    actualPostCode: Text | None = None
    phoneNumber: Text | None = None
    email: ShortText | None = None
    accessCode: Annotated[str, StringConstraints(max_length=64)] | None = None

    def address(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in _ADDRESS_FIELDS}


class SessionStart(ResidentDetails):
    totalImages: int = Field(0, ge=0, le=MAX_FILES_PER_KIND)
    totalVideos: int = Field(0, ge=0, le=MAX_FILES_PER_KIND)

    @field_validator("totalImages", "totalVideos", mode="before")
    @classmethod
    def _null_is_zero(cls, value: object) -> object:
        return 0 if value is None else value


class FileSend(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    fileData: str
    fileName: ShortText | None = None
    fileLabel: Text | None = None
    fileType: ShortText | None = None
    fileIndex: int | None = Field(None, ge=0, le=10_000)
    duration: float | None = None


class BulkFile(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    name: ShortText | None = None
    label: Text | None = None
    data: str | None = None
    duration: float | None = None


class BulkUpload(ResidentDetails):
    images: list[BulkFile | None] = Field(default_factory=list, max_length=MAX_FILES_PER_KIND)
    videos: list[BulkFile | None] = Field(default_factory=list, max_length=MAX_FILES_PER_KIND)


class AccessLog(BaseModel):
    model_config = ConfigDict(extra="ignore")

    visitor_email: ShortText | None = None
    creator: bool | None = None


class UploadSearch(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    accessCode: ShortText | None = None
    description: Text | None = None
    date_from: ShortText | None = None
    date_to: ShortText | None = None
    deleted: bool | None = None


# --------------------------------------------------------------------------- helpers


def _object_id(value: str) -> PydanticObjectId:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError, ValueError) as exc:
        raise BadRequest("Resource not found. Invalid: _id") from exc


def owner_email(user: User) -> str:
    email = (user.email or "").strip()
    if not email:
        raise BadRequest(NO_EMAIL)
    return email


def upload_json(upload: Upload) -> dict[str, Any]:
    return dump(upload)


def with_visitors(upload: Upload) -> dict[str, Any]:
    """A list item: the document plus ``visitors`` (= access count), §2.2."""
    body = dump(upload)
    body["visitors"] = upload.total_access_count or 0
    return body


def _metadata_value(value: str) -> str:
    # S3 user metadata travels in HTTP headers: ASCII only.
    return _HEADER_UNSAFE.sub("_", value)[:128]


def _media_kind(file_type: str | None) -> tuple[str, str, frozenset[str], str]:
    """(session field, key prefix, allowed MIME types, MIME assumed for bare base64)."""
    if file_type == "image":
        return "uploadedImages", IMAGE_PREFIX, IMAGE_MIMES, "image/jpeg"
    if file_type == "video":
        return "uploadedVideos", VIDEO_PREFIX, VIDEO_MIMES, "video/mp4"
    raise BadRequest(f"Failed to upload {file_type}: Unsupported file type: {file_type}")


def _key_for(prefix: str, access_code: str, index: int, parsed: DataUrl) -> str:
    # Bare base64 (no data: prefix) keeps the original's `jpg` / `mp4` names.
    if parsed.payload_offset == 0:
        ext = "jpg" if prefix == IMAGE_PREFIX else "mp4"
    else:
        ext = extension_for(parsed.mime)
    return media_key(prefix, access_code, index=index, ext=ext)


async def _write(
    ctx: AppContext,
    key: str,
    parsed: DataUrl,
    allowed: frozenset[str],
    access_code: str,
    file_type: str,
) -> StoredObject:
    metadata = {
        "uploaded-by": _metadata_value(access_code),
        "upload-timestamp": str(int(utcnow().timestamp() * 1000)),
        "file-type": file_type,
    }
    return await store_data_url(
        ctx.storage,
        key,
        parsed,
        max_bytes=ctx.settings.max_body_bytes,
        allowed_mimes=allowed,
        metadata=metadata,
    )


async def _delete_objects(ctx: AppContext, keys: list[str], reason: str) -> None:
    """Best effort; shielded so that a cancelled request still cleans up."""
    if not keys:
        return
    results = await asyncio.shield(ctx.storage.delete_many(keys))
    failed = [r.key for r in results if not r.deleted]
    if failed:
        log.warning("uploads.objects_not_deleted", reason=reason, keys=failed)


def _upload_keys(ctx: AppContext, upload: Upload) -> list[str]:
    """Every object key of an upload: ``s3_key``, or recovered from the URL for
    the original's rows. Only keys under the upload prefixes are ever returned,
    so a crafted legacy URL cannot point a delete at another object."""
    keys: list[str] = []
    for item in [*upload.images, *upload.videos]:
        key = item.s3_key or ctx.storage.key_from_url(item.url)
        if key and key.startswith((f"{IMAGE_PREFIX}/", f"{VIDEO_PREFIX}/")):
            keys.append(key)
    return keys


async def _throttle(ctx: AppContext, ip: str) -> None:
    settings = ctx.settings
    limit = Limit("upload-code", settings.RATE_LIMIT_PUBLIC, settings.RATE_LIMIT_PUBLIC_WINDOW)
    await ctx.limiter.hit(limit, ip)


def _lookup_failed(route: str, code: str, ip: str, reason: str) -> None:
    log.warning("uploads.lookup_failed", route=route, code=code[:64], ip=ip, reason=reason)


# --------------------------------------------------------------------------- access codes


async def code_taken(code: str, now: datetime) -> bool:
    if await Upload.find_one({"accessCode": code}) is not None:
        return True
    live_session = await UploadSession.find_one(
        {"accessCode": code, "status": SESSION_ACTIVE, "expiresAt": {"$gt": now}}
    )
    return live_session is not None


async def _claim_code(requested: str | None, now: datetime) -> str:
    if requested:
        if await code_taken(requested, now):
            raise Conflict(CODE_TAKEN)
        return requested
    for _ in range(GENERATED_CODE_ATTEMPTS):
        candidate = str(100_000 + secrets.randbelow(900_000))
        if not await code_taken(candidate, now):
            return candidate
    raise ServiceUnavailable("Could not allocate a share code. Please try again.")


async def _has_uploads(email: str | None) -> bool:
    if not email:
        return False
    return await Upload.find_one({"email": email}) is not None


# --------------------------------------------------------------------------- U1-U4 sessions


async def start_session(
    ctx: AppContext, data: SessionStart, *, now: datetime | None = None
) -> UploadSession:
    """U1: open a staged upload; 409 when the proposed code is taken."""
    now = now or utcnow()
    code = await _claim_code(data.accessCode or None, now)
    expires = now + timedelta(hours=ctx.settings.UPLOAD_SESSION_TTL_HOURS)
    session = UploadSession(
        id=str(uuid.uuid4()),
        accessCode=code,
        email=normalise_email(data.email),
        userData=data.address(),
        totalImages=data.totalImages,
        totalVideos=data.totalVideos,
        expiresAt=expires,
        purgeAt=expires + SESSION_SWEEP_GRACE,
    )
    await session.insert()
    log.info("uploads.session_started", session_id=session.id, code=code)
    return session


async def _live_session(session_id: str, now: datetime) -> UploadSession:
    session = await UploadSession.get(session_id) if len(session_id) <= 64 else None
    if (
        session is None
        or session.status != SESSION_ACTIVE
        or session.uploadId is not None
        or as_utc(session.expiresAt) <= now
    ):
        raise NotFound(SESSION_NOT_FOUND)
    return session


def _staged_entry(
    data: FileSend, stored: StoredObject, now: datetime, video: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "url": stored.url,
        "name": data.fileName,
        "label": data.fileLabel,
        "timestamp": now,
        "s3_key": stored.key,
        "size": stored.size,
        "content_type": stored.content_type,
        "fileIndex": data.fileIndex,
    }
    if video and data.duration:
        entry["duration"] = data.duration
    return entry


async def receive_file(
    ctx: AppContext, session_id: str, data: FileSend, *, now: datetime | None = None
) -> dict[str, Any]:
    """U2: stream one file into storage and record it on the session."""
    now = now or utcnow()
    field, prefix, allowed, default_mime = _media_kind(data.fileType)
    file_type = str(data.fileType)
    session = await _live_session(session_id, now)
    total = session.totalImages if file_type == "image" else session.totalVideos
    received: list[StagedFile] = getattr(session, field)
    replacing = data.fileIndex is not None and any(
        item.fileIndex == data.fileIndex for item in received
    )
    if not replacing and len(received) >= total:
        raise BadRequest(f"All {file_type}s of this upload session were already received.")

    parsed = parse_data_url(data.fileData, default_mime=default_mime)
    index = data.fileIndex if data.fileIndex is not None else len(received)
    key = _key_for(prefix, session.accessCode, index, parsed)
    collection = UploadSession.get_pymongo_collection()
    active = {"_id": session.id, "status": SESSION_ACTIVE, "uploadId": None}
    registered = await collection.update_one(
        {**active, "expiresAt": {"$gt": now}}, {"$push": {"pendingKeys": key}}
    )
    if registered.matched_count == 0:
        raise NotFound(SESSION_NOT_FOUND)
    try:
        stored = await _write(ctx, key, parsed, allowed, session.accessCode, file_type)
    except BaseException:
        await asyncio.shield(
            collection.update_one({"_id": session.id}, {"$pull": {"pendingKeys": key}})
        )
        raise

    entry = _staged_entry(data, stored, now, video=file_type == "video")
    guard = {**active, "pendingKeys": key}
    finished = {"$pull": {"pendingKeys": key}, "$set": {"updatedAt": now}}
    updated: Mapping[str, Any] | None = None
    if replacing:
        previous = await collection.find_one_and_update(
            {**guard, f"{field}.fileIndex": data.fileIndex},
            {**finished, "$set": {f"{field}.$[entry]": entry, "updatedAt": now}},
            array_filters=[{"entry.fileIndex": data.fileIndex}],
            return_document=ReturnDocument.BEFORE,
        )
        if previous is not None:
            replaced = [
                item.get("s3_key")
                for item in previous.get(field, [])
                if item.get("fileIndex") == data.fileIndex and item.get("s3_key")
            ]
            await _delete_objects(ctx, replaced, "replaced")
            updated = previous
    else:
        capacity: dict[str, Any] = {f"{field}.{total - 1}": {"$exists": False}}
        if data.fileIndex is not None:
            capacity[f"{field}.fileIndex"] = {"$ne": data.fileIndex}
        updated = await collection.find_one_and_update(
            {**guard, **capacity},
            {**finished, "$push": {field: entry}},
            return_document=ReturnDocument.AFTER,
        )
    if updated is None:
        # Completed, expired or filled up by a concurrent request meanwhile.
        await _delete_objects(ctx, [key], "file_rejected")
        await collection.update_one({"_id": session.id}, {"$pull": {"pendingKeys": key}})
        await _live_session(session_id, now)
        raise Conflict(f"This {file_type} could not be added to the upload session. Please retry.")

    uploaded = len(updated.get("uploadedImages", [])) + len(updated.get("uploadedVideos", []))
    log.info("uploads.file_received", session_id=session.id, key=key, size=stored.size)
    return {
        "uploaded": True,
        "fileType": file_type,
        "fileIndex": data.fileIndex,
        "totalUploaded": uploaded,
        "totalExpected": session.totalImages + session.totalVideos,
    }


def _ordered(items: list[StagedFile]) -> list[StagedFile]:
    # Files sent in parallel may arrive out of order; the client's index wins.
    return sorted(items, key=lambda item: (item.fileIndex is None, item.fileIndex or 0))


def _media_fields(item: StagedFile) -> dict[str, Any]:
    return item.model_dump(exclude={"fileIndex"}, exclude_none=True)


def _upload_from_session(
    session: UploadSession, upload_id: PydanticObjectId, now: datetime
) -> Upload:
    images = [UploadImage(**_media_fields(item)) for item in _ordered(session.uploadedImages)]
    videos = [UploadVideo(**_media_fields(item)) for item in _ordered(session.uploadedVideos)]
    address = {name: session.userData.get(name) for name in _ADDRESS_FIELDS}
    return Upload(
        id=upload_id,
        **address,
        email=session.email,
        accessCode=session.accessCode,
        images=images,
        videos=videos,
        createdAt=now,
    )


async def complete_session(
    ctx: AppContext, session_id: str, *, now: datetime | None = None
) -> tuple[Upload, bool]:
    """U3: create the Upload once. Returns ``(upload, alreadyUploaded)``."""
    now = now or utcnow()
    collection = UploadSession.get_pymongo_collection()
    session = await UploadSession.get(session_id) if len(session_id) <= 64 else None
    if session is None:
        raise NotFound(SESSION_NOT_FOUND)
    if session.uploadId is None:
        if session.status != SESSION_ACTIVE or as_utc(session.expiresAt) <= now:
            raise NotFound(SESSION_NOT_FOUND)
        already = await _has_uploads(session.email)
        claimed = await collection.find_one_and_update(
            {
                "_id": session.id,
                "status": SESSION_ACTIVE,
                "uploadId": None,
                "expiresAt": {"$gt": now},
            },
            {"$set": {"uploadId": PydanticObjectId(), "alreadyUploaded": already}},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:  # another request claimed (or the sweeper took) it
            session = await UploadSession.get(session_id)
            if session is None or session.uploadId is None:
                raise NotFound(SESSION_NOT_FOUND)
        else:
            session = UploadSession.model_validate(claimed)
    upload_id = session.uploadId
    assert upload_id is not None
    upload = await Upload.get(upload_id)
    if upload is None:
        if session.status != SESSION_ACTIVE:
            # Completed earlier and the upload has since been deleted for good.
            raise NotFound(SESSION_NOT_FOUND)
        upload = await _insert_from_session(session, upload_id, now)
    if session.status == SESSION_ACTIVE:
        await collection.update_one(
            {"_id": session.id},
            {"$set": {"status": SESSION_COMPLETED, "pendingKeys": [], "updatedAt": now}},
        )
        # Keys still pending belong to writes that lost the race with complete;
        # those requests fail and must not leave their objects behind.
        await _delete_objects(ctx, session.pendingKeys, "late_file")
        log.info("uploads.session_completed", session_id=session.id, upload_id=str(upload_id))
    return upload, bool(session.alreadyUploaded)


async def _insert_from_session(
    session: UploadSession, upload_id: PydanticObjectId, now: datetime
) -> Upload:
    upload = _upload_from_session(session, upload_id, now)
    try:
        await upload.insert()
    except DuplicateKeyError as exc:
        pattern = (exc.details or {}).get("keyPattern") or {}
        existing = await Upload.get(upload_id)
        if existing is not None:
            return existing
        if "_id" in pattern:
            raise
        # The code was taken after the session started: release the claim so
        # the session stays as it was (the original kept its state too).
        await UploadSession.get_pymongo_collection().update_one(
            {"_id": session.id, "uploadId": upload_id, "status": SESSION_ACTIVE},
            {"$set": {"uploadId": None, "alreadyUploaded": None}},
        )
        raise Conflict(CODE_TAKEN) from exc
    return upload


async def session_progress(session_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    """U4: counters read from the session document."""
    session = await _live_session(session_id, now or utcnow())
    images = len(session.uploadedImages)
    videos = len(session.uploadedVideos)
    uploaded = images + videos
    expected = session.totalImages + session.totalVideos
    # Math.round semantics (halves round up), not Python's banker's rounding.
    progress = math.floor(uploaded / expected * 100 + 0.5) if expected else 0
    return {
        "progress": progress,
        "totalUploaded": uploaded,
        "totalExpected": expected,
        "uploadedImages": images,
        "uploadedVideos": videos,
    }


# --------------------------------------------------------------------------- U5 bulk


async def bulk_upload(
    ctx: AppContext, data: BulkUpload, *, now: datetime | None = None
) -> tuple[Upload, bool]:
    """U5: one request with every file. Files are written one at a time; any
    failure deletes what was already written and nothing is saved."""
    now = now or utcnow()
    code = await _claim_code(data.accessCode or None, now)
    email = normalise_email(data.email)
    already = await _has_uploads(email)
    written: list[str] = []
    try:
        images: list[UploadImage] = []
        videos: list[UploadVideo] = []
        for kind, files in (("image", data.images), ("video", data.videos)):
            _, prefix, allowed, default_mime = _media_kind(kind)
            for index, item in enumerate(files):
                if item is None or not item.data:
                    continue
                parsed = parse_data_url(item.data, default_mime=default_mime)
                key = _key_for(prefix, code, index, parsed)
                stored = await _write(ctx, key, parsed, allowed, code, kind)
                written.append(stored.key)
                fields: dict[str, Any] = {
                    "url": stored.url,
                    "name": item.name,
                    "label": item.label,
                    "timestamp": now,
                    "s3_key": stored.key,
                    "size": stored.size,
                    "content_type": stored.content_type,
                }
                if kind == "image":
                    images.append(UploadImage(**fields))
                else:
                    videos.append(UploadVideo(**fields, duration=item.duration or None))
        upload = Upload(
            **data.address(),
            email=email,
            accessCode=code,
            images=images,
            videos=videos,
            createdAt=now,
        )
        try:
            await upload.insert()
        except DuplicateKeyError as exc:
            raise Conflict(CODE_TAKEN) from exc
    except BaseException:
        await _delete_objects(ctx, written, "bulk_failed")
        raise
    log.info("uploads.bulk_created", upload_id=str(upload.id), files=len(written))
    return upload, already


# --------------------------------------------------------------------------- public look-ups


async def fetch_by_code(ctx: AppContext, code: str, ip: str) -> Upload:
    """U6: a live (not trashed) upload by its code."""
    await _throttle(ctx, ip)
    upload = await Upload.find_one({"accessCode": code, "deleted": {"$ne": True}})
    if upload is None:
        _lookup_failed("fetch", code, ip, "unknown_code")
        raise NotFound("No upload found for this access code.")
    return upload


async def record_access(
    ctx: AppContext,
    code: str,
    data: AccessLog,
    ip: str,
    viewer: User | None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """U7: append to the access log and count the view."""
    await _throttle(ctx, ip)
    now = now or utcnow()
    upload = await Upload.find_one({"accessCode": code, "deleted": {"$ne": True}})
    if upload is None:
        _lookup_failed("access", code, ip, "unknown_code")
        raise NotFound("Upload not found")
    creator = bool(data.creator) and viewer is not None and upload.is_owned_by(viewer.email)
    if creator:
        email = data.visitor_email or "creator@system"
        entry: dict[str, Any] = {"visitor_email": email, "access_time": now, "creator": True}
    else:
        email = (data.visitor_email or "").lower() or "anonymous@visitor"
        entry = {"visitor_email": email, "access_time": now, "creator": False}
    updated = await Upload.get_pymongo_collection().find_one_and_update(
        {"_id": upload.id},
        {
            "$push": {"access_history": {"$each": [entry], "$slice": -ACCESS_HISTORY_LIMIT}},
            "$inc": {"total_access_count": 1},
            "$set": {"updatedAt": now},
        },
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        raise NotFound("Upload not found")
    return {
        "message": "Creator access recorded successfully"
        if creator
        else "Visitor access recorded successfully",
        "access_count": int(updated.get("total_access_count", 0)),
        "visitor_info": {"email": email, "access_time": now},
    }


async def mark_sent(ctx: AppContext, code: str, ip: str, *, now: datetime | None = None) -> None:
    """U15: flag the upload as viewed; the first call only notifies the owner
    (socket ``new-notification`` and an e-mail)."""
    await _throttle(ctx, ip)
    now = now or utcnow()
    upload = await Upload.find_one({"accessCode": code})
    if upload is None:
        _lookup_failed("mark_sent", code, ip, "unknown_code")
        raise NotFound("Upload not found.")
    flagged = await Upload.get_pymongo_collection().find_one_and_update(
        {"_id": upload.id, "notificationSent": {"$ne": True}},
        {"$set": {"notificationSent": True, "firstAccessedAt": now, "updatedAt": now}},
    )
    if flagged is None:
        return
    log.info("uploads.first_view", upload_id=str(upload.id), code=code)
    if not upload.email:
        return
    await ctx.notifier.new_notification(
        upload.email,
        {
            "_id": str(upload.id),
            "accessCode": upload.accessCode,
            "firstAccessedAt": iso(now),
            "message": NOTIFICATION_MESSAGE,
        },
    )
    mail = render(
        "share_code_accessed",
        ACCESSED_SUBJECT,
        first_name=upload.first_name or "",
        access_code=upload.accessCode,
        accessed_at=as_utc(now).strftime("%d %B %Y, %H:%M UTC"),
    )
    try:
        await ctx.mail.send(upload.email, mail)
    except MailError as exc:
        log.warning("uploads.first_view_mail_failed", upload_id=str(upload.id), error=str(exc))


class _ValidateRateLimited(TooManyRequests):
    """429 in the validate route's own shape (no ``success`` key)."""

    def body(self) -> dict[str, Any]:
        return {"valid": False, "message": self.message}


def _normalised_text(value: str | None) -> str:
    return (value or "").strip().lower()


def _normalised_postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").lower()


async def validate_access_code(ctx: AppContext, payload: Any, ip: str) -> dict[str, Any]:
    """U17: code + house + postcode. Answers ``{valid, accessCode}`` or raises a
    :class:`ResponseBody` ``{valid: false, message}`` (400 / 404 / 403)."""
    try:
        await _throttle(ctx, ip)
    except TooManyRequests as exc:
        raise _ValidateRateLimited(exc.message, retry_after=exc.retry_after) from exc
    fields = payload if isinstance(payload, dict) else {}
    values: dict[str, str] = {}
    for name in ("code", "house", "postcode"):
        raw = fields.get(name)
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, str | int)):
            raise ResponseBody(400, {"valid": False, "message": "Invalid input."})
        text = "" if raw is None else str(raw).strip()
        if len(text) > 254:
            raise ResponseBody(400, {"valid": False, "message": "Invalid input."})
        values[name] = text
    if not all(values.values()):
        raise ResponseBody(400, {"valid": False, "message": "All fields are required."})
    code = values["code"]
    upload = await Upload.find_one({"accessCode": code, "deleted": {"$ne": True}})
    if upload is None:
        _lookup_failed("validate", code, ip, "unknown_code")
        raise ResponseBody(404, {"valid": False, "message": "Code not found"})
    house = _normalised_text(values["house"])
    postcode = _normalised_postcode(values["postcode"])
    house_ok = house in {
        _normalised_text(upload.house_name_number),
        _normalised_text(upload.flat_apartment_room),
    } - {""}
    postcode_ok = postcode in {
        _normalised_postcode(upload.actualPostCode),
        _normalised_postcode(upload.postCode),
    } - {""}
    if not (house_ok and postcode_ok):
        _lookup_failed("validate", code, ip, "details_mismatch")
        raise ResponseBody(403, {"valid": False, "message": "Details do not match"})
    return {"valid": True, "accessCode": upload.accessCode}


# --------------------------------------------------------------------------- owner routes


async def my_uploads(user: User) -> list[Upload]:
    """U8: the caller's live uploads (no order; the frontend sorts)."""
    uploads: list[Upload] = await Upload.owned_by(
        owner_email(user), {"deleted": {"$ne": True}}
    ).to_list()
    return uploads


async def my_latest_upload(user: User) -> Upload | None:
    """U9: the caller's newest live upload."""
    latest: Upload | None = (
        await Upload.owned_by(owner_email(user), {"deleted": {"$ne": True}})
        .sort([("createdAt", pymongo.DESCENDING)])
        .first_or_none()
    )
    return latest


async def my_trash(user: User) -> list[Upload]:
    """U10: the caller's trashed uploads."""
    uploads: list[Upload] = await Upload.owned_by(owner_email(user), {"deleted": True}).to_list()
    return uploads


async def _update_owned(user: User, upload_id: str, update: dict[str, Any]) -> Upload:
    oid = _object_id(upload_id)
    upload = await Upload.update_owned(owner_email(user), oid, update)
    if upload is None:
        raise NotFound(NOT_OWNED)
    return upload


async def trash_upload(user: User, upload_id: str, *, now: datetime | None = None) -> Upload:
    """U11: soft delete."""
    now = now or utcnow()
    return await _update_owned(
        user, upload_id, {"$set": {"deleted": True, "deletedAt": now, "updatedAt": now}}
    )


async def restore_upload(user: User, upload_id: str, *, now: datetime | None = None) -> Upload:
    """U12: back from the trash (no check that it was trashed, as the original)."""
    now = now or utcnow()
    return await _update_owned(
        user,
        upload_id,
        {"$set": {"deleted": False, "updatedAt": now}, "$unset": {"deletedAt": ""}},
    )


async def delete_upload_permanently(ctx: AppContext, user: User, upload_id: str) -> None:
    """U13: remove the document, then its storage objects (best effort, logged)."""
    oid = _object_id(upload_id)
    upload = await Upload.delete_owned(owner_email(user), oid)
    if upload is None:
        raise NotFound(NOT_OWNED)
    await _delete_objects(ctx, _upload_keys(ctx, upload), "permanent_delete")
    log.info("uploads.deleted", upload_id=str(oid))


async def viewed_notifications(user: User) -> list[Upload]:
    """U14: live uploads already viewed, newest first view first."""
    uploads: list[Upload] = (
        await Upload.owned_by(
            owner_email(user),
            {
                "deleted": {"$ne": True},
                "notificationSent": True,
                "firstAccessedAt": {"$ne": None},
            },
        )
        .sort([("firstAccessedAt", pymongo.DESCENDING)])
        .to_list()
    )
    return uploads


def _parse_day(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO-8601 timestamp, in UTC; anything else is ignored."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return as_utc(parsed).astimezone(UTC)


async def search_uploads(user: User, data: UploadSearch) -> list[Upload]:
    """U16: literal, case-insensitive text; ``date_to`` covers its whole day (UTC)."""
    conditions: list[dict[str, Any]] = []
    if data.accessCode:
        conditions.append({"accessCode": {"$regex": re.escape(data.accessCode), "$options": "i"}})
    if data.description:
        # The original matched a field that does not exist; the box is meant
        # to find uploads by the resident's name or address, so that is searched.
        pattern = {"$regex": re.escape(data.description), "$options": "i"}
        conditions.append({"$or": [{name: pattern} for name in _SEARCHABLE_TEXT]})
    start = _parse_day(data.date_from)
    if start is not None:
        conditions.append({"createdAt": {"$gte": start}})
    end = _parse_day(data.date_to)
    if end is not None:
        end_of_day = datetime.combine(end.date(), time(23, 59, 59, 999_000), tzinfo=UTC)
        conditions.append({"createdAt": {"$lte": end_of_day}})
    if data.deleted is not None:
        conditions.append({"deleted": True} if data.deleted else {"deleted": {"$ne": True}})
    uploads: list[Upload] = (
        await Upload.owned_by(owner_email(user), *conditions)
        .sort([("createdAt", pymongo.DESCENDING)])
        .to_list()
    )
    return uploads


# --------------------------------------------------------------------------- purge


async def purge_trashed_uploads(ctx: AppContext, now: datetime) -> int:
    """Delete uploads trashed longer than ``TRASH_RETENTION_DAYS``, objects included."""
    cutoff = now - timedelta(days=ctx.settings.TRASH_RETENTION_DAYS)
    due = {"deleted": True, "deletedAt": {"$lte": cutoff}}
    batch = await Upload.find(due).limit(ctx.settings.PURGE_BATCH_SIZE).to_list()
    collection = Upload.get_pymongo_collection()
    removed = 0
    for upload in batch:
        # Re-checked in the delete itself: a restore in between wins.
        result = await collection.delete_one({"_id": upload.id, **due})
        if result.deleted_count:
            removed += 1
            await _delete_objects(ctx, _upload_keys(ctx, upload), "purge")
    return removed


async def sweep_expired_sessions(ctx: AppContext, now: datetime) -> int:
    """Remove expired staged sessions; those never completed take their objects along."""
    collection = UploadSession.get_pymongo_collection()
    done = await collection.delete_many({"status": SESSION_COMPLETED, "expiresAt": {"$lte": now}})
    removed = done.deleted_count
    stale = (
        await UploadSession.find({"status": SESSION_ACTIVE, "expiresAt": {"$lte": now}})
        .limit(ctx.settings.PURGE_BATCH_SIZE)
        .to_list()
    )
    for session in stale:
        if session.uploadId is not None:
            if await Upload.get(session.uploadId) is not None:
                # Completed, but the process stopped before flagging the session.
                result = await collection.delete_one({"_id": session.id})
                removed += result.deleted_count
                continue
            if as_utc(session.expiresAt) > now - SESSION_SWEEP_GRACE:
                continue  # a complete claimed it and may still be inserting
        taken = await collection.find_one_and_delete(
            {"_id": session.id, "status": SESSION_ACTIVE, "uploadId": session.uploadId}
        )
        if taken is None:
            continue
        removed += 1
        await _delete_objects(
            ctx, UploadSession.model_validate(taken).all_keys(), "session_expired"
        )
    return removed
