"""The ``supporttickets`` collection (core-models.md §8).

Owner queries go through :meth:`SupportTicket.owned_by` (creator and not
deleted), staff queries through :meth:`SupportTicket.visible_to_staff`, so a
ticket outside the caller's reach is never found and answers 404.
"""

from __future__ import annotations

import secrets
import string
import time
from datetime import datetime
from typing import Any, ClassVar, Literal

import pymongo
from beanie import PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import IndexModel

from app.models.base import SubDocument, TimestampedDocument, utcnow

TICKET_CATEGORIES: tuple[str, ...] = (
    "Accessibility (eg. font size, button size, colour or contrast issues)",
    "'Actions' button issue",
    "Amending Message issue",
    "Dashboard issue",
    "Delete/Archive issue",
    "Export issue",
    "History issue",
    "Log in/Log out issue",
    "Payment/account queries",
    "Password/Security issue",
    "Saving videos or screenshots query",
    "Sending shared links to third parties",
    "Sending a text/email link to customers",
    "Uploading logo or profile image issue",
    "Video viewing page issue",
    "Any Other issue not listed above",
)
TICKET_PRIORITIES: tuple[str, ...] = ("Low", "Medium", "High", "Critical")
TICKET_STATUSES: tuple[str, ...] = ("Open", "In Progress", "Resolved", "Closed")
TICKET_SOURCES: tuple[str, ...] = ("Web", "Mobile", "Email", "Phone", "Chat")

TicketPriority = Literal["Low", "Medium", "High", "Critical"]
TicketStatus = Literal["Open", "In Progress", "Resolved", "Closed"]
TicketSource = Literal["Web", "Mobile", "Email", "Phone", "Chat"]

_BASE36 = string.digits + string.ascii_uppercase


def new_ticket_id(now_ms: int | None = None) -> str:
    """``TKT-<epoch ms>-<5 base-36 chars>``, upper-case (the original's format)."""
    stamp = now_ms if now_ms is not None else int(time.time() * 1000)
    suffix = "".join(secrets.choice(_BASE36) for _ in range(5))
    return f"TKT-{stamp}-{suffix}"


class Attachment(SubDocument):
    filename: str  # the storage key
    originalName: str
    filePath: str  # the URL handed to browsers
    fileSize: int
    mimeType: str
    uploadedAt: datetime = Field(default_factory=utcnow)


class ChatMedia(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["image", "video"] | None = None
    name: str | None = None
    size: int | None = None
    mimeType: str | None = None
    localStorageKey: str | None = None


class TicketChatMessage(SubDocument):
    """Written by the support-ticket chat routes (another area); kept readable here."""

    messageId: str
    senderId: PydanticObjectId
    senderEmail: str
    senderRole: str
    message: str = ""
    media: ChatMedia | None = None
    timestamp: datetime = Field(default_factory=utcnow)
    isRead: bool = False
    readAt: datetime | None = None


class SupportTicket(TimestampedDocument):
    ticketId: str = Field(default_factory=new_ticket_id)
    userId: PydanticObjectId
    companyId: PydanticObjectId | None = None
    category: str
    priority: TicketPriority = "Medium"
    status: TicketStatus = "Open"
    subject: str = Field(max_length=200)
    description: str
    attachments: list[Attachment] = Field(default_factory=list)
    chatMessages: list[TicketChatMessage] = Field(default_factory=list)
    assignedTo: PydanticObjectId | None = None
    assignedAt: datetime | None = None
    resolvedAt: datetime | None = None
    closedAt: datetime | None = None
    resolution: str | None = None
    internalNotes: str | None = None
    tags: list[str] = Field(default_factory=list)
    source: TicketSource = "Web"
    userAgent: str | None = None
    ipAddress: str | None = None
    estimatedResolutionTime: datetime | None = None
    escalationLevel: int = Field(default=1, ge=1, le=5)
    lastUpdatedBy: PydanticObjectId | None = None
    deleted: bool = False
    deletedAt: datetime | None = None
    deletedBy: PydanticObjectId | None = None

    class Settings:
        name = "supporttickets"
        # No index on chatMessages.messageId: a collection-wide unique index
        # collides on tickets without messages; uniqueness is kept in code.
        indexes: ClassVar[list[Any]] = [
            IndexModel([("ticketId", pymongo.ASCENDING)], unique=True),
            IndexModel([("userId", pymongo.ASCENDING), ("status", pymongo.ASCENDING)]),
            IndexModel([("companyId", pymongo.ASCENDING), ("status", pymongo.ASCENDING)]),
            IndexModel([("status", pymongo.ASCENDING), ("priority", pymongo.ASCENDING)]),
            IndexModel([("assignedTo", pymongo.ASCENDING), ("status", pymongo.ASCENDING)]),
            IndexModel([("createdAt", pymongo.DESCENDING)]),
        ]

    @staticmethod
    def owner_filter(user_id: PydanticObjectId) -> dict[str, Any]:
        return {"userId": user_id, "deleted": False}

    @classmethod
    def owned_by(cls, user_id: PydanticObjectId, *conditions: dict[str, Any]) -> Any:
        """A find() restricted to the caller's own, non-deleted tickets."""
        return cls.find({"$and": [cls.owner_filter(user_id), *conditions]})

    @staticmethod
    def staff_filter(company_id: PydanticObjectId | None, *, scoped: bool) -> dict[str, Any]:
        """Non-deleted tickets; a company-scoped caller sees only its company's
        (and nothing at all without a company: ``companyId: null`` would match
        every ticket of company-less users)."""
        if scoped:
            if company_id is None:
                return {"deleted": False, "companyId": {"$in": []}}
            return {"deleted": False, "companyId": company_id}
        return {"deleted": False}

    @classmethod
    def visible_to_staff(
        cls, company_id: PydanticObjectId | None, *conditions: dict[str, Any], scoped: bool
    ) -> Any:
        return cls.find({"$and": [cls.staff_filter(company_id, scoped=scoped), *conditions]})


DOCUMENTS: list[type[TimestampedDocument]] = [SupportTicket]
