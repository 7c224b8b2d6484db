"""The Socket.IO server and the notifier implementation the services push through.

One ``AsyncServer`` per process, mounted at ``/socket.io`` by
:func:`app.main.create_asgi_app`. With ``REDIS_URL`` its client manager is
``AsyncRedisManager`` so rooms and emits reach sockets held by any worker or
host, and presence state lives in Redis too; without it, the default
in-memory manager (exactly one process may serve sockets then). Long-polling
clients need sticky sessions when several workers serve them (docs/signaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio

from app.core.config import Settings
from app.core.logging import get_logger
from app.services.context import AppContext
from app.services.presence import PresenceService
from app.sockets import connection, notifications, presence, signaling, tickets
from app.sockets.runtime import Realtime

log = get_logger(__name__)

# Signaling needs well under 1 MiB; the cap leaves room for the small chat
# media the ticket chat still accepts inline (tickets.MAX_INLINE_MEDIA_BYTES,
# base64-encoded). The original accepted 50 MiB for every event.
MAX_HTTP_BUFFER_SIZE = 8 * 1024 * 1024
REDIS_CHANNEL = "videodesk-socketio"


def build_socket_server(settings: Settings) -> socketio.AsyncServer:
    if settings.ENABLE_CLUSTER and not settings.REDIS_URL:
        log.warning("sockets.cluster_without_redis")
    manager = (
        socketio.AsyncRedisManager(settings.REDIS_URL, channel=REDIS_CHANNEL)
        if settings.REDIS_URL
        else None
    )
    server = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=settings.allowed_origins,
        cors_credentials=True,
        ping_interval=10,
        ping_timeout=20,
        max_http_buffer_size=MAX_HTTP_BUFFER_SIZE,
        transports=["polling", "websocket"],
        # Handle one client's events in arrival order: an offer must never
        # overtake the join-room sent just before it.
        async_handlers=False,
        logger=False,
        engineio_logger=False,
    )
    rt = Realtime(server)
    server.videodesk_realtime = rt
    for area in (connection, signaling, presence, notifications, tickets):
        area.register(rt)
    return server


class SocketEmitter:
    """Implements :class:`app.services.notifier.Emitter` on the Socket.IO server."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self._server = server

    async def emit(self, event: str, data: Any, room: str) -> None:
        await self._server.emit(event, data, room=room)


def attach(server: socketio.AsyncServer, ctx: AppContext) -> None:
    """Give the socket handlers the app's clients and route notifier pushes here.

    Called from the app lifespan (an event loop is running). With Redis the
    presence service is switched to the shared back-end, and the client
    manager starts listening right away rather than on the first connection,
    so pushes from other workers reach this one from the start.
    """
    if ctx.redis is not None and not ctx.presence.shared:
        ctx.presence = PresenceService.on_redis(ctx.redis)
    rt: Realtime = server.videodesk_realtime
    rt.start(ctx)
    ctx.notifier.attach(SocketEmitter(server))
    if not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()


async def detach(server: socketio.AsyncServer) -> None:
    """Stop this process's background work (app shutdown)."""
    rt: Realtime = server.videodesk_realtime
    await rt.stop()
    listener = getattr(server.manager, "thread", None)
    if isinstance(listener, asyncio.Task):
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await listener
