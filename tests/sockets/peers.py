"""Real ``socketio.AsyncClient`` peers for the socket tests.

Every event a peer receives is queued with its positional arguments, so a test
can assert both the payload and the argument count (the frontend relies on
``offer`` carrying exactly one argument and ``user-disconnected`` none).

"Received nothing" is proved without sleeping: one client's events are handled
in order and a socket's packets arrive in order, so when a later reply (a
barrier) arrives first, an earlier unwanted event was never sent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import Any

import socketio

from tests.conftest import FRONTEND

WAIT = 10.0


class Peer:
    def __init__(self, name: str = "peer") -> None:
        self.name = name
        self.client = socketio.AsyncClient(reconnection=False)
        self._queues: defaultdict[str, asyncio.Queue[tuple[Any, ...]]] = defaultdict(asyncio.Queue)
        self.log: list[tuple[str, tuple[Any, ...]]] = []

        async def catch_all(event: str, *args: Any) -> None:
            self.log.append((event, args))
            await self._queues[event].put(args)

        self.client.on("*", catch_all)

    async def connect(
        self,
        url: str,
        *,
        token: str | None = None,
        auth_token: str | None = None,
        transports: list[str] | None = None,
        origin: str | None = FRONTEND,
    ) -> Peer:
        headers: dict[str, str] = {}
        if token:
            headers["Cookie"] = f"token={token}"
        if origin:
            headers["Origin"] = origin
        await self.client.connect(
            url,
            headers=headers,
            auth={"token": auth_token} if auth_token else None,
            transports=transports or ["websocket"],
            wait_timeout=WAIT,
        )
        return self

    @property
    def sid(self) -> str:
        sid = self.client.get_sid()
        assert sid is not None
        return str(sid)

    async def emit(self, event: str, *args: Any) -> None:
        await self.client.emit(event, args if len(args) != 1 else args[0])

    async def next(self, event: str) -> tuple[Any, ...]:
        """The arguments of the next ``event`` (fails after WAIT seconds)."""
        return await asyncio.wait_for(self._queues[event].get(), WAIT)

    async def one(self, event: str) -> Any:
        args = await self.next(event)
        assert len(args) == 1, f"{event} arrived with {len(args)} arguments: {args!r}"
        return args[0]

    def pending(self, event: str) -> int:
        return self._queues[event].qsize()

    def received(self, event: str) -> bool:
        return any(name == event for name, _ in self.log)

    async def join(self, room: str) -> None:
        """``join-room`` and wait for the server's ``joined-room`` (also a barrier)."""
        await self.emit("join-room", room)
        assert await self.one("joined-room") == room

    async def barrier(self) -> None:
        """A round trip through the server: everything sent to this socket
        earlier has arrived once this returns."""
        await self.join(str(uuid.uuid4()))

    async def close(self) -> None:
        if not self.client.connected:
            return
        if self.client.transport() == "polling":
            # A clean polling disconnect waits for the pending long-poll to come
            # back (up to a ping interval); the server notices the abort anyway.
            await self.client.eio.disconnect(abort=True)
            return
        await self.client.disconnect()


def call_token() -> str:
    return str(uuid.uuid4())
