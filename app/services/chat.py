"""Chat history of the "Karla" chatbot, per user (core-api.md §8).

Every look-up is scoped to the caller through :meth:`ChatHistory.owned_by`;
another user's ``sessionId`` answers 404 exactly like a missing one.

Decisions where the spec is silent (also in docs/chat-invites.md):

- A conversation is bounded: at most ``CHAT_MAX_MESSAGES`` messages, and
  message texts, titles and previews of at most ``CHAT_MAX_MESSAGE_CHARS``
  characters. Past a bound the save answers 413 with a readable message and
  nothing is written (the original accepted anything up to the body limit).
- Empty strings count as missing, as with the original's JavaScript checks.
- A message id in the feedback route that is not an integer matches no
  message (404 "Message not found"), as the original's ``parseInt`` did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pydantic import BaseModel, ConfigDict, Field
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.config import Settings
from app.core.errors import BadRequest, NotFound, PayloadTooLarge
from app.core.logging import get_logger
from app.models.base import dump, utcnow
from app.models.chat import ChatFeedback, ChatHistory, ChatMessage, ChatRole

log = get_logger(__name__)

LIST_LIMIT = 50
SESSION_ID_MAX_CHARS = 200
FEEDBACK_VALUES: frozenset[str] = frozenset({"thumbsUp", "thumbsDown"})


class ChatMessageIn(BaseModel):
    """A message as the chatbot UI sends it. ``_id`` is kept when the UI echoes
    back messages it loaded, so sub-document ids stay stable across saves."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", allow_inf_nan=False)

    oid: PydanticObjectId | None = Field(default=None, alias="_id")
    id: int | float
    type: ChatRole
    text: str
    timestamp: datetime | None = None
    feedback: ChatFeedback | None = None

    def to_message(self) -> ChatMessage:
        values: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "text": self.text,
            "feedback": self.feedback,
        }
        if self.oid is not None:
            values["oid"] = self.oid
        if self.timestamp is not None:
            values["timestamp"] = self.timestamp
        return ChatMessage(**values)


@dataclass(frozen=True)
class SessionSummary:
    id: PydanticObjectId
    sessionId: str
    title: str
    preview: str
    timestamp: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sessionId": self.sessionId,
            "title": self.title,
            "preview": self.preview,
            "timestamp": self.timestamp,
        }


def full_document(chat: ChatHistory) -> dict[str, Any]:
    """The stored conversation as the original returned it after a write."""
    return {
        "_id": chat.id,
        "userId": chat.userId,
        "sessionId": chat.sessionId,
        "title": chat.title,
        "preview": chat.preview,
        "messages": [dump(message) for message in chat.messages],
        "createdAt": chat.createdAt,
        "updatedAt": chat.updatedAt,
    }


def session_view(chat: ChatHistory) -> dict[str, Any]:
    """What ``GET /chat/sessions/:sessionId`` selects."""
    return {
        "sessionId": chat.sessionId,
        "title": chat.title,
        "preview": chat.preview,
        "messages": [dump(message) for message in chat.messages],
        "createdAt": chat.createdAt,
        "updatedAt": chat.updatedAt,
    }


async def list_sessions(user_id: PydanticObjectId) -> list[SessionSummary]:
    """The caller's 50 most recently active conversations, newest first."""
    chats = (
        await ChatHistory.owned_by(user_id)
        .sort(-ChatHistory.updatedAt)  # type: ignore[operator]
        .limit(LIST_LIMIT)
        .to_list()
    )
    return [
        SessionSummary(
            id=chat.id,  # type: ignore[arg-type]
            sessionId=chat.sessionId,
            title=chat.title,
            preview=chat.preview,
            timestamp=chat.updatedAt,
        )
        for chat in chats
    ]


async def get_session(user_id: PydanticObjectId, session_id: str) -> ChatHistory:
    chat = await ChatHistory.owned_by(user_id, session_id).first_or_none()
    if chat is None:
        raise NotFound("Chat session not found")
    return chat


def _check_bounds(
    settings: Settings, title: str | None, preview: str, messages: list[ChatMessageIn]
) -> None:
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(messages) > settings.CHAT_MAX_MESSAGES:
        raise PayloadTooLarge(
            f"A chat session can hold at most {settings.CHAT_MAX_MESSAGES} messages"
        )
    if any(len(message.text) > limit for message in messages):
        raise PayloadTooLarge(f"A chat message can be at most {limit} characters long")
    if title is not None and len(title) > limit:
        raise PayloadTooLarge(f"A chat title can be at most {limit} characters long")
    if len(preview) > limit:
        raise PayloadTooLarge(f"A chat preview can be at most {limit} characters long")


async def save_session(
    settings: Settings,
    user_id: PydanticObjectId,
    *,
    session_id: str | None,
    title: str | None,
    preview: str | None,
    messages: list[ChatMessageIn] | None,
) -> ChatHistory:
    """Create the conversation, or replace its preview and messages (and its
    title when a different one is given). Validation happens before any write."""
    if not session_id or not preview or messages is None:
        raise BadRequest("Missing required fields")
    if len(session_id) > SESSION_ID_MAX_CHARS:
        raise BadRequest("Invalid sessionId")
    _check_bounds(settings, title, preview, messages)
    stored = [message.to_message() for message in messages]

    updated = await _update_existing(user_id, session_id, title, preview, stored)
    if updated is not None:
        return updated
    if not title:
        raise BadRequest("Title is required for new chat sessions")
    chat = ChatHistory(
        userId=user_id, sessionId=session_id, title=title, preview=preview, messages=stored
    )
    try:
        await chat.insert()
    except DuplicateKeyError:
        # Two saves of a new conversation raced; the other one created it.
        updated = await _update_existing(user_id, session_id, title, preview, stored)
        if updated is None:
            raise
        return updated
    log.info("chat.session_created", user_id=str(user_id), session_id=session_id)
    return chat


async def _update_existing(
    user_id: PydanticObjectId,
    session_id: str,
    title: str | None,
    preview: str,
    messages: list[ChatMessage],
) -> ChatHistory | None:
    changes: dict[str, Any] = {
        "preview": preview,
        "messages": [dump(message) for message in messages],
        "updatedAt": utcnow(),
    }
    if title:
        # Only a different title changes anything; setting the same value is a no-op.
        changes["title"] = title
    raw = await ChatHistory.get_pymongo_collection().find_one_and_update(
        ChatHistory.owner_filter(user_id, session_id),
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        return None
    chat: ChatHistory = ChatHistory.model_validate(raw)
    return chat


async def delete_session(user_id: PydanticObjectId, session_id: str) -> None:
    result = await ChatHistory.get_pymongo_collection().delete_one(
        ChatHistory.owner_filter(user_id, session_id)
    )
    if result.deleted_count == 0:
        raise NotFound("Chat session not found")
    log.info("chat.session_deleted", user_id=str(user_id), session_id=session_id)


async def update_title(
    settings: Settings, user_id: PydanticObjectId, session_id: str, title: str | None
) -> ChatHistory:
    if not session_id or not title:
        raise BadRequest("Session ID and title are required")
    if len(title) > settings.CHAT_MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(
            f"A chat title can be at most {settings.CHAT_MAX_MESSAGE_CHARS} characters long"
        )
    raw = await ChatHistory.get_pymongo_collection().find_one_and_update(
        ChatHistory.owner_filter(user_id, session_id),
        {"$set": {"title": title, "updatedAt": utcnow()}},
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        raise NotFound("Chat session not found")
    chat: ChatHistory = ChatHistory.model_validate(raw)
    return chat


def _message_number(message_id: str) -> int | None:
    try:
        return int(message_id.strip())
    except ValueError:
        return None


async def set_message_feedback(
    user_id: PydanticObjectId, session_id: str, message_id: str, feedback: object
) -> ChatMessage:
    """Set ``thumbsUp``/``thumbsDown`` on the first message whose numeric id matches."""
    if not isinstance(feedback, str) or feedback not in FEEDBACK_VALUES:
        raise BadRequest("Invalid feedback value")
    chat = await get_session(user_id, session_id)
    number = _message_number(message_id)
    index = next(
        (
            i
            for i, message in enumerate(chat.messages)
            if number is not None and message.id == number
        ),
        None,
    )
    if index is None:
        raise NotFound("Message not found")
    # Address the message by position *and* id: if a concurrent save replaced the
    # array in between, the update matches nothing instead of hitting another message.
    result = await ChatHistory.get_pymongo_collection().update_one(
        {**ChatHistory.owner_filter(user_id, session_id), f"messages.{index}.id": number},
        {"$set": {f"messages.{index}.feedback": feedback, "updatedAt": utcnow()}},
    )
    if result.matched_count == 0:
        raise NotFound("Message not found")
    message = chat.messages[index]
    message.feedback = feedback  # type: ignore[assignment]
    return message


async def delete_all_for_user(user_id: PydanticObjectId) -> int:
    """Remove every conversation of a user (for the account purge)."""
    result = await ChatHistory.get_pymongo_collection().delete_many({"userId": user_id})
    return int(result.deleted_count)
