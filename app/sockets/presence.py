"""Online users and the superadmin feed (signaling.md §4.1).

The client's ``user-authenticated`` payload is only a trigger: who the socket
is comes from the JWT checked at connect, so nobody can claim ``superadmin``
and read everyone's e-mail and company.
"""

from __future__ import annotations

from typing import Any

from app.core.logging import get_logger
from app.services.notifier import SUPERADMIN_ROOM
from app.sockets.runtime import Realtime

log = get_logger(__name__)


def register(rt: Realtime) -> None:
    @rt.on("user-authenticated")
    async def user_authenticated(sid: str, *_: Any) -> None:
        state = await rt.state(sid)
        if state.user is None:
            log.info("presence.anonymous_authenticate", sid=sid)
            return
        now = rt.now()
        came_online = await rt.presence.user_online(sid, state.user, now)
        state.online = True
        if state.user.role == "superadmin":
            await rt.enter(sid, state, SUPERADMIN_ROOM)
            await rt.to_self(sid, "online-users-update", await rt.presence.online_snapshot(now))
        await rt.to_room("user-came-online", SUPERADMIN_ROOM, came_online, skip_sid=sid)

    @rt.on("user-activity")
    async def user_activity(sid: str, *_: Any) -> None:
        state = await rt.state(sid)
        if state.online:
            await rt.presence.touch(sid, rt.now())

    @rt.on("get-online-users")
    async def get_online_users(sid: str, *_: Any) -> None:
        state = await rt.state(sid)
        if state.user is None or state.user.role != "superadmin":
            log.info("presence.online_users_refused", sid=sid)
            return
        await rt.to_self(sid, "online-users-update", await rt.presence.online_snapshot(rt.now()))
