"""The one way HTTP-side code pushes real-time events.

Services depend on this small interface, never on Socket.IO. At start-up the
socket layer installs an implementation that emits through its client manager
(in-memory, or Redis so every worker and host receives it). Event and room
names are the frontend's contract (signaling.md) and are written only here.
"""

from __future__ import annotations

from typing import Any, Protocol

from app.core.jsonenc import json_safe
from app.core.logging import get_logger

log = get_logger(__name__)


class Emitter(Protocol):
    async def emit(self, event: str, data: Any, room: str) -> None: ...


class Notifier:
    def __init__(self, emitter: Emitter | None = None) -> None:
        self._emitter = emitter

    def attach(self, emitter: Emitter) -> None:
        self._emitter = emitter

    async def emit(self, event: str, data: Any, room: str) -> None:
        """Best effort: a push that fails is logged, never fails the HTTP request."""
        if self._emitter is None:
            log.debug("notifier.no_emitter", notify_event=event, room=room)
            return
        try:
            await self._emitter.emit(event, json_safe(data), room)
        except Exception as exc:
            log.warning("notifier.emit_failed", notify_event=event, room=room, error=str(exc))

    # ---- the events HTTP actions cause -------------------------------------------------

    async def new_notification(self, email: str, payload: dict[str, Any]) -> None:
        await self.emit("new-notification", payload, notification_room(email))

    async def meeting_data_available(self, meeting_id: str, payload: dict[str, Any]) -> None:
        """Meeting data saved over HTTP: the call room hears ``meeting-data-available``
        and a landlord still waiting on the link hears the spec's ``meeting-data-updated``."""
        await self.emit("meeting-data-available", payload, meeting_id)
        await self.emit("meeting-data-updated", payload, admin_room(meeting_id))

    async def message_settings_updated(self, user_id: str, payload: dict[str, Any]) -> None:
        await self.emit("message-settings-updated", payload, user_room(user_id))


def notification_room(email: str) -> str:
    """``notifications-<email>``; e-mails are case-normalised on both sides, so an
    upload stored as ``Bob@X`` reaches the dashboard of ``bob@x``."""
    return f"notifications-{email.strip().lower()}"


def admin_room(token: str) -> str:
    """Where the landlord waiting for the resident to open the call link listens."""
    return f"admin-{token}"


SUPERADMIN_ROOM = "superadmin-room"


def ticket_room(ticket_id: str) -> str:
    return f"ticket-{ticket_id}"


def user_room(user_id: str) -> str:
    """A private room every authenticated socket of a user joins on connect."""
    return f"user-{user_id}"
