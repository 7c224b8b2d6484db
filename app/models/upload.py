"""The ``uploads`` collection (meetings-uploads.md §2.2) and the staged-upload
sessions behind ``/upload/session`` (§4.2).

Ownership is by e-mail (``upload.email == user.email``); :meth:`Upload.owned_by`
is the one place that predicate is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pymongo
from beanie import PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import IndexModel

from app.models.base import TimestampedDocument, utcnow


class UploadMedia(BaseModel):
    # No `_id` on these items in the original; `s3_key` and `size` are port
    # additions so permanent delete and the purge can remove the objects.
    model_config = ConfigDict(extra="allow")

    url: str
    name: str | None = None
    label: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)
    s3_key: str | None = None
    size: int | None = None
    content_type: str | None = None


class UploadImage(UploadMedia):
    pass


class UploadVideo(UploadMedia):
    duration: float | None = None


class UploadAccess(BaseModel):
    model_config = ConfigDict(extra="allow")

    visitor_email: str | None = None
    access_time: datetime = Field(default_factory=utcnow)
    creator: bool = False


def normalise_email(email: str | None) -> str | None:
    """Upload e-mails are stored trimmed and lower-cased (new data only)."""
    if email is None:
        return None
    cleaned = email.strip().lower()
    return cleaned or None


def email_filter(email: str) -> dict[str, Any]:
    """Match an account's uploads: rows written by the port hold the lower-cased
    address, rows of the original hold whatever the resident typed (matched
    exactly, as the original did)."""
    variants = list(dict.fromkeys([email, email.strip().lower()]))
    return {"email": {"$in": variants}}


class Upload(TimestampedDocument):
    first_name: str | None = None
    last_name: str | None = None
    house_name_number: str | None = None
    flat_apartment_room: str | None = None
    street_road: str | None = None
    city: str | None = None
    country: str | None = None
    postCode: str | None = None
    actualPostCode: str | None = None
    phoneNumber: str | None = None
    email: str | None = None
    images: list[UploadImage] = Field(default_factory=list)
    videos: list[UploadVideo] = Field(default_factory=list)
    accessCode: str
    deleted: bool = False
    deletedAt: datetime | None = None
    notificationSent: bool = False
    firstAccessedAt: datetime | None = None
    access_history: list[UploadAccess] = Field(default_factory=list)
    total_access_count: int = 0

    class Settings:
        name = "uploads"
        indexes: ClassVar[list[Any]] = [
            # Over all uploads, trashed ones included: a code stays reserved
            # until its upload is permanently deleted (the original's index).
            IndexModel([("accessCode", pymongo.ASCENDING)], unique=True),
            IndexModel(
                [
                    ("email", pymongo.ASCENDING),
                    ("deleted", pymongo.ASCENDING),
                    ("createdAt", pymongo.DESCENDING),
                ]
            ),
            IndexModel([("deleted", pymongo.ASCENDING), ("deletedAt", pymongo.ASCENDING)]),
        ]

    @classmethod
    def owned_by(cls, email: str, *conditions: dict[str, Any]) -> Any:
        return cls.find({"$and": [email_filter(email), *conditions]})

    @classmethod
    async def update_owned(
        cls, email: str, upload_id: PydanticObjectId, update: dict[str, Any]
    ) -> Upload | None:
        """Apply ``update`` to the caller's upload atomically; ``None`` when it is
        missing or someone else's (the caller answers 404 either way)."""
        doc = await cls.get_pymongo_collection().find_one_and_update(
            {"$and": [email_filter(email), {"_id": upload_id}]},
            update,
            return_document=pymongo.ReturnDocument.AFTER,
        )
        return None if doc is None else cls.model_validate(doc)

    @classmethod
    async def delete_owned(cls, email: str, upload_id: PydanticObjectId) -> Upload | None:
        doc = await cls.get_pymongo_collection().find_one_and_delete(
            {"$and": [email_filter(email), {"_id": upload_id}]}
        )
        return None if doc is None else cls.model_validate(doc)

    def is_owned_by(self, email: str | None) -> bool:
        if not email or not self.email:
            return False
        return self.email.strip().lower() == email.strip().lower()

    def media_keys(self) -> list[str]:
        """Storage keys of every image and video (``s3_key``; legacy rows: ``None``
        here, the caller recovers keys from the URLs)."""
        return [item.s3_key for item in [*self.images, *self.videos] if item.s3_key]


class StagedFile(UploadMedia):
    """A file received by ``/upload/file``; ``fileIndex`` lets a retried send
    replace its first attempt instead of adding a second copy."""

    fileIndex: int | None = None
    duration: float | None = None


SESSION_ACTIVE = "active"
SESSION_COMPLETED = "completed"


class UploadSession(TimestampedDocument):
    """A staged upload (U1–U4), shared by every worker through MongoDB.

    ``expiresAt`` is the logical end of the session: after it the routes answer
    404 and the purge job deletes the session's objects. The TTL index sits on
    ``purgeAt`` (later), so the monitor never removes a session before the
    sweeper had a chance to delete its objects.

    ``pendingKeys`` holds the keys of objects being written right now: a crash
    between the write and the bookkeeping still leaves the key on the session,
    so the sweeper can remove the object. ``uploadId`` is claimed by the first
    ``complete``; every retry inserts (or finds) the Upload with that ``_id``.
    """

    id: str = Field(alias="_id")  # type: ignore[assignment]
    accessCode: str
    email: str | None = None
    userData: dict[str, Any] = Field(default_factory=dict)
    totalImages: int = 0
    totalVideos: int = 0
    uploadedImages: list[StagedFile] = Field(default_factory=list)
    uploadedVideos: list[StagedFile] = Field(default_factory=list)
    pendingKeys: list[str] = Field(default_factory=list)
    status: str = SESSION_ACTIVE
    uploadId: PydanticObjectId | None = None
    alreadyUploaded: bool | None = None
    expiresAt: datetime
    purgeAt: datetime

    class Settings:
        name = "uploadsessions"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("purgeAt", pymongo.ASCENDING)], expireAfterSeconds=0),
            IndexModel([("accessCode", pymongo.ASCENDING), ("status", pymongo.ASCENDING)]),
            IndexModel([("status", pymongo.ASCENDING), ("expiresAt", pymongo.ASCENDING)]),
        ]

    def all_keys(self) -> list[str]:
        staged = [item.s3_key for item in [*self.uploadedImages, *self.uploadedVideos]]
        return [key for key in [*staged, *self.pendingKeys] if key]


DOCUMENTS: list[type[TimestampedDocument]] = [Upload, UploadSession]
