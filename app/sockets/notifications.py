"""Share-code notification rooms (signaling.md §4.4).

``notifications-<email>`` is joined only by the signed-in owner of that e-mail
(compared case-insensitively with the JWT's user); the e-mail in the payload
only names the room, it never proves anything.
"""

from __future__ import annotations

from typing import Any

from app.core.logging import get_logger
from app.services.notifier import notification_room
from app.sockets import payloads
from app.sockets.runtime import Realtime

log = get_logger(__name__)


def register(rt: Realtime) -> None:
    @rt.on("join-notification-room")
    async def join_notification_room(sid: str, email: Any = None, *_: Any) -> None:
        state = await rt.state(sid)
        wanted = payloads.email(email)
        if state.user is None or wanted is None or wanted != state.user.email:
            log.warning("notifications.join_refused", sid=sid, authenticated=state.user is not None)
            return
        await rt.enter(sid, state, notification_room(wanted))

    @rt.on("leave-notification-room")
    async def leave_notification_room(sid: str, email: Any = None, *_: Any) -> None:
        wanted = payloads.email(email)
        if wanted is None:
            return
        state = await rt.state(sid)
        await rt.leave(sid, state, notification_room(wanted))
