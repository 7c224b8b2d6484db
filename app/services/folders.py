"""Meeting folders (core-api.md §6).

Folders are sub-documents of the caller's own user document and assignments
live in the caller's ``meetingFolders`` map, so every folder operation is
scoped to the caller by construction. Meetings are only ever touched through
:meth:`Meeting.owner_filter`, so a foreign meeting id in an assignment can
neither be assigned nor trashed/restored (§17.12).

Decisions where the spec is silent:

* Folder ids are epoch-ms strings as in the original; if that id is taken
  (two folders in the same millisecond) the next free number is used. The
  insert is a conditional update (no other folder with that id or name), so
  concurrent creates cannot produce duplicates.
* Folder names are trimmed, at most 100 characters and free of control characters.
* ``assign-meeting`` requires a 24-hex ``meetingId`` of a meeting the caller
  owns (404 ``Meeting not found`` otherwise); removing an assignment
  (``folderId: null``) only needs a well-formed id, so stale entries of
  meetings deleted since can still be cleared.
* Trash/restore count every owned meeting assigned to the folder in
  ``recordsAffected`` (also those already in that state).
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from app.core.errors import BadRequest, NotFound
from app.core.logging import get_logger
from app.models.base import utcnow
from app.models.meeting import Meeting
from app.models.user import Folder, User

log = get_logger(__name__)

MAX_FOLDER_NAME = 100
_CREATE_ATTEMPTS = 20


def folder_json(folder: Folder) -> dict[str, Any]:
    return {
        "_id": folder.oid,
        "id": folder.id,
        "name": folder.name,
        "createdAt": folder.createdAt,
        "trashed": folder.trashed,
    }


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("Folder name is required")
    cleaned = name.strip()
    if len(cleaned) > MAX_FOLDER_NAME:
        raise BadRequest(f"Folder name is too long (at most {MAX_FOLDER_NAME} characters)")
    # Control characters (NUL, escapes, line breaks) have no place in a label and
    # break CSV exports and terminals; other unicode (accents, emoji, RTL) is kept.
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise BadRequest("Folder name contains invalid characters")
    return cleaned


def _name_pattern(name: str) -> dict[str, str]:
    return {"$regex": f"^{re.escape(name)}$", "$options": "i"}


def _find(user: User, folder_id: str) -> Folder:
    for folder in user.folders:
        if folder.id == folder_id:
            return folder
    raise NotFound("Folder not found")


async def _reload(user: User) -> User:
    fresh = await User.get(user.id)  # type: ignore[arg-type]
    if fresh is None:
        raise NotFound("User not found")
    return fresh


def list_folders(user: User) -> list[dict[str, Any]]:
    return [folder_json(f) for f in user.folders]


async def create_folder(user: User, name: object) -> Folder:
    cleaned = _clean_name(name)
    collection = User.get_pymongo_collection()
    candidate = int(time.time() * 1000)
    for _ in range(_CREATE_ATTEMPTS):
        if any(f.name.lower() == cleaned.lower() for f in user.folders):
            raise BadRequest("Folder with this name already exists")
        taken = {f.id for f in user.folders}
        while str(candidate) in taken:
            candidate += 1
        folder = Folder(id=str(candidate), name=cleaned)
        result = await collection.update_one(
            {
                "_id": user.id,
                "folders.id": {"$ne": folder.id},
                "folders.name": {"$not": _name_pattern(cleaned)},
            },
            {
                "$push": {"folders": folder.model_dump(by_alias=True)},
                "$set": {"updatedAt": utcnow()},
            },
        )
        if result.modified_count:
            log.info("folders.created", user_id=str(user.id), folder_id=folder.id)
            return folder
        # Someone else added a folder meanwhile: look again.
        user = await _reload(user)
    raise BadRequest("Could not create the folder, please try again")


async def update_folder(user: User, folder_id: str, name: object, trashed: object) -> Folder:
    cleaned = _clean_name(name)
    folder = _find(user, folder_id)
    if any(f.id != folder_id and f.name.lower() == cleaned.lower() for f in user.folders):
        raise BadRequest("Folder with this name already exists")
    if trashed is not None and not isinstance(trashed, bool):
        raise BadRequest("Invalid trashed value")
    updates: dict[str, Any] = {"folders.$.name": cleaned, "updatedAt": utcnow()}
    if isinstance(trashed, bool):
        updates["folders.$.trashed"] = trashed
    result = await User.get_pymongo_collection().update_one(
        {"_id": user.id, "folders.id": folder_id}, {"$set": updates}
    )
    if not result.matched_count:
        raise NotFound("Folder not found")
    folder.name = cleaned
    if isinstance(trashed, bool):
        folder.trashed = trashed
    return folder


def _assigned_meeting_ids(user: User, folder_id: str) -> list[ObjectId]:
    ids: list[ObjectId] = []
    for meeting_id, assigned in user.meetingFolders.items():
        if assigned == folder_id and ObjectId.is_valid(meeting_id):
            ids.append(ObjectId(meeting_id))
    return ids


async def delete_folder(user: User, folder_id: str) -> None:
    """Remove the folder and every assignment to it; the meetings stay."""
    _find(user, folder_id)
    unset = {
        f"meetingFolders.{meeting_id}": ""
        for meeting_id, assigned in user.meetingFolders.items()
        if assigned == folder_id
    }
    update: dict[str, Any] = {
        "$pull": {"folders": {"id": folder_id}},
        "$set": {"updatedAt": utcnow()},
    }
    if unset:
        update["$unset"] = unset
    result = await User.get_pymongo_collection().update_one(
        {"_id": user.id, "folders.id": folder_id}, update
    )
    if not result.matched_count:
        raise NotFound("Folder not found")
    log.info("folders.deleted", user_id=str(user.id), folder_id=folder_id, unassigned=len(unset))


async def set_folder_trashed(
    user: User, folder_id: str, trashed: bool, now: datetime | None = None
) -> tuple[str, int]:
    """Trash or restore the folder and cascade to the caller's meetings in it.

    Returns ``(folder name, recordsAffected)``.
    """
    now = now or utcnow()
    folder = _find(user, folder_id)
    ids = _assigned_meeting_ids(user, folder_id)
    affected = 0
    if ids:
        meetings = Meeting.get_pymongo_collection()
        result = await meetings.update_many(
            {"$and": [Meeting.owner_filter(user.id), {"_id": {"$in": ids}}]},  # type: ignore[arg-type]
            {
                "$set": {
                    "deleted": trashed,
                    "deletedAt": now if trashed else None,
                    "updatedAt": now,
                }
            },
        )
        affected = result.matched_count
    await User.get_pymongo_collection().update_one(
        {"_id": user.id, "folders.id": folder_id},
        {"$set": {"folders.$.trashed": trashed, "updatedAt": now}},
    )
    log.info(
        "folders.trash_state",
        user_id=str(user.id),
        folder_id=folder_id,
        trashed=trashed,
        meetings=affected,
    )
    return folder.name, affected


def _meeting_object_id(meeting_id: object) -> ObjectId:
    if meeting_id is None or meeting_id == "":
        raise BadRequest("Meeting ID is required")
    if not isinstance(meeting_id, str):
        raise BadRequest("Invalid meeting ID")
    try:
        return ObjectId(meeting_id)
    except (InvalidId, TypeError) as exc:
        raise BadRequest("Invalid meeting ID") from exc


async def assign_meeting(user: User, meeting_id: object, folder_id: object) -> bool:
    """Map a meeting to a folder (or remove its mapping when ``folder_id`` is null).

    Returns True when assigned, False when removed.
    """
    oid = _meeting_object_id(meeting_id)
    key = f"meetingFolders.{oid}"
    collection = User.get_pymongo_collection()
    if folder_id is None or folder_id == "":
        await collection.update_one(
            {"_id": user.id}, {"$unset": {key: ""}, "$set": {"updatedAt": utcnow()}}
        )
        return False
    if isinstance(folder_id, int) and not isinstance(folder_id, bool):
        folder_id = str(folder_id)
    if not isinstance(folder_id, str):
        raise BadRequest("Invalid folder ID")
    _find(user, folder_id)
    owned = await Meeting.owned_by(user.id, {"_id": oid}).count()  # type: ignore[arg-type]
    if not owned:
        raise NotFound("Meeting not found")
    result = await collection.update_one(
        {"_id": user.id, "folders.id": folder_id},
        {"$set": {key: folder_id, "updatedAt": utcnow()}},
    )
    if not result.matched_count:
        raise NotFound("Folder not found")
    return True
