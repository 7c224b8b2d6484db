"""Documents of the public forms (core-models.md §5-§7) and general site feedback.

Collections keep the original's names (``feedbacks``, ``callbackrequests``,
``demomeetings``) so leads captured by the Express backend stay readable.
``generalfeedbacks`` is new: the original had no store for ``/send-feedback``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

import pymongo
from beanie import PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import IndexModel

from app.models.base import TimestampedDocument

FeedbackType = Literal["thumbsUp", "thumbsDown"]
CallbackDay = Literal["today", "tomorrow", "custom"]
CallbackStatus = Literal["pending", "contacted", "completed", "cancelled"]
DemoStatus = Literal["pending", "confirmed", "rescheduled", "cancelled", "completed"]
LeadPriority = Literal["low", "medium", "high"]

CALLBACK_STATUSES: tuple[str, ...] = ("pending", "contacted", "completed", "cancelled")
DEMO_STATUSES: tuple[str, ...] = ("pending", "confirmed", "rescheduled", "cancelled", "completed")
LEAD_PRIORITIES: tuple[str, ...] = ("low", "medium", "high")


class Feedback(TimestampedDocument):
    """Thumbs up/down on one image of an analyser result."""

    userEmail: str
    imageIndex: int
    analysisId: str
    feedbackType: FeedbackType
    imageData: str
    analysisResponse: dict[str, Any] | None = None

    class Settings:
        name = "feedbacks"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("userEmail", pymongo.ASCENDING)]),
            IndexModel([("analysisId", pymongo.ASCENDING)]),
            IndexModel(
                [
                    ("userEmail", pymongo.ASCENDING),
                    ("imageIndex", pymongo.ASCENDING),
                    ("analysisId", pymongo.ASCENDING),
                ],
                unique=True,
            ),
        ]


class PreferredTime(BaseModel):
    model_config = ConfigDict(extra="allow")

    hour: str = "09"
    minute: str = "00"


class CallbackRequest(TimestampedDocument):
    name: str
    email: str
    phone: str
    preferredDay: CallbackDay = "today"
    customDate: datetime | None = None
    preferredTime: PreferredTime = Field(default_factory=PreferredTime)
    message: str = ""
    status: CallbackStatus = "pending"
    priority: LeadPriority = "medium"
    assignedTo: PydanticObjectId | None = None
    notes: str = ""
    contactAttempts: int = 0
    lastContactAttempt: datetime | None = None
    source: str = "footer-form"
    userAgent: str = ""
    ipAddress: str = ""

    class Settings:
        name = "callbackrequests"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("status", pymongo.ASCENDING), ("createdAt", pymongo.DESCENDING)]),
            IndexModel([("email", pymongo.ASCENDING)]),
            IndexModel([("assignedTo", pymongo.ASCENDING)]),
        ]


class RequestedTime(BaseModel):
    model_config = ConfigDict(extra="allow")

    hour: str = "08"
    minute: str = "00"


class DemoMeeting(TimestampedDocument):
    name: str
    email: str
    requestedDate: datetime
    requestedTime: RequestedTime = Field(default_factory=RequestedTime)
    message: str = ""
    status: DemoStatus = "pending"
    priority: LeadPriority = "medium"
    assignedTo: PydanticObjectId | None = None
    meetingLink: str = ""
    meetingNotes: str = ""
    followUpRequired: bool = False
    followUpDate: datetime | None = None
    source: str = "footer-form"
    userAgent: str = ""
    ipAddress: str = ""
    company: str = ""
    phone: str = ""

    class Settings:
        name = "demomeetings"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("status", pymongo.ASCENDING), ("requestedDate", pymongo.ASCENDING)]),
            IndexModel([("email", pymongo.ASCENDING)]),
            IndexModel([("assignedTo", pymongo.ASCENDING)]),
            IndexModel([("createdAt", pymongo.DESCENDING)]),
        ]


class GeneralFeedback(TimestampedDocument):
    """Free-text site feedback from a signed-in user (``POST /send-feedback``)."""

    userId: PydanticObjectId
    email: str
    feedback: str
    userAgent: str = ""
    ipAddress: str = ""

    class Settings:
        name = "generalfeedbacks"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("userId", pymongo.ASCENDING), ("createdAt", pymongo.DESCENDING)]),
        ]


DOCUMENTS: list[type[TimestampedDocument]] = [
    Feedback,
    CallbackRequest,
    DemoMeeting,
    GeneralFeedback,
]
