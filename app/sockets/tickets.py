"""Support-ticket chat over Socket.IO (signaling.md §4.5).

Differences from the original, all deliberate (see docs/signaling.md):
only signed-in users join, and only tickets they own (admins/superadmins: any);
sender identity is the JWT's; ``leave-ticket-chat`` really leaves the room;
disconnect cleans up; inline media is decoded into storage (≤ 5 MiB) and the
message carries its URL (in ``media.data`` too, so the client's ``<img src>``
keeps working) instead of relaying base64 to every member.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import AppError
from app.core.logging import get_logger
from app.models.base import utcnow
from app.services import ticket_chat
from app.services.notifier import ticket_room
from app.services.presence import iso_ms
from app.sockets import payloads
from app.sockets.runtime import Realtime, SocketState

log = get_logger(__name__)

DECLARED_MAX_BYTES = 50 * 1024 * 1024
ACKNOWLEDGE_ABOVE_BYTES = 25 * 1024 * 1024
MAX_MEDIA_REFERENCE_BYTES = 8 * 1024


def register(rt: Realtime) -> None:
    async def chat_error(sid: str, message: str) -> None:
        await rt.to_self(sid, "chat-error", {"message": message})

    def joined(state: SocketState, ticket_ref: str) -> str | None:
        return state.tickets.get(ticket_ref)

    @rt.on("join-ticket-chat")
    async def join_ticket_chat(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(payloads.JoinTicket, data, max_bytes=4096)
        if parsed is None:
            await chat_error(sid, "Failed to join ticket chat")
            return
        ticket_oid = (
            await ticket_chat.chat_ticket_id(rt.ctx, parsed.ticketId, state.user)
            if state.user is not None
            else None
        )
        if state.user is None or ticket_oid is None:
            log.warning("ticket_chat.join_refused", sid=sid)
            await chat_error(sid, "Not authorized to join this ticket chat")
            return
        now = rt.now()
        await rt.enter(sid, state, ticket_room(ticket_oid))
        state.tickets[parsed.ticketId] = ticket_oid
        await rt.presence.join_ticket(ticket_oid, sid, state.user, now)
        await rt.to_room(
            "user-joined-ticket",
            ticket_room(ticket_oid),
            {
                "userId": state.user.user_id,
                "userEmail": state.user.email,
                "userRole": state.user.role,
                "ticketId": parsed.ticketId,
                "timestamp": iso_ms(now),
            },
            skip_sid=sid,
        )
        title = (parsed.ticketInfo or {}).get("title")
        label = title[:200] if isinstance(title, str) and title else parsed.ticketId
        await rt.to_self(
            sid,
            "ticket-chat-joined",
            {
                "ticketId": parsed.ticketId,
                "message": f"Joined ticket chat for: {label}",
                "timestamp": iso_ms(now),
            },
        )

    @rt.on("send-ticket-message")
    async def send_ticket_message(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(
            payloads.TicketMessage, data, max_bytes=4 * payloads.MAX_CHAT_MESSAGE_CHARS + 16384
        )
        ticket_oid = joined(state, parsed.ticketId) if parsed else None
        if parsed is None or ticket_oid is None or state.user is None:
            await chat_error(sid, "Not authorized to send message in this ticket")
            return
        media = parsed.media
        if (
            media is not None
            and payloads.opaque(media, max_bytes=MAX_MEDIA_REFERENCE_BYTES) is None
        ):
            await chat_error(sid, "Failed to send message")
            return
        if not parsed.message.strip() and media is None:
            await chat_error(sid, "Failed to send message")
            return
        at = utcnow()
        now_ms = int(at.timestamp() * 1000)
        message_id = ticket_chat.message_id("", now_ms, sid)
        await ticket_chat.append_message(
            rt.ctx,
            ticket_oid,
            message_id_value=message_id,
            sender=state.user,
            text=parsed.message,
            media=media,
            at=at,
        )
        await rt.to_room(
            "new-ticket-message",
            ticket_room(ticket_oid),
            {
                "id": message_id,
                "ticketId": parsed.ticketId,
                "message": parsed.message,
                "senderId": state.user.user_id,
                "senderEmail": state.user.email,
                "senderRole": state.user.role,
                "timestamp": iso_ms(now_ms / 1000),
                "socketId": sid,
                "media": media,
            },
        )
        await rt.presence.touch_ticket(ticket_oid, sid, rt.now())

    @rt.on("upload-media")
    async def upload_media(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(payloads.MediaUpload, data, max_bytes=12 * 1024 * 1024)
        ticket_oid = joined(state, parsed.ticketId) if parsed else None
        if parsed is None or ticket_oid is None or state.user is None:
            await chat_error(sid, "Not authorized to upload media in this ticket")
            return
        declared = parsed.fileSize or 0
        if declared > DECLARED_MAX_BYTES:
            await chat_error(sid, "File size must be less than 50MB")
            return
        file_type = (parsed.fileType or "").lower()
        if not file_type.startswith(("image/", "video/")):
            await chat_error(sid, "Only image and video files are allowed")
            return
        if not parsed.fileData:
            await chat_error(sid, "No file data provided")
            return
        if declared > ACKNOWLEDGE_ABOVE_BYTES:
            await rt.to_self(
                sid,
                "media-upload-acknowledged",
                {"fileName": parsed.fileName, "fileSize": declared, "status": "processing"},
            )
        try:
            key, url, size = await ticket_chat.store_media(
                rt.ctx, ticket_oid, file_type, parsed.fileData
            )
        except AppError as exc:
            await chat_error(sid, exc.message or "Failed to upload media")
            return
        except Exception as exc:
            log.error("ticket_chat.media_failed", sid=sid, error=str(exc))
            await chat_error(sid, "Failed to upload media")
            return
        at = utcnow()
        now_ms = int(at.timestamp() * 1000)
        message_id = ticket_chat.message_id("media_", now_ms, sid)
        upload_id = f"upload_{now_ms}_{ticket_chat.random_base36()}"
        kind = "image" if file_type.startswith("image/") else "video"
        name = parsed.fileName or "file"
        stored_media = {
            "type": kind,
            "name": name,
            "size": size,
            "mimeType": file_type,
            "localStorageKey": key,
            "url": url,
        }
        await ticket_chat.append_message(
            rt.ctx,
            ticket_oid,
            message_id_value=message_id,
            sender=state.user,
            text="",
            media=stored_media,
            at=at,
        )
        await rt.to_room(
            "new-ticket-message",
            ticket_room(ticket_oid),
            {
                "id": message_id,
                "ticketId": parsed.ticketId,
                "message": "",
                "senderId": state.user.user_id,
                "senderEmail": state.user.email,
                "senderRole": state.user.role,
                "timestamp": iso_ms(now_ms / 1000),
                "socketId": sid,
                "media": {
                    "type": kind,
                    "name": name,
                    "size": size,
                    "mimeType": file_type,
                    "data": url,
                    "url": url,
                    "uploadId": upload_id,
                },
            },
        )
        await rt.to_self(
            sid,
            "media-upload-success",
            {
                "messageId": message_id,
                "uploadId": upload_id,
                "fileName": name,
                "fileType": file_type,
                "fileSize": size,
            },
        )

    @rt.on("leave-ticket-chat")
    async def leave_ticket_chat(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(payloads.TicketRef, data, max_bytes=4096)
        ticket_oid = joined(state, parsed.ticketId) if parsed else None
        if parsed is None or ticket_oid is None or state.user is None:
            return
        del state.tickets[parsed.ticketId]
        if ticket_oid in state.tickets.values():
            return  # still joined under another reference of the same ticket
        await rt.presence.leave_ticket(ticket_oid, sid)
        await rt.leave(sid, state, ticket_room(ticket_oid))
        await rt.to_room(
            "user-left-ticket",
            ticket_room(ticket_oid),
            {
                "ticketId": parsed.ticketId,
                "userId": state.user.user_id,
                "userEmail": state.user.email,
                "userRole": state.user.role,
                "timestamp": iso_ms(rt.now()),
            },
        )

    @rt.on("chat-activity")
    async def chat_activity(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(payloads.TicketRef, data, max_bytes=4096)
        ticket_oid = joined(state, parsed.ticketId) if parsed else None
        if ticket_oid is not None:
            await rt.presence.touch_ticket(ticket_oid, sid, rt.now())

    @rt.on("get-ticket-info")
    async def get_ticket_info(sid: str, data: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        parsed = payloads.parse(payloads.TicketRef, data, max_bytes=4096)
        if parsed is None or state.user is None or state.user.role not in ticket_chat.STAFF_ROLES:
            return
        ticket_oid = joined(state, parsed.ticketId) or await ticket_chat.chat_ticket_id(
            rt.ctx, parsed.ticketId, state.user
        )
        if ticket_oid is None:
            return
        now = rt.now()
        users = await rt.presence.ticket_users(ticket_oid, now)
        await rt.to_self(
            sid,
            "ticket-info",
            {
                "ticketId": parsed.ticketId,
                "users": users,
                "totalUsers": len(users),
                "timestamp": iso_ms(now),
            },
        )
