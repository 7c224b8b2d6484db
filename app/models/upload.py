"""The ``uploads`` collection (meetings-uploads.md §2.2): share-code uploads by residents.

Ownership is by e-mail (``upload.email == user.email``); :meth:`Upload.owned_by`
is the one place that predicate is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pymongo
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
        return cls.find({"$and": [{"email": email}, *conditions]})


DOCUMENTS: list[type[TimestampedDocument]] = [Upload]
