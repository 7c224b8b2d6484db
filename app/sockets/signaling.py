"""Call rooms, the video-link handshake and the WebRTC relays (signaling.md §4.2, §4.3).

Rules every relay follows:

- the room must be one this socket joined through ``join-room`` /
  ``join-camera-room`` (a room merely named in the payload is never enough);
- the payload is validated and rebuilt (see :mod:`app.sockets.payloads`);
- delivery is room−self with exactly the spec's arguments (one payload, or none
  for ``user-disconnected``).

Holding the call token (a UUID) is the capability that lets an anonymous
resident act in a call, as in the original; a call room admits at most
``CALL_ROOM_CAPACITY`` sockets.
"""

from __future__ import annotations

from typing import Any

from app.core.logging import get_logger
from app.services.notifier import admin_room
from app.sockets import payloads
from app.sockets.runtime import Realtime, SocketState

log = get_logger(__name__)

# Landlord + resident, plus slack for a reconnect racing the old socket's timeout.
CALL_ROOM_CAPACITY = 4


def register(rt: Realtime) -> None:
    async def join_call(sid: str, state: SocketState, room_id: str) -> bool:
        if room_id in state.call_rooms:
            await rt.to_self(sid, "joined-room", room_id)
            return True
        admitted = await rt.presence.join_call(room_id, sid, rt.now(), CALL_ROOM_CAPACITY)
        if not admitted:
            log.warning("signaling.room_full", sid=sid)
            await rt.to_self(sid, "room-join-error", {"roomId": room_id, "message": "Room is full"})
            return False
        await rt.enter(sid, state, room_id)
        state.call_rooms.append(room_id)
        await rt.to_self(sid, "joined-room", room_id)
        return True

    async def relay(
        sid: str, event: str, room_id: Any, payload: dict[str, Any] | None, *, bare: bool = False
    ) -> None:
        state = await rt.state(sid)
        room = payloads.call_token(room_id)
        if room is None or room not in state.call_rooms:
            log.warning("signaling.relay_refused", socket_event=event, sid=sid)
            return
        if bare:
            await rt.to_room(event, room, skip_sid=sid)
        elif payload is None:
            payloads.drop(event, sid, "invalid or oversize payload")
        else:
            await rt.to_room(event, room, payload, skip_sid=sid)

    @rt.on("join-room")
    async def join_room(sid: str, room_id: Any = None, *_: Any) -> None:
        room = payloads.call_token(room_id)
        if room is None:
            payloads.drop("join-room", sid, "not a call token")
            await rt.to_self(sid, "room-join-error", {"message": "Invalid room id"})
            return
        await join_call(sid, await rt.state(sid), room)

    @rt.on("join-camera-room")
    async def join_camera_room(sid: str, data: Any = None, *_: Any) -> None:
        parsed = payloads.parse(payloads.CameraRoom, data, max_bytes=1024)
        room = payloads.call_token(parsed.roomId) if parsed else None
        if room is None:
            payloads.drop("join-camera-room", sid, "not a call token")
            return
        # isAdmin from the payload is not trusted: camera control needs a
        # signed-in landlord (SocketState.is_staff) whatever the client claims.
        await join_call(sid, await rt.state(sid), room)

    @rt.on("offer")
    async def offer(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        await relay(sid, "offer", room_id, payloads.session_description(data))

    @rt.on("answer")
    async def answer(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        await relay(sid, "answer", room_id, payloads.session_description(data))

    @rt.on("ice-candidate")
    async def ice_candidate(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        await relay(sid, "ice-candidate", room_id, payloads.ice_candidate(data))

    @rt.on("user-disconnected")
    async def user_disconnected(sid: str, room_id: Any = None, *_: Any) -> None:
        await relay(sid, "user-disconnected", room_id, None, bare=True)

    async def room_or_current(sid: str, room_id: Any) -> tuple[SocketState, str | None]:
        state = await rt.state(sid)
        room = payloads.call_token(room_id)
        if room is not None and room in state.call_rooms:
            return state, room
        return state, state.current_call

    @rt.on("mouse-event")
    async def mouse_event(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        _state, room = await room_or_current(sid, room_id)
        if room is None:
            return
        payload = payloads.mouse_event(data)
        if payload is None:
            payloads.drop("mouse-event", sid, "invalid payload")
            return
        # Deliberately not logged per event (the original flooded its logs here).
        await relay(sid, "mouse-event", room, payload)

    async def camera_command(sid: str, event: str, payload: Any, room_id: Any) -> None:
        state, room = await room_or_current(sid, room_id)
        if not state.is_staff:
            log.info("signaling.camera_refused", socket_event=event, sid=sid)
            return
        if room is None:
            return
        await relay(sid, event, room, payload)

    @rt.on("camera-zoom")
    async def camera_zoom(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        await camera_command(sid, "camera-zoom", payloads.camera_zoom(data), room_id)

    @rt.on("camera-torch")
    async def camera_torch(sid: str, data: Any = None, room_id: Any = None, *_: Any) -> None:
        await camera_command(sid, "camera-torch", payloads.camera_torch(data), room_id)

    @rt.on("camera-ready")
    async def camera_ready(sid: str, data: Any = None, *_: Any) -> None:
        room_id = data.get("roomId") if isinstance(data, dict) else None
        payload = {"userId": sid, "roomId": room_id, "timestamp": int(rt.now() * 1000)}
        await relay(sid, "camera-ready", room_id, payload)

    # ---- video-link handshake ---------------------------------------------------------

    @rt.on("admin-waiting")
    async def admin_waiting(sid: str, token: Any = None, *_: Any) -> None:
        room = payloads.call_token(token)
        if room is None:
            payloads.drop("admin-waiting", sid, "not a call token")
            return
        state = await rt.state(sid)
        await rt.enter(sid, state, admin_room(room))
        state.waiting_tokens.add(room)
        await rt.presence.admin_waiting(room, sid, rt.now())

    @rt.on("user-opened-link")
    async def user_opened_link(sid: str, token: Any = None, *_: Any) -> None:
        room = payloads.call_token(token)
        if room is None:
            payloads.drop("user-opened-link", sid, "not a call token")
            return
        # Every waiting tab of the landlord hears it (the original told only the
        # last one); an emit to the room reaches sockets on every worker.
        if not await rt.presence.waiting_for(room, rt.now()):
            log.info("signaling.no_waiting_admin", sid=sid)
        await rt.to_room("user-joined-room", admin_room(room), room, skip_sid=sid)

    @rt.on("user-started-session")
    async def user_started_session(sid: str, token: Any = None, *_: Any) -> None:
        room = payloads.call_token(token)
        if room is None:
            payloads.drop("user-started-session", sid, "not a call token")
            return
        await rt.to_room("user-started-session", admin_room(room), room, skip_sid=sid)

    async def to_waiting_admin(sid: str, event: str, room_id: Any, data: Any) -> None:
        state = await rt.state(sid)
        room = payloads.call_token(room_id)
        if room is None or (room not in state.call_rooms and room not in state.waiting_tokens):
            log.warning("signaling.relay_refused", socket_event=event, sid=sid)
            return
        payload = payloads.opaque(data)
        if payload is None:
            payloads.drop(event, sid, "invalid or oversize payload")
            return
        await rt.to_room(event, admin_room(room), payload, skip_sid=sid)

    @rt.on("meeting-data-available")
    async def meeting_data_available(
        sid: str, room_id: Any = None, data: Any = None, *_: Any
    ) -> None:
        await to_waiting_admin(sid, "meeting-data-updated", room_id, data)

    @rt.on("message-settings-updated")
    async def message_settings_updated(
        sid: str, room_id: Any = None, data: Any = None, *_: Any
    ) -> None:
        await to_waiting_admin(sid, "message-settings-updated", room_id, data)
