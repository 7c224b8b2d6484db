"""Support-ticket chat over Socket.IO: who may chat in a ticket, persisting
messages, and chat media (signaling.md §4.5).

The ticket is read from the raw ``supporttickets`` collection (fields ``_id``,
``ticketId``, ``userId``, ``deleted``) so this area does not depend on the
ticket model's evolution. Sender identity always comes from the socket's JWT,
never from the payload (the original persisted whatever the client claimed).
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import PyMongoError

from app.core.errors import BadRequest
from app.core.logging import get_logger
from app.services.context import AppContext
from app.services.media import media_key, parse_data_url, store_data_url
from app.services.presence import SocketUser

log = get_logger(__name__)

TICKETS = "supporttickets"
STAFF_ROLES = frozenset({"admin", "superadmin"})
# Media sent inline over the socket is capped well below the original's 50 MiB;
# larger files go through the HTTP upload routes.
MAX_INLINE_MEDIA_BYTES = 5 * 1024 * 1024
_PUBLIC_TICKET_ID = re.compile(r"^TKT-[A-Za-z0-9-]{1,40}$")
_BASE36 = string.digits + string.ascii_lowercase


def ticket_query(ticket_ref: str) -> dict[str, Any] | None:
    """The Mongo filter for a client's ticket reference (24-hex ``_id`` or ``TKT-…``)."""
    if _PUBLIC_TICKET_ID.match(ticket_ref):
        return {"ticketId": ticket_ref}
    try:
        return {"_id": ObjectId(ticket_ref)}
    except (InvalidId, TypeError):
        return None


async def chat_ticket_id(ctx: AppContext, ticket_ref: str, user: SocketUser) -> str | None:
    """The ticket's ``_id`` (hex) when ``user`` may chat in it: its owner, or an
    admin/superadmin. ``None`` for a missing, deleted or foreign ticket."""
    query = ticket_query(ticket_ref)
    if query is None:
        return None
    ticket = await ctx.db.db[TICKETS].find_one(
        {**query, "deleted": {"$ne": True}}, {"_id": 1, "userId": 1}
    )
    if ticket is None:
        return None
    if user.role not in STAFF_ROLES and str(ticket.get("userId")) != user.user_id:
        return None
    return str(ticket["_id"])


def random_base36(length: int = 9) -> str:
    return "".join(secrets.choice(_BASE36) for _ in range(length))


def message_id(prefix: str, now_ms: int, sid: str) -> str:
    """``<epochMs>_<9 base36>_<last 6 of socket id>`` like the original."""
    return f"{prefix}{now_ms}_{random_base36()}_{sid[-6:]}"


async def append_message(
    ctx: AppContext,
    ticket_oid: str,
    *,
    message_id_value: str,
    sender: SocketUser,
    text: str,
    media: dict[str, Any] | None,
    at: datetime,
) -> bool:
    """Persist one chat message; a database error is logged, not raised (the
    message is still delivered live, as in the original)."""
    entry = {
        "_id": ObjectId(),
        "messageId": message_id_value,
        "senderId": ObjectId(sender.user_id),
        "senderEmail": sender.email,
        "senderRole": sender.role,
        "message": text,
        "media": media,
        "timestamp": at,
        "isRead": False,
    }
    try:
        result = await ctx.db.db[TICKETS].update_one(
            {"_id": ObjectId(ticket_oid)},
            {"$push": {"chatMessages": entry}, "$set": {"updatedAt": at}},
        )
    except PyMongoError as exc:
        log.error("ticket_chat.persist_failed", ticket=ticket_oid, error=str(exc))
        return False
    return result.matched_count == 1


async def store_media(
    ctx: AppContext, ticket_oid: str, file_type: str, file_data: str
) -> tuple[str, str, int]:
    """Decode inline chat media into storage; returns (key, url, bytes).

    Raises BadRequest or PayloadTooLarge (bad data, wrong type, over ``MAX_INLINE_MEDIA_BYTES``).
    """
    data_url = parse_data_url(file_data, default_mime=file_type)
    if data_url.mime != file_type:
        raise BadRequest("File data does not match the declared type")
    key = media_key("ticket-chat", ticket_oid, index=0, ext=file_type.split("/", 1)[1])
    stored = await store_data_url(ctx.storage, key, data_url, max_bytes=MAX_INLINE_MEDIA_BYTES)
    return stored.key, stored.url, stored.size
