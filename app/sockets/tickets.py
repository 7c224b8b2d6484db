"""Support-ticket chat over Socket.IO (signaling.md §4.5)."""

from __future__ import annotations

from app.sockets.runtime import Realtime


def register(rt: Realtime) -> None:
    return None
