"""The ``meetings`` collection (meetings-uploads.md §2.1).

Ownership is ``owner == me OR userId == me OR created_by == me``; every query
that acts for a user goes through :meth:`Meeting.owned_by` so a foreign meeting
is simply never found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pymongo
from beanie import PydanticObjectId
from pydantic import Field
from pymongo import IndexModel

from app.models.base import SubDocument, TimestampedDocument, utcnow


class WorkDetail(SubDocument):
    detail: str | None = None
    target_time: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)


class MediaItem(SubDocument):
    url: str
    cloudinary_id: str  # the storage key; legacy name kept for existing data
    timestamp: datetime = Field(default_factory=utcnow)
    size: int | None = None
    content_type: str | None = None
    uploaded_by: PydanticObjectId | None = None


class Recording(MediaItem):
    duration: float | None = 0


class Screenshot(MediaItem):
    pass


class AccessEntry(SubDocument):
    visitor_name: str
    visitor_email: str
    access_time: datetime = Field(default_factory=utcnow)
    ip_address: str | None = None
    user_agent: str | None = None
    from_storage: bool = False
    creator: bool = False


class Meeting(TimestampedDocument):
    meeting_id: str
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
    work_details: list[WorkDetail] = Field(default_factory=list)
    target_time: str | None = None
    special_notes: Any = Field(default_factory=dict)
    structured_special_notes: Any = Field(default_factory=dict)
    owner: PydanticObjectId | None = None
    userId: PydanticObjectId | None = None
    created_by: PydanticObjectId | None = None
    last_updated_by: PydanticObjectId | None = None
    recordings: list[Recording] = Field(default_factory=list)
    screenshots: list[Screenshot] = Field(default_factory=list)
    access_history: list[AccessEntry] = Field(default_factory=list)
    total_recordings: int = 0
    total_screenshots: int = 0
    total_access_count: int = 0
    archived: bool = False
    archivedAt: datetime | None = None
    archivedBy: PydanticObjectId | None = None
    deleted: bool = False
    deletedAt: datetime | None = None
    trashed: bool = False

    class Settings:
        name = "meetings"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("meeting_id", pymongo.ASCENDING)], unique=True),
            # list/search: owner + trash/archive state, newest first
            IndexModel(
                [
                    ("owner", pymongo.ASCENDING),
                    ("deleted", pymongo.ASCENDING),
                    ("archived", pymongo.ASCENDING),
                    ("createdAt", pymongo.DESCENDING),
                ]
            ),
            IndexModel([("userId", pymongo.ASCENDING), ("createdAt", pymongo.DESCENDING)]),
            IndexModel([("created_by", pymongo.ASCENDING)]),
            # ownership_branches(): the owner branch with a date range, and the
            # legacy branches (userId / created_by set, owner not me) bounded by owner.
            IndexModel([("owner", pymongo.ASCENDING), ("createdAt", pymongo.DESCENDING)]),
            IndexModel([("userId", pymongo.ASCENDING), ("owner", pymongo.ASCENDING)]),
            IndexModel([("created_by", pymongo.ASCENDING), ("owner", pymongo.ASCENDING)]),
            # trash purge
            IndexModel([("deleted", pymongo.ASCENDING), ("deletedAt", pymongo.ASCENDING)]),
        ]

    @staticmethod
    def owner_filter(user_id: PydanticObjectId) -> dict[str, Any]:
        """The ownership predicate of the original, as one Mongo filter."""
        return {"$or": [{"owner": user_id}, {"userId": user_id}, {"created_by": user_id}]}

    @staticmethod
    def ownership_branches(
        user_id: PydanticObjectId, created: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`owner_filter` as separate filters, each one index-bounded.

        The union of the matches is exactly ``owner_filter`` (ANDed with the
        ``createdAt`` condition ``created``, when given); a meeting may match
        more than one branch, so callers dedupe by ``_id``. Why not the ``$or``:
        SecantusDB (the test/bench database) plans a top-level ``$or``/``$and``
        as a collection scan, and its planner serves only "equalities + one
        range" from a compound index; MongoDB serves each of these branches from
        the indexes below as well.

        The owner branch carries the date range (index ``owner, createdAt``).
        The legacy branches (``userId`` / ``created_by`` is me, ``owner`` is not)
        are bounded by ``owner`` — missing/null, or an ObjectId below or above
        mine — so meetings I own are not read a second and third time. ``owner``
        holds an ObjectId or nothing (the model's type; Mongoose cast it too).
        """
        lowest, highest = PydanticObjectId("0" * 24), PydanticObjectId("f" * 24)
        not_mine: list[Any] = [
            None,
            {"$gte": lowest, "$lt": user_id},
            {"$gt": user_id, "$lte": highest},
        ]
        owner_branch: dict[str, Any] = {"owner": user_id}
        if created:
            owner_branch["createdAt"] = created
        branches = [owner_branch]
        for field in ("userId", "created_by"):
            branches.extend({field: user_id, "owner": owner} for owner in not_mine)
        return branches

    @classmethod
    def owned_by(cls, user_id: PydanticObjectId, *conditions: dict[str, Any]) -> Any:
        """A find() restricted to the user's meetings; extra conditions are ANDed."""
        return cls.find({"$and": [cls.owner_filter(user_id), *conditions]})


DOCUMENTS: list[type[TimestampedDocument]] = [Meeting]
