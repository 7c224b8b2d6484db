"""Returning freed memory to the OS: glibc calls and the idle reclaimer."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest

from app.core import memory
from app.core.memory import IdleReclaimer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """An inner ASGI app that answers 200 and notes what the reclaimer counted."""

    def __init__(self) -> None:
        self.reclaimer: IdleReclaimer | None = None
        self.in_flight_seen: list[int] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        assert self.reclaimer is not None
        self.in_flight_seen.append(self.reclaimer.in_flight)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_trim_and_arena_limit_are_safe_to_call(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(memory.trim(), bool)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_arenas() is False  # the environment wins; glibc read it itself
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert memory.limit_arenas(0) is False


async def test_requests_are_counted_and_socket_io_paths_are_not_in_flight() -> None:
    clock = Clock()
    inner = Recorder()
    reclaimer = IdleReclaimer(inner, clock=clock)
    inner.reclaimer = reclaimer
    transport = httpx.ASGITransport(app=reclaimer)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/v1/me")).status_code == 200
        assert (await client.get("/socket.io/?EIO=4&transport=polling")).status_code == 200
    assert inner.in_flight_seen == [1, 0]
    assert reclaimer.in_flight == 0
    assert reclaimer.dirty is True


def test_collects_only_when_idle_after_activity_then_once_more_later() -> None:
    clock = Clock()
    reclaimer = IdleReclaimer(Recorder(), clock=clock)
    assert reclaimer.collect_if_idle() is False  # nothing happened yet

    reclaimer.dirty = True
    reclaimer.last_activity = clock.now
    reclaimer.in_flight = 1
    clock.now += 5
    assert reclaimer.collect_if_idle() is False  # a request is still running

    reclaimer.in_flight = 0
    reclaimer.last_activity = clock.now
    clock.now += 0.5
    assert reclaimer.collect_if_idle() is False  # quiet for less than a second
    clock.now += 0.6
    assert reclaimer.collect_if_idle() is True
    assert reclaimer.collect_if_idle() is False  # one pass per burst

    clock.now += 14
    assert reclaimer.collect_if_idle() is True  # the late pass, 15 s after the burst
    clock.now += 60
    assert reclaimer.collect_if_idle() is False
    assert reclaimer.collections == 2


async def test_messages_on_an_open_socket_keep_the_server_busy() -> None:
    """A call in progress (websocket frames, no new connections) must not be
    mistaken for idleness: a collection would stall its relays."""
    clock = Clock()
    frames = [{"type": "websocket.receive", "text": '42["offer"]'}] * 3
    seen: list[float] = []

    async def socket_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        for _ in frames:
            clock.now += 5
            await receive()
            seen.append(reclaimer.last_activity)

    async def receive() -> MutableMapping[str, Any]:
        return frames[0]

    async def send(message: MutableMapping[str, Any]) -> None:
        return None

    reclaimer = IdleReclaimer(socket_app, clock=clock)
    start = clock.now
    await reclaimer({"type": "websocket", "path": "/socket.io/"}, receive, send)
    assert seen == [start + 5, start + 10, start + 15]
    clock.now += 0.5
    assert reclaimer.idle_for(1.0) is False
