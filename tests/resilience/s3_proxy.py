"""An HTTP proxy in front of moto that can fail chosen S3 calls or go away.

The app talks to the proxy as its S3 endpoint. A test can make requests
matching a predicate answer ``500 InternalError`` (S3's own transient error,
which botocore retries and then gives up on), or close the listening socket
altogether (S3 unreachable) and open it again on the same port. Everything else
is forwarded to moto unchanged, so the bucket state seen through ``s3`` (a
direct boto3 client on moto) is the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.support.servers import free_port

Predicate = Callable[[web.Request], bool]

_INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b"<Error><Code>InternalError</Code><Message>injected fault</Message></Error>"
)
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


@dataclass
class FaultyS3Proxy:
    upstream: str
    port: int = field(default_factory=free_port)
    fail_when: Predicate | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Close the port: new connections are refused until ``start()``."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path_qs))
        body = await request.read()
        if self.fail_when is not None and self.fail_when(request):
            return web.Response(status=500, body=_INTERNAL_ERROR, content_type="application/xml")
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=body,
            allow_redirects=False,
        ) as upstream:
            payload = await upstream.read()
            out_headers = {
                k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS
            }
            return web.Response(status=upstream.status, body=payload, headers=out_headers)


def is_upload_part(number: int) -> Predicate:
    """``UploadPart`` of the given part number (``PUT ?partNumber=N&uploadId=...``)."""

    def predicate(request: web.Request) -> bool:
        return request.method == "PUT" and request.query.get("partNumber") == str(number)

    return predicate


def is_put_object(request: web.Request) -> bool:
    return request.method == "PUT" and "partNumber" not in request.query
