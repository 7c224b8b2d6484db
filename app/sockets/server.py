"""The Socket.IO server and the notifier implementation the services push through.

One ``AsyncServer`` per process. With ``REDIS_URL`` its client manager is
``AsyncRedisManager`` so rooms and emits reach sockets held by any worker or
host; without it, the default in-memory manager (a single process only).
"""

from __future__ import annotations

from typing import Any

import socketio

from app.core.config import Settings
from app.services.context import AppContext

MAX_HTTP_BUFFER_SIZE = 50 * 1024 * 1024


def build_socket_server(settings: Settings) -> socketio.AsyncServer:
    manager = (
        socketio.AsyncRedisManager(settings.REDIS_URL, channel="videodesk-socketio")
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
        logger=False,
        engineio_logger=False,
    )
    return server


class SocketEmitter:
    """Implements :class:`app.services.notifier.Emitter` on the Socket.IO server."""

    def __init__(self, server: socketio.AsyncServer) -> None:
        self._server = server

    async def emit(self, event: str, data: Any, room: str) -> None:
        await self._server.emit(event, data, room=room)


def attach(server: socketio.AsyncServer, ctx: AppContext) -> None:
    """Give the socket handlers the app's clients and route notifier pushes here."""
    server.videodesk_ctx = ctx  # read by the event handlers
    ctx.notifier.attach(SocketEmitter(server))
