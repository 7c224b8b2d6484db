"""Stored chatbot conversations."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from app.models.chat import ChatHistory, ChatMessage
from app.models.user import User

_counter = itertools.count(1)


def make_messages(count: int, *, start_id: int = 1) -> list[ChatMessage]:
    return [
        ChatMessage(
            id=start_id + n,
            type="user" if n % 2 == 0 else "bot",
            text=f"message {start_id + n}",
        )
        for n in range(count)
    ]


async def make_chat(
    user: User,
    *,
    session_id: str | None = None,
    title: str | None = None,
    messages: int = 2,
    updated_at: datetime | None = None,
    **fields: Any,
) -> ChatHistory:
    """Insert a conversation; ``updated_at`` is written afterwards (inserts stamp now)."""
    number = next(_counter)
    chat = ChatHistory(
        userId=user.id,
        sessionId=session_id or f"session-{number}",
        title=title or f"Conversation {number}",
        preview=f"preview {number}",
        messages=make_messages(messages),
        **fields,
    )
    await chat.insert()
    if updated_at is not None:
        await ChatHistory.get_pymongo_collection().update_one(
            {"_id": chat.id}, {"$set": {"updatedAt": updated_at}}
        )
        chat.updatedAt = updated_at
    return chat
