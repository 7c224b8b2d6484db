"""Meetings: create (or add media to) a meeting, list/search, trash and archive,
notes, the public share page and the trash purge (meetings-uploads.md §3, §5, §6).

Ownership: every query acting for a signed-in user goes through
:meth:`Meeting.owned_by` / :meth:`Meeting.owner_filter`, including the routes
the original left unchecked (create on an existing ``meeting_id``,
by-meeting-id, notes). A meeting that exists but belongs to someone else
answers 404 ``Meeting not found``, exactly like a missing one.

Media: recordings and screenshots arrive as data URLs. All of them are parsed
and size-checked before anything is written; then they are streamed to storage
with bounded concurrency. If any one fails (bad data, storage down, client gone)
the request fails and every object it already wrote is deleted, so there is
never a record pointing at a missing object nor an object without a record.

Decisions where the spec is silent are listed in docs/meetings.md.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from beanie import PydanticObjectId
from bson import ObjectId
from bson.errors import InvalidId
from pydantic import BaseModel, ConfigDict
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.errors import AppError, BadRequest, NotFound, PayloadTooLarge
from app.core.logging import get_logger
from app.models.base import as_utc, dump, utcnow
from app.models.meeting import AccessEntry, Meeting, Recording, Screenshot, WorkDetail
from app.models.user import User
from app.services.context import AppContext
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
from app.services.storage import StoredObject

log = get_logger(__name__)

RECORDINGS_PREFIX = "videodesk_recordings"
SCREENSHOTS_PREFIX = "videodesk_screenshots"
MAX_RECORDING_BYTES = 100 * 1024 * 1024
MAX_SCREENSHOT_BYTES = 25 * 1024 * 1024
# Files of one request uploading at once; each multipart upload has its own
# S3_QUEUE_SIZE parts in flight, so this bounds sockets and memory per request.
MEDIA_UPLOAD_CONCURRENCY = 3
# The share page's visitor log keeps the most recent entries only.
ACCESS_HISTORY_LIMIT = 500
MAX_MEETING_ID_CHARS = 200
MAX_SEARCH_TEXT_CHARS = 200
# Rows per round trip while streaming search candidates (projected, small).
SEARCH_BATCH_SIZE = 1000

MEETING_NOT_FOUND = "Meeting not found"

# Metadata fields of M1/M6. Mongoose trimmed these ones.
TRIMMED_FIELDS = (
    "first_name",
    "last_name",
    "house_name_number",
    "flat_apartment_room",
    "street_road",
    "city",
    "country",
    "post_code",
    "phone_number",
    "reference",
)
TEXT_FIELDS = (*TRIMMED_FIELDS, "name", "repair_detail", "target_time")


# --------------------------------------------------------------------------- input models


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class WorkDetailIn(_Loose):
    detail: str | None = None
    target_time: str | None = None
    timestamp: Any = None


class MediaIn(_Loose):
    """One recording or screenshot; ``data`` is checked by :func:`parse_data_url`
    so that a wrong type gets the same clear message as a malformed URL."""

    data: Any = None
    timestamp: Any = None
    duration: Any = None


class MeetingFieldsIn(_Loose):
    """The metadata of M1/M6. Only keys present in the body are written (a
    present ``null`` or ``""`` overwrites, as in the original)."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    house_name_number: str | None = None
    flat_apartment_room: str | None = None
    street_road: str | None = None
    city: str | None = None
    country: str | None = None
    post_code: str | None = None
    phone_number: str | None = None
    reference: str | None = None
    repair_detail: str | None = None
    target_time: str | None = None
    work_details: list[WorkDetailIn] | None = None
    special_notes: Any = None


class MeetingCreateIn(MeetingFieldsIn):
    meeting_id: Any = None
    recordings: list[MediaIn] | None = None
    screenshots: list[MediaIn] | None = None


class SearchIn(_Loose):
    """M4 body. Values stay ``Any`` here so that type errors are reported per
    field by :func:`build_search_filter` (strings only, never operators)."""

    model_config = ConfigDict(extra="allow")


class ShareAccessIn(_Loose):
    visitor_name: Any = None
    visitor_email: Any = None
    creator: Any = None


# --------------------------------------------------------------------------- helpers


def parse_object_id(value: str) -> PydanticObjectId:
    """A Mongo ``_id`` from a path segment; malformed → the original's 400."""
    try:
        return PydanticObjectId(ObjectId(value))
    except (InvalidId, TypeError) as exc:
        raise BadRequest("Resource not found. Invalid: _id") from exc


def meeting_doc(meeting: Meeting) -> dict[str, Any]:
    """The full document as the owner sees it (``__v`` included when stored)."""
    return dump(meeting)


def _field_updates(fields: MeetingFieldsIn) -> dict[str, Any]:
    """``$set`` values for the metadata keys present in the request."""
    updates: dict[str, Any] = {}
    present = fields.model_fields_set
    for name in TEXT_FIELDS:
        if name in present:
            value = getattr(fields, name)
            if isinstance(value, str) and name in TRIMMED_FIELDS:
                value = value.strip()
            updates[name] = value
    if "work_details" in present:
        updates["work_details"] = [
            WorkDetail(
                detail=item.detail.strip() if item.detail is not None else None,
                target_time=item.target_time.strip() if item.target_time is not None else None,
                timestamp=parse_client_time(item.timestamp),
            ).model_dump(by_alias=True)
            for item in fields.work_details or []
        ]
    if "special_notes" in present:
        updates["special_notes"] = fields.special_notes
    return updates


_CLIENT_TIME_FORMATS = (
    "%m/%d/%Y, %I:%M:%S %p",  # en-US toLocaleString()
    "%d/%m/%Y, %H:%M:%S",  # en-GB toLocaleString()
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S",
)


def parse_client_time(value: Any, *, default: datetime | None = None) -> datetime:
    """A client timestamp (ISO string, epoch ms or a ``toLocaleString()`` text);
    unparsable values become now, as in the original."""
    fallback = default or utcnow()
    if isinstance(value, bool) or value is None:
        return fallback
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return fallback
    if not isinstance(value, str) or not value.strip():
        return fallback
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for pattern in _CLIENT_TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return fallback
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _duration(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return float(value) if value == value and value >= 0 else 0  # NaN and negatives → 0


def _percent(done: int, attempted: int) -> str:
    return f"{round(done * 100 / attempted) if attempted else 100}%"


def _meeting_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("Meeting ID is required")
    text = value.strip()
    if len(text) > MAX_MEETING_ID_CHARS:
        raise BadRequest("Meeting ID is too long")
    return text


def _message_settings(user: User) -> dict[str, Any]:
    return user.messageSettings.model_dump()


# --------------------------------------------------------------------------- media


@dataclass
class _MediaJob:
    kind: str  # "recording" | "screenshot"
    index: int
    item: MediaIn
    data_url: DataUrl


@dataclass
class _Uploaded:
    recordings: list[Recording] = field(default_factory=list)
    screenshots: list[Screenshot] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [m.cloudinary_id for m in (*self.recordings, *self.screenshots)]


def _prepare_media(
    recordings: list[MediaIn] | None, screenshots: list[MediaIn] | None
) -> list[_MediaJob]:
    """Validate every data URL, type and size before the first byte is stored."""
    jobs: list[_MediaJob] = []
    for kind, items, allowed, limit in (
        ("recording", recordings or [], VIDEO_MIMES, MAX_RECORDING_BYTES),
        ("screenshot", screenshots or [], IMAGE_MIMES, MAX_SCREENSHOT_BYTES),
    ):
        for index, item in enumerate(items):
            try:
                data_url = parse_data_url(item.data)
                if data_url.mime not in allowed:
                    raise BadRequest(f"Unsupported {kind} type: {data_url.mime}")
                size = decoded_size(data_url)
            except BadRequest as exc:
                raise BadRequest(f"{kind.capitalize()} {index + 1}: {exc.message}") from exc
            if size > limit:
                raise PayloadTooLarge(
                    f"File size too large: {kind} {index + 1} is over "
                    f"{limit // (1024 * 1024)} MB. Please compress your files."
                )
            jobs.append(_MediaJob(kind, index, item, data_url))
    return jobs


async def _upload_media(
    ctx: AppContext, meeting_id: str, user: User, jobs: list[_MediaJob]
) -> _Uploaded:
    """Store every job (bounded concurrency); all or nothing.

    On the first failure, jobs not yet started are skipped and the ones in
    flight are allowed to finish (cancelling an S3 request midway can still
    leave the object behind); then every key this request tried is deleted.
    """
    stored: list[StoredObject | None] = [None] * len(jobs)
    attempted: list[str] = []
    failed = asyncio.Event()
    slots = asyncio.Semaphore(MEDIA_UPLOAD_CONCURRENCY)
    started_ms = str(int(utcnow().timestamp() * 1000))

    async def run(position: int, job: _MediaJob) -> None:
        async with slots:
            if failed.is_set():
                return
            is_video = job.kind == "recording"
            key = media_key(
                RECORDINGS_PREFIX if is_video else SCREENSHOTS_PREFIX,
                meeting_id,
                user.id_str,
                index=job.index,
                ext=extension_for(job.data_url.mime),
            )
            attempted.append(key)
            try:
                stored[position] = await store_data_url(
                    ctx.storage,
                    key,
                    job.data_url,
                    max_bytes=MAX_RECORDING_BYTES if is_video else MAX_SCREENSHOT_BYTES,
                    allowed_mimes=VIDEO_MIMES if is_video else IMAGE_MIMES,
                    metadata={
                        "uploaded-by": user.id_str,
                        "meeting-id": key.split("/")[1],
                        "upload-timestamp": started_ms,
                        "file-type": "video" if is_video else "image",
                    },
                )
            except BaseException:
                failed.set()
                raise

    tasks = [asyncio.create_task(run(i, job)) for i, job in enumerate(jobs)]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if errors:
        await ctx.storage.delete_many(attempted)
        log.warning("meetings.media_rolled_back", meeting_id=meeting_id, objects=len(attempted))
        # AppErrors (400/413/502) first: they carry the message the user needs.
        raise next((e for e in errors if isinstance(e, AppError)), errors[0])

    result = _Uploaded()
    now = utcnow()
    for job, obj in zip(jobs, stored, strict=True):
        assert obj is not None
        timestamp = parse_client_time(job.item.timestamp, default=now)
        if job.kind == "recording":
            result.recordings.append(
                Recording(
                    url=obj.url,
                    cloudinary_id=obj.key,
                    timestamp=timestamp,
                    duration=_duration(job.item.duration),
                    size=obj.size,
                    content_type=obj.content_type,
                    uploaded_by=user.id,
                )
            )
        else:
            result.screenshots.append(
                Screenshot(
                    url=obj.url,
                    cloudinary_id=obj.key,
                    timestamp=timestamp,
                    size=obj.size,
                    content_type=obj.content_type,
                    uploaded_by=user.id,
                )
            )
    return result


def media_keys(meeting: Meeting | dict[str, Any], ctx: AppContext) -> list[str]:
    """Every storage key a meeting references (``s3_key`` or ``cloudinary_id``,
    else derived from the URL for legacy rows)."""
    raw: dict[str, Any] = meeting_doc(meeting) if isinstance(meeting, Meeting) else meeting
    keys: list[str] = []
    recordings: list[Any] = raw.get("recordings") or []
    screenshots: list[Any] = raw.get("screenshots") or []
    items = [*recordings, *screenshots]
    for item in items:
        if not isinstance(item, dict):
            continue
        key = item.get("s3_key") or item.get("cloudinary_id")
        if not key and isinstance(item.get("url"), str):
            key = ctx.storage.key_from_url(item["url"])
        if isinstance(key, str) and key:
            keys.append(key)
    return keys


# --------------------------------------------------------------------------- M1 create


@dataclass(frozen=True)
class CreateResult:
    created: bool
    body: dict[str, Any]


async def create_or_add_media(
    ctx: AppContext, user: User, payload: MeetingCreateIn, *, started: float | None = None
) -> CreateResult:
    """M1: a new ``meeting_id`` creates the meeting (201 ``upload_summary``); an
    existing one owned by the caller gets the sent fields and new media (200
    ``media_summary``); someone else's answers 404."""
    loop = asyncio.get_running_loop()
    started = started if started is not None else loop.time()
    meeting_id = _meeting_id(payload.meeting_id)
    jobs = _prepare_media(payload.recordings, payload.screenshots)
    updates = _field_updates(payload)

    existing = await Meeting.find_one({"meeting_id": meeting_id})
    if existing is not None and not _owns(existing, user):
        raise NotFound(MEETING_NOT_FOUND)

    uploaded = await _upload_media(ctx, meeting_id, user, jobs)
    try:
        if existing is None:
            try:
                meeting = await _insert_meeting(user, meeting_id, updates, uploaded)
            except DuplicateKeyError:
                # A concurrent create won the race: add to it instead (if ours).
                log.info("meetings.create_race", meeting_id=meeting_id)
                meeting = await _add_to_existing(user, meeting_id, updates, uploaded)
                created = False
            else:
                created = True
        else:
            meeting = await _add_to_existing(user, meeting_id, updates, uploaded)
            created = False
    except BaseException:
        await ctx.storage.delete_many(uploaded.keys)
        raise

    await publish_meeting(ctx, meeting)
    rec_n, shot_n = len(uploaded.recordings), len(uploaded.screenshots)
    attempted = len(jobs)
    common = {"success": True, "meeting": meeting_doc(meeting)}
    settings = {"user_message_settings": _message_settings(user)}
    if created:
        elapsed_ms = int((loop.time() - started) * 1000)
        body = {
            **common,
            "message": "Meeting created successfully",
            "upload_summary": {
                "total_time": f"{elapsed_ms}ms",
                "success_rate": _percent(rec_n + shot_n, attempted),
                "recordings_uploaded": rec_n,
                "recordings_attempted": sum(1 for j in jobs if j.kind == "recording"),
                "screenshots_uploaded": shot_n,
                "screenshots_attempted": sum(1 for j in jobs if j.kind == "screenshot"),
                "total_files_processed": rec_n + shot_n,
                "total_files_attempted": attempted,
                "created_by": user.id_str,
            },
            **settings,
        }
    else:
        body = {
            **common,
            "message": "Meeting updated successfully with new media files",
            "media_summary": {
                "success_rate": _percent(rec_n + shot_n, attempted),
                "total_recordings_count": meeting.total_recordings,
                "total_screenshots_count": meeting.total_screenshots,
                "new_recordings_added": rec_n,
                "new_screenshots_added": shot_n,
                "new_files_attempted": attempted,
                "new_files_successful": rec_n + shot_n,
                "updated_by": user.id_str,
                "meeting_userId": str(meeting.userId or user.id),
            },
            **settings,
        }
    log.info(
        "meetings.saved",
        meeting_id=meeting_id,
        created=created,
        recordings=rec_n,
        screenshots=shot_n,
    )
    return CreateResult(created, body)


def _uid(user: User) -> PydanticObjectId:
    if user.id is None:  # only a stored user reaches a service
        raise NotFound(MEETING_NOT_FOUND)
    return user.id


def _owns(meeting: Meeting, user: User) -> bool:
    return user.id in (meeting.owner, meeting.userId, meeting.created_by)


async def _insert_meeting(
    user: User, meeting_id: str, updates: dict[str, Any], uploaded: _Uploaded
) -> Meeting:
    values = dict(updates)
    values.setdefault("work_details", [])
    if values.get("special_notes") is None:
        values.pop("special_notes", None)
    meeting = Meeting(
        meeting_id=meeting_id,
        owner=user.id,
        userId=user.id,
        created_by=user.id,
        last_updated_by=user.id,
        recordings=uploaded.recordings,
        screenshots=uploaded.screenshots,
        total_recordings=len(uploaded.recordings),
        total_screenshots=len(uploaded.screenshots),
        **values,
    )
    await meeting.insert()
    return meeting


async def _add_to_existing(
    user: User, meeting_id: str, updates: dict[str, Any], uploaded: _Uploaded
) -> Meeting:
    """One atomic, owner-scoped update: fields overwritten, media appended."""
    update: dict[str, Any] = {
        "$set": {**updates, "last_updated_by": user.id, "updatedAt": utcnow()},
        "$inc": {
            "total_recordings": len(uploaded.recordings),
            "total_screenshots": len(uploaded.screenshots),
        },
    }
    pushes = {
        name: {"$each": [item.model_dump(by_alias=True) for item in items]}
        for name, items in (
            ("recordings", uploaded.recordings),
            ("screenshots", uploaded.screenshots),
        )
        if items
    }
    if pushes:
        update["$push"] = pushes
    meeting = await _update_owned(user, {"meeting_id": meeting_id}, update)
    if meeting.userId is None:
        meeting = await _update_owned(
            user, {"meeting_id": meeting_id}, {"$set": {"userId": user.id}}
        )
    return await _sync_counters(meeting)


# --------------------------------------------------------------------------- shared updates


async def _update_owned(
    user: User, match: dict[str, Any], update: dict[str, Any], *, not_found: str = MEETING_NOT_FOUND
) -> Meeting:
    collection = Meeting.get_pymongo_collection()
    raw = await collection.find_one_and_update(
        {"$and": [Meeting.owner_filter(_uid(user)), match]},
        update,
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        raise NotFound(not_found)
    meeting: Meeting = Meeting.model_validate(raw)
    return meeting


async def _sync_counters(meeting: Meeting) -> Meeting:
    """Counters are the array lengths; repairs drift left by legacy data."""
    recordings, screenshots = len(meeting.recordings), len(meeting.screenshots)
    if meeting.total_recordings == recordings and meeting.total_screenshots == screenshots:
        return meeting
    await Meeting.get_pymongo_collection().update_one(
        {"_id": meeting.id},
        {"$set": {"total_recordings": recordings, "total_screenshots": screenshots}},
    )
    meeting.total_recordings, meeting.total_screenshots = recordings, screenshots
    return meeting


async def get_owned(user: User, meeting_object_id: str) -> Meeting:
    oid = parse_object_id(meeting_object_id)
    meeting = await Meeting.find_one({"$and": [Meeting.owner_filter(_uid(user)), {"_id": oid}]})
    if meeting is None:
        raise NotFound(MEETING_NOT_FOUND)
    return meeting


async def get_owned_by_meeting_id(user: User, meeting_id: str) -> Meeting:
    meeting = await Meeting.find_one(
        {"$and": [Meeting.owner_filter(_uid(user)), {"meeting_id": meeting_id}]}
    )
    if meeting is None:
        raise NotFound(MEETING_NOT_FOUND)
    return meeting


async def publish_meeting(ctx: AppContext, meeting: Meeting) -> None:
    """``meeting-data-available`` to the call's room. The payload is the share
    view (no visitor log): everyone in the call room may receive it."""
    await ctx.notifier.meeting_data_available(
        meeting.meeting_id, {"meeting_id": meeting.meeting_id, "meeting": share_view(meeting)}
    )


# --------------------------------------------------------------------------- M2 / M3 / M4


async def _populate(meetings: list[Meeting]) -> list[dict[str, Any]]:
    """``created_by``/``last_updated_by``/``archivedBy`` as ``{_id, email}`` or null."""
    ids = {
        value
        for m in meetings
        for value in (m.created_by, m.last_updated_by, m.archivedBy)
        if value is not None
    }
    emails: dict[Any, dict[str, Any]] = {}
    if ids:
        cursor = User.get_pymongo_collection().find(
            {"_id": {"$in": list(ids)}}, projection={"email": 1}
        )
        async for row in cursor:
            emails[row["_id"]] = {"_id": row["_id"], "email": row.get("email")}
    docs = []
    for meeting in meetings:
        doc = meeting_doc(meeting)
        for name in ("created_by", "last_updated_by", "archivedBy"):
            value = doc.get(name)
            doc[name] = emails.get(value) if value is not None else None
        docs.append(doc)
    return docs


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value == "true":
        return True
    if value == "false":
        return False
    raise BadRequest("Invalid filter value: use true or false")


async def list_meetings(user: User, *, archived: str | None, deleted: str | None) -> dict[str, Any]:
    """M2. Newest first (the original returned natural order; the frontend sorts)."""
    archived_flag, deleted_flag = _flag(archived), _flag(deleted)
    conditions: list[dict[str, Any]] = [
        {"deleted": True} if deleted_flag else {"deleted": {"$ne": True}}
    ]
    if archived_flag is True:
        conditions.append({"archived": True})
    elif archived_flag is False:
        conditions.append({"archived": {"$ne": True}})
    meetings = await _list_owned(_uid(user), conditions)
    return {
        "success": True,
        "meetings": await _populate(meetings),
        "total_meetings": len(meetings),
        "user_id": user.id_str,
        "filter": f"archived: {archived}" if archived is not None else "all meetings",
    }


async def _list_owned(user_id: PydanticObjectId, conditions: list[dict[str, Any]]) -> list[Meeting]:
    """The user's meetings matching the flag ``conditions``, newest first.

    One query per ownership branch (see :func:`search_meetings` for why not
    the ``$or``). The owner branch carries the conditions (its index leads
    with ``owner``); the small legacy branches are filtered the same way here,
    so that their queries stay bounded by their own index.
    """
    owner_query = {"owner": user_id}
    for condition in conditions:
        owner_query.update(condition)
    found: dict[Any, Meeting] = {}
    for number, branch in enumerate(Meeting.ownership_branches(user_id)):
        query = owner_query if number == 0 else branch
        for meeting in await Meeting.find(query).to_list():
            if meeting.id in found or (number > 0 and not _flags_hold(meeting, conditions)):
                continue
            found[meeting.id] = meeting
    meetings = list(found.values())
    meetings.sort(key=lambda m: as_utc(m.createdAt), reverse=True)
    return meetings


def _flags_hold(meeting: Meeting, conditions: list[dict[str, Any]]) -> bool:
    """``{f: true}`` / ``{f: {$ne: true}}`` conditions of :func:`list_meetings`."""
    for condition in conditions:
        for name, wanted in condition.items():
            is_true = _equals_true(getattr(meeting, name, None))
            if is_true is not (wanted is True):
                return False
    return True


async def archived_counts(user: User) -> dict[str, Any]:
    """M3 (trashed meetings counted too, as in the original)."""
    total = await Meeting.owned_by(_uid(user)).count()
    archived = await Meeting.owned_by(_uid(user), {"archived": True}).count()
    return {
        "success": True,
        "archivedCount": archived,
        "totalCount": total,
        "activeCount": total - archived,
    }


SEARCH_TEXT_FIELDS = (
    "name",
    "post_code",
    "phone_number",
    "reference",
    "repair_detail",
    "special_notes",
    "house_name_number",
    "flat_apartment_room",
    "street_road",
    "city",
    "first_name",
    "last_name",
    "country",
)
ADDRESS_FIELDS = (
    "address",
    "house_name_number",
    "flat_apartment_room",
    "street_road",
    "city",
    "country",
    "post_code",
)
SORT_KEYS = {"createdAt", "updatedAt", "name", "reference", "post_code", "last_name"}
MAX_PAGE_SIZE = 100


def _search_text(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A literal, case-insensitive substring pattern, or None when absent/empty."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Search field {name} must be text")
    if len(value) > MAX_SEARCH_TEXT_CHARS:
        raise BadRequest(f"Search field {name} is too long")
    return {"$regex": re.escape(value), "$options": "i"}


def _search_flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if value is True or value is False:
        return bool(value)
    if value in ("true", "false"):
        return bool(value == "true")
    raise BadRequest(f"Search field {name} must be true or false")


def _search_date(body: dict[str, Any], name: str, *, end_of_day: bool) -> datetime | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"Search field {name} must be a date")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"Search field {name} must be a date (YYYY-MM-DD)") from exc
    parsed = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if end_of_day:
        # Whole days in UTC: date_to includes its entire day.
        return datetime.combine(parsed.date(), time(23, 59, 59, 999000), UTC)
    return parsed


def build_search_filter(body: dict[str, Any]) -> list[dict[str, Any]]:
    """M4 conditions (ANDed with ownership by the caller)."""
    conditions: list[dict[str, Any]] = []
    for name in SEARCH_TEXT_FIELDS:
        pattern = _search_text(body, name)
        if pattern:
            conditions.append({name: pattern})
    ref = _search_text(body, "ref")
    if ref:
        conditions.append({"reference": ref})
    address = _search_text(body, "address")
    if address:
        # The original matched a never-stored `address` field (always empty);
        # searching the address parts is what the user means.
        conditions.append({"$or": [{f: address} for f in ADDRESS_FIELDS]})
    target = _search_text(body, "target_time")
    if target:
        conditions.append({"$or": [{"target_time": target}, {"work_details.target_time": target}]})
    work_target = _search_text(body, "work_details_target_time")
    if work_target:
        conditions.append({"work_details.target_time": work_target})
    date_from = _search_date(body, "date_from", end_of_day=False)
    date_to = _search_date(body, "date_to", end_of_day=True)
    if date_from or date_to:
        created: dict[str, Any] = {}
        if date_from:
            created["$gte"] = date_from
        if date_to:
            created["$lte"] = date_to
        conditions.append({"createdAt": created})
    for name in ("archived", "deleted"):
        flag = _search_flag(body, name)
        if flag is True:
            conditions.append({name: True})
        elif flag is False:
            conditions.append({name: {"$ne": True}})
    return conditions


def _positive_int(body: dict[str, Any], name: str, default: int, maximum: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"{name} must be a positive whole number")
    return min(value, maximum)


@dataclass
class _SearchPlan:
    """M4's conditions split for :func:`search_meetings`: the ``createdAt`` range
    goes to the database (index-bounded), the rest is checked here in Python.

    ``texts``: (field paths, pattern) pairs, all ANDed; a pair matches when any
    of its paths does. The patterns are the ``$regex`` of :func:`_search_text`
    compiled the way the database runs it (``re.escape`` + ``IGNORECASE``:
    Unicode simple case folding, as PCRE's caseless mode — not ``str.casefold``,
    which would also make ``strasse`` find ``Straße``).
    """

    created: dict[str, datetime] = field(default_factory=dict)
    texts: list[tuple[tuple[str, ...], re.Pattern[str]]] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)

    def projection(self, sort_key: str) -> dict[str, int]:
        fields = {"createdAt", sort_key, *self.flags}
        for paths, _pattern in self.texts:
            fields.update(path.split(".", 1)[0] for path in paths)
        return dict.fromkeys(sorted(fields), 1)

    def matches(self, row: dict[str, Any], *, check_created: bool) -> bool:
        if check_created and not _in_range(row.get("createdAt"), self.created):
            return False
        for name, wanted in self.flags.items():
            if _equals_true(row.get(name)) is not wanted:
                return False
        return all(
            any(_text_matches(_path_values(row, path), pattern) for path in paths)
            for paths, pattern in self.texts
        )


def _search_plan(body: dict[str, Any]) -> _SearchPlan:
    """The same inputs, checks and errors as :func:`build_search_filter`."""
    plan = _SearchPlan()

    def text(name: str, *paths: str) -> None:
        if _search_text(body, name) is not None:
            plan.texts.append((paths, re.compile(re.escape(body[name]), re.IGNORECASE)))

    for name in SEARCH_TEXT_FIELDS:
        text(name, name)
    text("ref", "reference")
    text("address", *ADDRESS_FIELDS)
    text("target_time", "target_time", "work_details.target_time")
    text("work_details_target_time", "work_details.target_time")
    date_from = _search_date(body, "date_from", end_of_day=False)
    date_to = _search_date(body, "date_to", end_of_day=True)
    if date_from:
        plan.created["$gte"] = date_from
    if date_to:
        plan.created["$lte"] = date_to
    for name in ("archived", "deleted"):
        flag = _search_flag(body, name)
        if flag is not None:
            plan.flags[name] = flag
    return plan


def _equals_true(value: Any) -> bool:
    """Mongo's ``{f: true}``: the boolean itself, or an array holding it
    (``{f: {$ne: true}}`` is the negation)."""
    return value is True or (isinstance(value, list) and any(v is True for v in value))


def _in_range(value: Any, created: dict[str, datetime]) -> bool:
    """``{createdAt: {$gte, $lte}}`` for the stored type (always a date)."""
    if not created:
        return True
    if not isinstance(value, datetime):
        return False
    value = as_utc(value)
    return ("$gte" not in created or value >= created["$gte"]) and (
        "$lte" not in created or value <= created["$lte"]
    )


def _path_values(row: dict[str, Any], path: str) -> list[Any]:
    """The values a dotted path reaches, descending one array level like Mongo."""
    head, _, rest = path.partition(".")
    value = row.get(head)
    if not rest:
        return [value]
    items = value if isinstance(value, list) else [value]
    return [item.get(rest) for item in items if isinstance(item, dict)]


def _text_matches(values: list[Any], pattern: re.Pattern[str]) -> bool:
    """``$regex`` on each value: a string, or an array with a matching string."""
    for value in values:
        candidates = value if isinstance(value, list) else [value]
        if any(isinstance(c, str) and pattern.search(c) for c in candidates):
            return True
    return False


def _python_sort_key(value: Any, kind: type) -> tuple[int, Any] | None:
    """A key ordering like Mongo's sort (missing/null first, then the type),
    or None when the value's type needs the database's own ordering."""
    if value is None:
        return (0, 0)
    if isinstance(value, kind):
        return (1, as_utc(value) if isinstance(value, datetime) else value)
    return None


async def _owned_matches(
    user_id: PydanticObjectId, plan: _SearchPlan, sort_key: str
) -> list[tuple[Any, PydanticObjectId]]:
    """``(sort value, _id)`` of the user's meetings that match ``plan``."""
    collection = Meeting.get_pymongo_collection()
    projection = plan.projection(sort_key)
    found: dict[Any, Any] = {}
    for number, branch in enumerate(Meeting.ownership_branches(user_id, plan.created or None)):
        # Only the owner branch (the first) has the date range in its query.
        check_created = number > 0
        cursor = collection.find(branch, projection=projection, batch_size=SEARCH_BATCH_SIZE)
        async for row in cursor:
            if row["_id"] not in found and plan.matches(row, check_created=check_created):
                found[row["_id"]] = row.get(sort_key)
    return [(value, oid) for oid, value in found.items()]


async def search_meetings(user: User, body: dict[str, Any]) -> dict[str, Any]:
    """M4. Without ``page``/``limit``/``sort`` the answer is the original's
    (every match, newest first). With them: one page, plus ``pagination``.

    How (B2 of issue 8): one ``$and[$or(ownership), $regex…]`` query was a
    collection scan on SecantusDB — its planner scans for a top-level
    ``$or``/``$and`` and drops the indexes once a ``$regex`` is in the filter.
    Instead: each ownership branch (:meth:`Meeting.ownership_branches`) is its
    own index-bounded query carrying the ``createdAt`` range, projecting only
    the fields the filters and the sort need, streamed in batches; the text
    filters and flags are applied here with the same semantics; ids are
    deduped, sorted and paged; then only the page's documents are fetched by
    ``_id``. On MongoDB the same queries ride the same indexes.
    """
    plan = _search_plan(body)
    sort_value = body.get("sort")
    sort = "-createdAt"
    if sort_value is not None:
        if not isinstance(sort_value, str) or sort_value.lstrip("-") not in SORT_KEYS:
            raise BadRequest(
                f"sort must be one of: {', '.join(sorted(SORT_KEYS))} (prefix - for descending)"
            )
        sort = sort_value
    paged = "page" in body or "limit" in body
    page = _positive_int(body, "page", 1, 1_000_000) if paged else 1
    limit = _positive_int(body, "limit", 20, MAX_PAGE_SIZE) if paged else 0
    sort_key, descending = sort.lstrip("-"), sort.startswith("-")
    matched = await _owned_matches(_uid(user), plan, sort_key)
    total = len(matched)
    start = (page - 1) * limit
    kind = datetime if sort_key in ("createdAt", "updatedAt") else str
    keyed = [(_python_sort_key(value, kind), oid) for value, oid in matched]
    if all(key is not None for key, _oid in keyed):
        keyed.sort(key=lambda item: item[0], reverse=descending)  # type: ignore[arg-type,return-value]
        ids = [oid for _key, oid in keyed]
        if paged:
            ids = ids[start : start + limit]
        by_id = {m.id: m for m in await Meeting.find({"_id": {"$in": ids}}).to_list()}
        meetings = [by_id[oid] for oid in ids if oid in by_id]
    else:
        # Mixed types in the sort field: let the database order them.
        query = Meeting.find({"_id": {"$in": [oid for _value, oid in matched]}}).sort(sort)
        if paged:
            query = query.skip(start).limit(limit)
        meetings = await query.to_list()
    result: dict[str, Any] = {"success": True}
    if paged:
        result["pagination"] = {
            "page": page,
            "limit": limit,
            "total": total,
            "pages": (total + limit - 1) // limit,
        }
    else:
        total = len(meetings)
    result.update(
        {
            "meetings": await _populate(meetings),
            "total_meetings": total,
            "user_id": user.id_str,
            "filter": "search",
        }
    )
    return result


# --------------------------------------------------------------------------- M5–M11


async def get_meeting(user: User, meeting_object_id: str) -> Meeting:
    return await get_owned(user, meeting_object_id)


async def update_meeting(
    ctx: AppContext, user: User, meeting_object_id: str, fields: MeetingFieldsIn
) -> Meeting:
    oid = parse_object_id(meeting_object_id)
    updates = _field_updates(fields)
    meeting = await _update_owned(
        user, {"_id": oid}, {"$set": {**updates, "last_updated_by": user.id, "updatedAt": utcnow()}}
    )
    if meeting.userId is None:
        meeting = await _update_owned(user, {"_id": oid}, {"$set": {"userId": user.id}})
    await publish_meeting(ctx, meeting)
    return meeting


async def trash_meeting(
    user: User, meeting_object_id: str, *, now: datetime | None = None
) -> Meeting:
    oid = parse_object_id(meeting_object_id)
    return await _update_owned(
        user,
        {"_id": oid},
        {"$set": {"deleted": True, "deletedAt": now or utcnow(), "updatedAt": utcnow()}},
    )


async def archive_meeting(user: User, meeting_object_id: str) -> Meeting:
    meeting = await get_owned(user, meeting_object_id)
    if meeting.archived:
        raise BadRequest("Meeting is already archived")
    now = utcnow()
    return await _update_owned(
        user,
        {"_id": meeting.id, "archived": {"$ne": True}},
        {
            "$set": {
                "archived": True,
                "archivedAt": now,
                "archivedBy": user.id,
                "last_updated_by": user.id,
                "updatedAt": now,
            }
        },
        not_found="Meeting is already archived",
    )


async def unarchive_meeting(user: User, meeting_object_id: str) -> Meeting:
    """Unarchive and drop the meeting's folder assignment from its owner."""
    meeting = await get_owned(user, meeting_object_id)
    if not meeting.archived:
        raise BadRequest("Meeting is not archived")
    updated = await _update_owned(
        user,
        {"_id": meeting.id, "archived": True},
        {
            "$set": {
                "archived": False,
                "archivedAt": None,
                "archivedBy": None,
                "last_updated_by": user.id,
                "updatedAt": utcnow(),
            }
        },
        not_found="Meeting is not archived",
    )
    folder_owner = updated.owner or updated.userId or updated.created_by
    if folder_owner is not None:
        await User.get_pymongo_collection().update_one(
            {"_id": folder_owner}, {"$unset": {f"meetingFolders.{updated.id}": ""}}
        )
    return updated


async def restore_meeting(user: User, meeting_object_id: str) -> Meeting:
    meeting = await get_owned(user, meeting_object_id)
    if not meeting.deleted:
        raise BadRequest("Meeting is not in trash")
    return await _update_owned(
        user,
        {"_id": meeting.id, "deleted": True},
        {"$set": {"deleted": False, "deletedAt": None, "updatedAt": utcnow()}},
        not_found="Meeting is not in trash",
    )


async def delete_permanently(ctx: AppContext, user: User, meeting_object_id: str) -> int:
    """M11: the document goes first (so nobody sees a meeting whose media are
    half gone), then its objects, best effort. Returns objects deleted."""
    oid = parse_object_id(meeting_object_id)
    raw = await Meeting.get_pymongo_collection().find_one_and_delete(
        {"$and": [Meeting.owner_filter(_uid(user)), {"_id": oid}]}
    )
    if raw is None:
        raise NotFound(MEETING_NOT_FOUND)
    results = await ctx.storage.delete_many(media_keys(raw, ctx))
    deleted = sum(1 for r in results if r.deleted)
    log.info(
        "meetings.deleted_permanently",
        meeting=str(oid),
        objects=deleted,
        failed=len(results) - deleted,
    )
    return deleted


# --------------------------------------------------------------------------- M12–M14


async def find_for_call(user: User, meeting_id: str) -> Meeting | None:
    """M12: None when no meeting has this id; someone else's → 404."""
    meeting = await Meeting.find_one({"meeting_id": meeting_id})
    if meeting is None:
        return None
    if not _owns(meeting, user):
        raise NotFound(MEETING_NOT_FOUND)
    return meeting


@dataclass(frozen=True)
class MediaDeleteResult:
    storage_deleted: bool
    reason: str | None


async def _delete_media_item(
    ctx: AppContext, user: User, meeting_id: str, item_id: str, *, kind: str
) -> MediaDeleteResult:
    array = "recordings" if kind == "recording" else "screenshots"
    counter = f"total_{array}"
    label = kind.capitalize()
    meeting = await get_owned_by_meeting_id(user, meeting_id)
    try:
        oid = ObjectId(item_id)
    except (InvalidId, TypeError):
        raise NotFound(f"{label} not found") from None
    items = meeting.recordings if kind == "recording" else meeting.screenshots
    item = next((i for i in items if i.id == oid), None)
    if item is None:
        raise NotFound(f"{label} not found")
    key = item.cloudinary_id or ctx.storage.key_from_url(item.url)
    storage_deleted, reason = True, None
    if key:
        outcome = await ctx.storage.delete(key)
        storage_deleted, reason = outcome.deleted, outcome.reason
    # The entry goes whatever storage answered (the original's rule), so the
    # user is never stuck with an undeletable item.
    updated = await _update_owned(
        user,
        {"meeting_id": meeting_id, f"{array}._id": oid},
        {
            "$pull": {array: {"_id": oid}},
            "$inc": {counter: -1},
            "$set": {"last_updated_by": user.id, "updatedAt": utcnow()},
        },
        not_found=f"{label} not found",
    )
    await _sync_counters(updated)
    log.info("meetings.media_deleted", kind=kind, key=key, storage_deleted=storage_deleted)
    return MediaDeleteResult(storage_deleted, reason)


async def delete_recording(
    ctx: AppContext, user: User, meeting_id: str, recording_id: str
) -> MediaDeleteResult:
    return await _delete_media_item(ctx, user, meeting_id, recording_id, kind="recording")


_HEX24 = re.compile(r"^[0-9a-fA-F]{24}$")


async def delete_screenshot(
    ctx: AppContext, user: User, meeting_id: str, screenshot_id: str
) -> MediaDeleteResult:
    if not meeting_id or not screenshot_id:
        raise BadRequest("Meeting ID and Screenshot ID are required")
    if not _HEX24.match(screenshot_id):
        raise BadRequest("Invalid screenshot ID format")
    return await _delete_media_item(ctx, user, meeting_id, screenshot_id, kind="screenshot")


# --------------------------------------------------------------------------- M15–M18 notes


async def get_special_notes(user: User, meeting_id: str) -> Any:
    meeting = await get_owned_by_meeting_id(user, meeting_id)
    return meeting.special_notes if meeting.special_notes is not None else {}


async def set_special_notes(user: User, meeting_id: str, notes: Any) -> Any:
    """M16. Clearing to ``""`` is allowed (the original refused every falsy
    value, so notes could never be emptied); absent or null is refused."""
    if notes is None or notes is False:
        raise BadRequest("Special notes data is required")
    await _update_owned(
        user,
        {"meeting_id": meeting_id},
        {"$set": {"special_notes": notes, "last_updated_by": user.id, "updatedAt": utcnow()}},
    )
    return notes


async def get_structured_notes(user: User, meeting_id: str) -> Any:
    meeting = await get_owned_by_meeting_id(user, meeting_id)
    value = meeting.structured_special_notes
    return value if value is not None else {}


async def set_structured_notes(user: User, meeting_id: str, notes: Any) -> Any:
    """M18: replaces the whole value (objects and arrays, as ``typeof`` allowed)."""
    if not isinstance(notes, dict | list):
        raise BadRequest("Structured special notes data is required and must be an object")
    await _update_owned(
        user,
        {"meeting_id": meeting_id},
        {
            "$set": {
                "structured_special_notes": notes,
                "last_updated_by": user.id,
                "updatedAt": utcnow(),
            }
        },
    )
    return notes


# --------------------------------------------------------------------------- M19 / M20 public share

SHARE_FIELDS = (
    "meeting_id",
    "name",
    "first_name",
    "last_name",
    "post_code",
    "phone_number",
    "reference",
    "repair_detail",
    "work_details",
    "special_notes",
    "structured_special_notes",
    "target_time",
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
)


def share_view(meeting: Meeting) -> dict[str, Any]:
    """What the public share page reads, nothing more: no visitor log (names,
    e-mails, IPs, browsers of other visitors), no storage keys or uploader ids."""
    view: dict[str, Any] = {name: getattr(meeting, name) for name in SHARE_FIELDS}
    view["work_details"] = [w.model_dump(by_alias=True) for w in meeting.work_details]
    view["ref"] = meeting.reference
    view["recordings"] = [
        {
            "_id": r.id,
            "url": r.url,
            "timestamp": r.timestamp,
            "duration": r.duration,
            "content_type": r.content_type,
        }
        for r in meeting.recordings
    ]
    view["screenshots"] = [
        {"_id": s.id, "url": s.url, "timestamp": s.timestamp, "content_type": s.content_type}
        for s in meeting.screenshots
    ]
    return view


async def _shared_meeting(meeting_id: str) -> Meeting:
    # A meeting in the trash is no longer shared.
    meeting = await Meeting.find_one({"meeting_id": meeting_id, "deleted": {"$ne": True}})
    if meeting is None:
        raise NotFound(MEETING_NOT_FOUND)
    return meeting


async def get_shared(meeting_id: str) -> dict[str, Any]:
    return share_view(await _shared_meeting(meeting_id))


_EMAIL_RE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
MAX_VISITOR_NAME = 200
MAX_VISITOR_EMAIL = 254
MAX_USER_AGENT = 512


def _visitor_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest("Visitor name and email must be text")
    return value


async def record_share_access(
    user: User | None,
    meeting_id: str,
    body: ShareAccessIn,
    *,
    ip_address: str,
    user_agent: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """M20. The creator flag counts only for the signed-in owner; anyone else
    claiming it is logged as an ordinary visitor (name and e-mail required)."""
    now = now or utcnow()
    name = _visitor_text(body.visitor_name)
    email = _visitor_text(body.visitor_email)
    claims_creator = body.creator is True or body.creator == "true"
    meeting = await _shared_meeting(meeting_id)
    is_creator = claims_creator and user is not None and _owns(meeting, user)
    if is_creator:
        assert user is not None
        entry = AccessEntry(
            visitor_name=(name or "You")[:MAX_VISITOR_NAME],
            visitor_email=(email or user.email)[:MAX_VISITOR_EMAIL],
            access_time=now,
            ip_address=ip_address,
            user_agent=(user_agent or "Unknown")[:MAX_USER_AGENT],
            creator=True,
        )
        message = "Creator access recorded successfully"
    else:
        if not name or not email or not name.strip() or not email.strip():
            raise BadRequest("Visitor name and email are required")
        if len(name) > MAX_VISITOR_NAME or len(email) > MAX_VISITOR_EMAIL:
            raise BadRequest("Visitor name or email is too long")
        if not _EMAIL_RE.match(email.strip()):
            raise BadRequest("Please enter a valid email address")
        entry = AccessEntry(
            visitor_name=name.strip(),
            visitor_email=email.strip().lower(),
            access_time=now,
            ip_address=ip_address,
            user_agent=(user_agent or "Unknown")[:MAX_USER_AGENT],
        )
        message = "Visitor access recorded successfully"
    raw = await Meeting.get_pymongo_collection().find_one_and_update(
        {"_id": meeting.id, "deleted": {"$ne": True}},
        {
            "$push": {
                "access_history": {
                    "$each": [entry.model_dump(by_alias=True)],
                    "$slice": -ACCESS_HISTORY_LIMIT,
                }
            },
            "$inc": {"total_access_count": 1},
        },
        return_document=ReturnDocument.AFTER,
        projection={"total_access_count": 1},
    )
    if raw is None:
        raise NotFound(MEETING_NOT_FOUND)
    return {
        "success": True,
        "message": message,
        "access_count": int(raw.get("total_access_count") or 0),
        "visitor_info": {
            "name": entry.visitor_name if is_creator else name,
            "email": entry.visitor_email if is_creator else email,
            "access_time": entry.access_time,
        },
    }


# --------------------------------------------------------------------------- trash purge


async def purge_trashed_meetings(
    ctx: AppContext, now: datetime, batch_size: int | None = None
) -> int:
    """Delete meetings in the trash for longer than ``TRASH_RETENTION_DAYS``,
    storage objects included, ``batch_size`` at a time. Returns meetings removed.

    A trashed meeting without ``deletedAt`` (the original never purged those) is
    stamped with ``now`` and purged once the retention has passed from then.
    A meeting restored between selection and deletion is left alone, objects too.
    """
    size = batch_size or ctx.settings.PURGE_BATCH_SIZE
    collection = Meeting.get_pymongo_collection()
    await collection.update_many({"deleted": True, "deletedAt": None}, {"$set": {"deletedAt": now}})
    cutoff = now - timedelta(days=ctx.settings.TRASH_RETENTION_DAYS)
    expired = {"deleted": True, "deletedAt": {"$lte": cutoff}}
    removed = 0
    seen: set[Any] = set()
    while True:
        batch = (
            await collection.find(
                {**expired, "_id": {"$nin": list(seen)}},
                projection={"recordings": 1, "screenshots": 1},
            )
            .limit(size)
            .to_list(length=size)
        )
        if not batch:
            break
        ids = [row["_id"] for row in batch]
        seen.update(ids)
        result = await collection.delete_many({**expired, "_id": {"$in": ids}})
        survivors = {
            row["_id"]
            async for row in collection.find({"_id": {"$in": ids}}, projection={"_id": 1})
        }
        keys = [k for row in batch if row["_id"] not in survivors for k in media_keys(row, ctx)]
        if keys:
            await ctx.storage.delete_many(keys)
        removed += result.deleted_count
        if len(batch) < size:
            break
    if removed:
        log.info("meetings.purged", meetings=removed)
    return removed
