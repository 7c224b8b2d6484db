"""Pure-ASGI middleware for the HTTP API (Socket.IO traffic never reaches it).

Order, outermost first (see :func:`install_middleware`): request context and
access log → CORS → origin guard (CSRF) → gzip → security headers → body
limit → timeout → unhandled-error catcher → routes. CORS sits outside
everything that can answer early, so 401/404/408/413/429/500 responses carry
the CORS headers and the browser sees the status instead of a network error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.responses import dumps
from app.core.config import Settings
from app.core.logging import get_logger

log = get_logger("app.access")

_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Binds a request id into structlog and writes one access line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and len(incoming) <= 64 else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class OriginGuardMiddleware:
    """CSRF defence: a state-changing request from a browser page on another
    origin is refused. Requests without ``Origin`` (curl, server-to-server) pass.
    ``GET /logout`` changes state but is harmless and stays a GET, as the
    frontend calls it."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _UNSAFE_METHODS:
            origin = _header(scope, b"origin")
            if origin is not None and origin.rstrip("/") not in self.allowed:
                await send_json(send, 403, {"success": False, "message": "Origin not allowed"})
                return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if production:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"].startswith(("/docs", "/redoc", "/openapi.json"))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(self.headers)
                if not is_docs:
                    headers.append(
                        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Enforce ``MAX_FILE_SIZE`` while the body streams in.

    Nothing beyond the limit is kept: the counter trips as soon as the limit is
    passed, the rest of the body is read and discarded (so the browser gets a
    readable 413 instead of a reset connection), and the handler never sees
    the oversize data. Draining stops after ``drain_cap`` bytes so a client
    cannot make the server read forever.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self.limit_text = settings.MAX_FILE_SIZE
        self.drain_cap = self.limit * 4

    def _body(self) -> dict[str, Any]:
        return {
            "success": False,
            "message": f"File size too large. Maximum allowed size is {self.limit_text}. "
            "Please compress your files.",
            "details": f"Current limit: {self.limit_text}",
        }

    async def _drain(self, receive: Receive, already: int) -> None:
        drained = already
        while drained < self.drain_cap:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._drain(receive, 0)
            await send_json(send, 413, self._body())
            return

        received = 0
        tripped = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    tripped = True
                    if message.get("more_body", False):
                        await self._drain(receive, received)
                    raise _BodyTooLarge()
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            # Whatever the app answers after the limit tripped (frameworks turn
            # the read error into a 400) is replaced by the 413 below.
            if tripped and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, send_wrapper)
        if tripped and not started:
            await send_json(send, 413, self._body())


class TimeoutMiddleware:
    """Answer 408 when no response has started within the budget.

    The handler is cancelled (unlike the original, which kept running and could
    commit after the client was told it failed): services write media before
    records and clean up on cancellation, so a cancelled request leaves nothing
    half-saved. Once the response has started streaming the budget no longer
    applies (large media downloads).
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.default_ms = settings.REQUEST_TIMEOUT
        self.delete_ms = settings.DELETE_TIMEOUT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_delete = scope["method"] == "DELETE"
        budget_ms = self.delete_ms if is_delete else self.default_ms
        started = False
        deadline = asyncio.timeout(budget_ms / 1000)

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, send_wrapper)
        except TimeoutError:
            if started or not deadline.expired():
                raise
            log.warning("http.timeout", path=scope["path"], budget_ms=budget_ms)
            message = (
                "Delete operation timeout. The item may have been deleted."
                if is_delete
                else "Upload timeout. Please try with smaller files or check your connection."
            )
            await send_json(
                send,
                408,
                {"success": False, "message": message, "timeout_duration": f"{budget_ms}ms"},
            )


class UnhandledErrorMiddleware:
    """Last resort inside CORS: an unexpected exception becomes a 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except (_BodyTooLarge, asyncio.CancelledError, TimeoutError):
            raise
        except Exception:
            log.exception("request.unhandled_error", path=scope["path"])
            if not started:
                await send_json(send, 500, {"success": False, "message": "Internal Server Error"})


def install_middleware(app: FastAPI, settings: Settings) -> None:
    # add_middleware wraps: the last added is the outermost.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(TimeoutMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, production=settings.is_production)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(OriginGuardMiddleware, allowed=settings.allowed_origins)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-Requested-With", "Accept", "Origin"],
        expose_headers=["Content-Length", "X-Requested-With", "X-Request-ID"],
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware)
