"""Socket.IO load clients, run as a separate process (``python -m bench.sio_clients``)
so that the server's RSS is measured alone.

Clients are python-socketio ``AsyncClient``s on the websocket transport only,
with permessage-deflate offered (aiohttp ``ws_connect(compress=15)``), as a
browser does. Protocol with the orchestrator: one JSON config as argv[1];
the process prints ``READY {...}`` once connected, waits for a ``GO`` line on
stdin, works, prints ``RESULT {...}`` and exits (idle mode waits for a second
``GO`` before disconnecting).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import socketio

SDP_BYTES = 1024
_FILLER = (
    "a=candidate:1 1 udp 2122260223 192.168.1.23 54321 typ host generation 0\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\na=ssrc:1001 cname:bench\r\n"
)


def make_sdp(room: str, seq: int, sent_ns: int) -> str:
    head = f"v=0\r\no=- {room} {seq} {sent_ns} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    body = head
    while len(body) < SDP_BYTES:
        body += _FILLER
    return body[:SDP_BYTES]


def read_sdp(sdp: str) -> tuple[str, int, int]:
    origin = sdp.split("\r\n", 2)[1].split()
    return origin[1], int(origin[2]), int(origin[3])


def _client() -> socketio.AsyncClient:
    return socketio.AsyncClient(
        reconnection=False,
        websocket_extra_options={"compress": 15},
    )


async def _connect(client: socketio.AsyncClient, url: str, gate: asyncio.Semaphore) -> None:
    async with gate:
        await client.connect(url, transports=["websocket"], wait_timeout=30)


def _deflate_negotiated(client: socketio.AsyncClient) -> bool:
    ws = getattr(client.eio, "ws", None)
    return bool(getattr(ws, "compress", getattr(ws, "_compress", 0)))


async def _stdin_line() -> str:
    return await asyncio.to_thread(sys.stdin.readline)


def _emit_line(tag: str, payload: dict[str, Any]) -> None:
    sys.stdout.write(f"{tag} {json.dumps(payload)}\n")
    sys.stdout.flush()


@dataclass
class Room:
    room_id: str
    sender: socketio.AsyncClient
    receiver: socketio.AsyncClient
    joined: int = 0
    join_errors: int = 0
    received: dict[str, set[int]] = field(default_factory=lambda: {"paced": set(), "burst": set()})


async def rooms_mode(cfg: dict[str, Any]) -> None:
    url: str = cfg["url"]
    offers: int = cfg["offers"]
    interval: float = cfg["interval_s"]
    phase = {"name": "paced"}
    latencies: dict[str, list[float]] = {"paced": [], "burst": []}
    last_recv = {"burst": 0.0}
    rooms: list[Room] = []

    def watch(room: Room) -> None:
        async def on_offer(data: Any = None, *_: Any) -> None:
            now = time.perf_counter_ns()
            _room, seq, sent = read_sdp(data["sdp"])
            name = phase["name"]
            room.received[name].add(seq)
            latencies[name].append((now - sent) / 1e6)
            if name == "burst":
                last_recv["burst"] = time.time()

        room.receiver.on("offer", on_offer)

        async def on_joined(*_: Any) -> None:
            room.joined += 1

        async def on_error(*_: Any) -> None:
            room.join_errors += 1

        for peer in (room.sender, room.receiver):
            peer.on("joined-room", on_joined)
            peer.on("room-join-error", on_error)

    gate = asyncio.Semaphore(50)
    for room_id in cfg["rooms"]:
        room = Room(room_id, _client(), _client())
        watch(room)
        rooms.append(room)
    await asyncio.gather(*(_connect(c, url, gate) for r in rooms for c in (r.sender, r.receiver)))
    for room in rooms:
        await room.sender.emit("join-room", room.room_id)
        await room.receiver.emit("join-room", room.room_id)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(r.joined < 2 for r in rooms):
        await asyncio.sleep(0.05)
    deflate = _deflate_negotiated(rooms[0].sender)
    _emit_line("READY", {"rooms": len(rooms), "deflate": deflate})
    await _stdin_line()

    async def paced(room: Room, offset: float) -> None:
        await asyncio.sleep(offset)
        start = time.monotonic()
        for seq in range(offers):
            sdp = make_sdp(room.room_id, seq, time.perf_counter_ns())
            await room.sender.emit("offer", ({"type": "offer", "sdp": sdp}, room.room_id))
            await asyncio.sleep(max(0.0, start + (seq + 1) * interval - time.monotonic()))

    n = len(rooms)
    await asyncio.gather(*(paced(r, interval * i / n) for i, r in enumerate(rooms)))
    await _wait_all(rooms, "paced", offers, 10)

    phase["name"] = "burst"

    async def burst(room: Room) -> None:
        for seq in range(offers):
            sdp = make_sdp(room.room_id, seq, time.perf_counter_ns())
            await room.sender.emit("offer", ({"type": "offer", "sdp": sdp}, room.room_id))

    burst_started = time.time()
    await asyncio.gather(*(burst(r) for r in rooms))
    await _wait_all(rooms, "burst", offers, 20)
    _emit_line(
        "RESULT",
        {
            "rooms": n,
            "rooms_joined": sum(1 for r in rooms if r.joined >= 2),
            "join_errors": sum(r.join_errors for r in rooms),
            "rooms_complete": sum(
                1
                for r in rooms
                if r.joined >= 2 and all(len(s) == offers for s in r.received.values())
            ),
            "delivered": {k: sum(len(r.received[k]) for r in rooms) for k in ("paced", "burst")},
            "latencies_ms": latencies,
            "burst_started": burst_started,
            "burst_last_recv": last_recv["burst"],
            "deflate": deflate,
        },
    )
    await asyncio.gather(*(c.disconnect() for r in rooms for c in (r.sender, r.receiver)))


async def _wait_all(rooms: list[Room], name: str, offers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(r.received[name]) >= offers for r in rooms):
            return
        await asyncio.sleep(0.01)


async def idle_mode(cfg: dict[str, Any]) -> None:
    gate = asyncio.Semaphore(50)
    clients = [_client() for _ in range(cfg["count"])]
    results = await asyncio.gather(
        *(_connect(c, cfg["url"], gate) for c in clients), return_exceptions=True
    )
    connected = sum(1 for r in results if not isinstance(r, BaseException))
    _emit_line("READY", {"connected": connected, "deflate": _deflate_negotiated(clients[0])})
    await _stdin_line()
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    _emit_line("RESULT", {"connected": connected})


def main() -> None:
    cfg = json.loads(sys.argv[1])
    mode = rooms_mode if cfg["mode"] == "rooms" else idle_mode
    try:
        import uvloop

        uvloop.run(mode(cfg))
    except ImportError:
        asyncio.run(mode(cfg))


if __name__ == "__main__":
    main()
