"""Fixtures of the socket tests: a live uvicorn server and peers closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from app.core.config import Settings
from tests.conftest import LiveServer
from tests.sockets.peers import Peer

PeerFactory = Callable[..., Awaitable[Peer]]


@pytest.fixture
async def live(
    settings: Settings, live_server_factory: Callable[[Settings], Awaitable[LiveServer]]
) -> LiveServer:
    return await live_server_factory(settings)


@pytest.fixture
async def peer_factory(live: LiveServer) -> AsyncIterator[PeerFactory]:
    opened: list[Peer] = []

    async def connect(name: str = "peer", url: str | None = None, **kwargs: Any) -> Peer:
        peer = Peer(name)
        opened.append(peer)
        return await peer.connect(url or live.url, **kwargs)

    yield connect
    for peer in opened:
        await peer.close()
