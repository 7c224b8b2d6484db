"""The ``chathistories`` collection: conversations with the "Karla" chatbot (core-models.md §4).

Every query acting for a user goes through :meth:`ChatHistory.owned_by`, so
another user's conversation is simply never found (404), whatever ``sessionId``
the caller sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

import pymongo
from beanie import PydanticObjectId
from beanie.odm.queries.find import FindMany
from pydantic import BaseModel, ConfigDict, Field
from pymongo import IndexModel

from app.models.base import TimestampedDocument, utcnow

ChatFeedback = Literal["thumbsUp", "thumbsDown"]
ChatRole = Literal["user", "bot"]


class ChatMessage(BaseModel):
    """One chat line. ``id`` is the client's numeric id (the feedback route
    addresses it); ``_id`` is the sub-document id Mongoose gave every item, kept
    under another attribute name so the two never get confused."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    oid: PydanticObjectId = Field(default_factory=PydanticObjectId, alias="_id")
    id: int | float
    type: ChatRole
    text: str
    timestamp: datetime = Field(default_factory=utcnow)
    feedback: ChatFeedback | None = None


class ChatHistory(TimestampedDocument):
    userId: PydanticObjectId
    sessionId: str
    title: str
    preview: str
    messages: list[ChatMessage] = Field(default_factory=list)

    class Settings:
        name = "chathistories"
        indexes: ClassVar[list[Any]] = [
            IndexModel([("userId", pymongo.ASCENDING), ("createdAt", pymongo.DESCENDING)]),
            IndexModel(
                [("userId", pymongo.ASCENDING), ("sessionId", pymongo.ASCENDING)],
                unique=True,
            ),
            # the list route sorts a user's sessions by last activity
            IndexModel([("userId", pymongo.ASCENDING), ("updatedAt", pymongo.DESCENDING)]),
        ]

    @staticmethod
    def owner_filter(user_id: PydanticObjectId, session_id: str | None = None) -> dict[str, Any]:
        """The raw filter for the caller's conversations (optionally one of them)."""
        query: dict[str, Any] = {"userId": user_id}
        if session_id is not None:
            query["sessionId"] = session_id
        return query

    @classmethod
    def owned_by(
        cls, user_id: PydanticObjectId, session_id: str | None = None
    ) -> FindMany[ChatHistory]:
        return cls.find(cls.owner_filter(user_id, session_id))


DOCUMENTS: list[type[TimestampedDocument]] = [ChatHistory]
