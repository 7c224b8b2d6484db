"""Give freed heap memory back to the OS (glibc), so idle RSS stays low.

CPython frees large buffers (a 7 MB request body, decoded media parts) with
``free()``; glibc keeps the pages of its heaps and per-thread arenas for reuse,
so a process that once handled a burst of media or 1,000 sockets keeps that
RSS forever. Two measures, both no-ops where glibc is absent (musl, macOS):

* :func:`limit_arenas`: ``mallopt(M_ARENA_MAX, n)`` at start-up, before the
  worker threads exist. Each thread (``asyncio.to_thread`` decodes media,
  spools bodies) would otherwise get its own arena, and memory freed in one
  arena cannot serve another. An explicit ``MALLOC_ARENA_MAX`` in the
  environment wins (glibc reads it itself).
* :func:`trim`: ``malloc_trim(0)`` returns free pages at the top of every heap
  and ``madvise``-releases free pages inside them. The app calls it after a
  request that handled large media and from :class:`IdleReclaimer` every
  ``MEMORY_TRIM_INTERVAL`` seconds while the server is idle; it runs in a
  thread (ctypes releases the GIL).

Connections (websockets, HTTP protocol objects) sit in reference cycles, so
their memory is only freed by a full ``gc.collect()``, which the interpreter
may not run for a long time once traffic stops. A full collection blocks the
loop for tens of milliseconds on a large heap, so :class:`IdleReclaimer` runs
it only when the server is idle: something happened since the last collection
(a request, a connection, a message on an open socket), no API request is in
flight and nothing happened for a second; and once more after 15 idle seconds.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from typing import Any

from app.core.logging import get_logger

log = get_logger(__name__)

__all__ = ["DEFAULT_ARENA_MAX", "IdleReclaimer", "limit_arenas", "trim"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_M_ARENA_MAX = -8
# The reclaimer looks this often for a server that has gone quiet, and calls
# it idle after this long without a request or a connection starting/ending.
_IDLE_CHECK_SECONDS = 0.5
_IDLE_SECONDS = 1.0
# A second collection later on: a closed Socket.IO connection is only released
# when its ping timer next wakes (ping_interval, 10 s), after the first pass.
_LATE_IDLE_SECONDS = 15.0
DEFAULT_ARENA_MAX = 2


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        # Both exist only in glibc; their absence means another allocator.
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def limit_arenas(arenas: int = DEFAULT_ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas unless ``MALLOC_ARENA_MAX`` is set; True if applied."""
    if os.environ.get("MALLOC_ARENA_MAX") or arenas <= 0:
        return False
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, arenas) == 1)


def trim() -> bool:
    """``malloc_trim(0)``; True when memory was released. Blocking (a few ms on a
    large heap): call it from a worker thread."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


class IdleReclaimer:
    """ASGI wrapper that notes activity, plus the loop that reclaims memory.

    Socket.IO's own paths do not count as API requests in flight (a long-poll
    would otherwise hold the server "busy" forever), but their connections
    starting and ending do count as activity.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        socket_path: str = "/socket.io",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.socket_path = socket_path
        self.clock = clock
        self.in_flight = 0
        self.last_activity = clock()
        self.dirty = False
        self.late_pass_due = False
        self.collections = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        counted = scope["type"] == "http" and not scope["path"].startswith(self.socket_path)
        self.dirty = True
        self.last_activity = self.clock()
        if counted:
            self.in_flight += 1
        else:
            # Signaling traffic on an open socket is activity too: a collection
            # or trim in the middle of a call would stall relays by tens of ms.
            receive = self._noting_activity(receive)
        try:
            await self.app(scope, receive, send)
        finally:
            if counted:
                self.in_flight -= 1
            self.last_activity = self.clock()

    def _noting_activity(self, receive: Receive) -> Receive:
        async def receive_and_note() -> MutableMapping[str, Any]:
            message = await receive()
            self.last_activity = self.clock()
            return message

        return receive_and_note

    def idle_for(self, seconds: float) -> bool:
        return self.in_flight == 0 and self.clock() - self.last_activity >= seconds

    async def run(self, interval: float) -> None:
        """While the server is idle: ``malloc_trim`` every ``interval`` seconds,
        a full ``gc.collect()`` (then a trim) a second after activity stopped,
        and once more after 15 idle seconds. Never under traffic: both hold
        locks the request path needs. Runs until cancelled."""
        step = min(interval, _IDLE_CHECK_SECONDS)
        since_trim = 0.0
        while True:
            await asyncio.sleep(step)
            since_trim += step
            if self.collect_if_idle() or (since_trim >= interval and self.idle_for(_IDLE_SECONDS)):
                since_trim = 0.0
                await asyncio.to_thread(trim)

    def collect_if_idle(self) -> bool:
        """One check of the loop above; True when it collected."""
        if self.dirty and self.idle_for(_IDLE_SECONDS):
            self.dirty, self.late_pass_due = False, True
        elif self.late_pass_due and self.idle_for(_LATE_IDLE_SECONDS):
            self.late_pass_due = False
        else:
            return False
        gc.collect()
        self.collections += 1
        return True
