"""Per-process runtime of the socket layer: the server, the app context and the
per-socket state every handler reads.

The state of one connection (:class:`SocketState`) lives in the socket's
python-socketio session, i.e. in the process that holds the socket; anything
other processes must see goes to :class:`app.services.presence.PresenceService`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio

from app.core.logging import get_logger
from app.services.context import AppContext
from app.services.presence import HEARTBEAT_SECONDS, PresenceService, SocketUser

log = get_logger(__name__)

_NO_ARGUMENT = object()
Handler = Callable[..., Awaitable[Any]]
ADMIN_ROLES = frozenset({"admin", "superadmin"})


@dataclass
class SocketState:
    user: SocketUser | None = None
    # Every room this socket entered through a handler; relays check membership here.
    rooms: set[str] = field(default_factory=set)
    # Call rooms in join order; the last one is "the" call room for room-less events.
    call_rooms: list[str] = field(default_factory=list)
    waiting_tokens: set[str] = field(default_factory=set)
    # Ticket chats joined: the client's ticket reference → the ticket's _id (hex).
    tickets: dict[str, str] = field(default_factory=dict)
    online: bool = False

    @property
    def is_staff(self) -> bool:
        """A signed-in account that is not a resident: may drive the resident's camera."""
        return self.user is not None and self.user.role != "resident"

    @property
    def current_call(self) -> str | None:
        return self.call_rooms[-1] if self.call_rooms else None


class Realtime:
    """Holds the server and, once the app has started, its context."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self.sio = server
        self._ctx: AppContext | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    @property
    def ctx(self) -> AppContext:
        if self._ctx is None:
            raise RuntimeError("socket layer used before attach()")
        return self._ctx

    @property
    def presence(self) -> PresenceService:
        return self.ctx.presence

    @staticmethod
    def now() -> float:
        return time.time()

    def start(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await self.presence.heartbeat()
            except Exception as exc:
                log.warning("presence.heartbeat_failed", error=str(exc))

    def on(self, event: str) -> Callable[[Handler], Handler]:
        """Register an event handler (a typed stand-in for ``sio.on``)."""

        def register(handler: Handler) -> Handler:
            self.sio.on(event, handler)
            return handler

        return register

    # ---- per-socket state ------------------------------------------------------------

    async def state(self, sid: str) -> SocketState:
        session = await self.sio.get_session(sid)
        state = session.get("state")
        if not isinstance(state, SocketState):
            state = SocketState()
            session["state"] = state
            await self.sio.save_session(sid, session)
        return state

    async def enter(self, sid: str, state: SocketState, room: str) -> None:
        await self.sio.enter_room(sid, room)
        state.rooms.add(room)

    async def leave(self, sid: str, state: SocketState, room: str) -> None:
        await self.sio.leave_room(sid, room)
        state.rooms.discard(room)

    # ---- delivery --------------------------------------------------------------------

    async def to_self(self, sid: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=sid)

    async def to_room(
        self, event: str, room: str, data: Any = _NO_ARGUMENT, *, skip_sid: str | None = None
    ) -> None:
        """Emit to a room; without ``data`` the event carries no argument at all.

        An empty tuple means "no arguments" for both managers, whereas ``None``
        would reach the client as one ``null`` argument through the Redis manager.
        """
        if data is _NO_ARGUMENT:
            await self.sio.emit(event, (), room=room, skip_sid=skip_sid)
        else:
            await self.sio.emit(event, data, room=room, skip_sid=skip_sid)
