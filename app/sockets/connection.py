"""Connect and disconnect.

Identity comes only from the JWT of the handshake: the ``token`` cookie the
browser sends with the upgrade/polling request, or ``auth.token``. A socket
without a valid token is still accepted (the resident of a call has no
account); it is simply anonymous and can act only inside call rooms whose
token it holds.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

from app.api.deps import TOKEN_COOKIE, user_from_token
from app.core.errors import AppError
from app.core.logging import get_logger
from app.services.notifier import SUPERADMIN_ROOM, ticket_room, user_room
from app.services.presence import SocketUser, iso_ms
from app.sockets.runtime import Realtime, SocketState

log = get_logger(__name__)

# Only these disconnect reasons mean the peer has really left the call: an
# explicit socket.disconnect() or a closed page (WebSocket close frame). A ping
# timeout or transport error is often a network blip the client recovers from
# with a new socket, and telling the resident "the landlord hung up" then would
# send them to the feedback page in the middle of a call.
_LEFT_CALL_REASONS = frozenset({"client disconnect", "transport close"})


def handshake_token(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict):
        token = auth.get("token")
        if isinstance(token, str) and token:
            return token
    raw = environ.get("HTTP_COOKIE", "")
    if not raw:
        return None
    try:
        cookie = SimpleCookie()
        cookie.load(raw)
    except CookieError:
        return None
    morsel = cookie.get(TOKEN_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def register(rt: Realtime) -> None:
    @rt.on("connect")
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        state = SocketState()
        token = handshake_token(environ, auth)
        if token:
            try:
                user = await user_from_token(rt.ctx, token)
            except AppError:
                log.info("socket.token_rejected", sid=sid)
            except Exception as exc:
                # Database trouble must not turn away residents and callers.
                log.warning("socket.auth_failed", sid=sid, error=str(exc))
            else:
                state.user = SocketUser(
                    user_id=str(user.id),
                    email=user.email.strip().lower(),
                    role=str(user.role),
                    company=user.company,
                )
        await rt.sio.save_session(sid, {"state": state})
        if state.user is not None:
            await rt.enter(sid, state, user_room(state.user.user_id))
        log.debug("socket.connected", sid=sid, authenticated=state.user is not None)
        return True

    @rt.on("disconnect")
    async def disconnect(sid: str, reason: Any = None) -> None:
        try:
            state = await rt.state(sid)
        except KeyError:
            return
        try:
            await _cleanup(rt, sid, state, str(reason or ""))
        except Exception as exc:
            # Redis down: entries expire by themselves (presence TTL).
            log.warning("socket.cleanup_failed", sid=sid, error=str(exc))


async def _cleanup(rt: Realtime, sid: str, state: SocketState, reason: str) -> None:
    now = rt.now()
    for room in list(state.call_rooms):
        await rt.presence.leave_call(room, sid)
        if reason in _LEFT_CALL_REASONS:
            await rt.to_room("user-disconnected", room, skip_sid=sid)
    for token in list(state.waiting_tokens):
        await rt.presence.admin_stopped_waiting(token, sid)
    for ticket_ref, ticket_oid in list(state.tickets.items()):
        await rt.presence.leave_ticket(ticket_oid, sid)
        if state.user is not None:
            await rt.to_room(
                "user-left-ticket",
                ticket_room(ticket_oid),
                {
                    "ticketId": ticket_ref,
                    "userId": state.user.user_id,
                    "userEmail": state.user.email,
                    "userRole": state.user.role,
                    "timestamp": iso_ms(now),
                },
                skip_sid=sid,
            )
    if state.online and state.user is not None:
        await rt.presence.user_offline(sid)
        if await rt.presence.is_user_online(state.user.user_id, now):
            # Another tab of the same user is still here: refresh the list
            # instead of announcing the user offline.
            await rt.to_room(
                "online-users-update", SUPERADMIN_ROOM, await rt.presence.online_snapshot(now)
            )
        else:
            await rt.to_room(
                "user-went-offline",
                SUPERADMIN_ROOM,
                {**state.user.as_dict(), "disconnectedAt": iso_ms(now)},
            )
