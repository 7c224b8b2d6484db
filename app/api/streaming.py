"""Request bodies read from the ASGI stream into a spool, for routes that take
large media inside JSON (``POST /meetings/create``).

:func:`spooled_json_body` is a FastAPI dependency: it reads the body chunk by
chunk, keeping at most ``SPOOL_MEMORY_BYTES`` in memory; a larger body goes to
an anonymous temporary file (``TMPDIR``; written and read in worker threads).
The JSON is then parsed by :func:`app.services.json_media.load_json_file`, so
long data URLs stay in the file as :class:`~app.services.json_media.SpooledText`
and are decoded from it straight into storage. The file is closed when the
request ends.

Everything a client can observe is what FastAPI's own body handling gives
(the route used to declare a Pydantic body): the same content-type rules
(only ``application/json`` and ``*+json`` are parsed; no Content-Type means
not JSON), the same 400 messages (``Malformed JSON body``, ``There was an
error parsing the body``, ``Invalid request: Field required``...), and the
body is read before the user is resolved, as before (declare this dependency
ahead of ``CurrentUser``). ``BodyLimitMiddleware`` still counts the bytes and
answers 413.
"""

from __future__ import annotations

import asyncio
import email.message
import json
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, TypeAdapter, ValidationError

from app.core.memory import trim
from app.services.json_media import JsonPath, load_json_file

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "SPOOL_MEMORY_BYTES",
    "NoBody",
    "SpooledBody",
    "media_paths",
    "spooled_json_body",
    "validate_body",
]

# Bodies up to this size are parsed in memory exactly as before; above it the
# body is spooled to a file (1 MiB: every metadata-only create stays in memory).
SPOOL_MEMORY_BYTES = 1024 * 1024
# Writes to the spool file are batched so the thread hand-off is per MiB, not
# per 64 KiB network chunk.
_WRITE_BATCH_BYTES = 1024 * 1024


class NoBody:
    """The request had an empty body (FastAPI: the body parameter is missing)."""


NO_BODY = NoBody()


@dataclass
class SpooledBody:
    """The parsed body: a JSON value, the raw-bytes marker ``b""`` for a body
    that is not JSON (its content is irrelevant: only objects validate), or
    :data:`NO_BODY`."""

    value: Any


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


class _Spool:
    """Memory first; a temporary file once ``SPOOL_MEMORY_BYTES`` is passed."""

    def __init__(self) -> None:
        self.size = 0
        self.memory = bytearray()
        self.file: BinaryIO | None = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    async def add(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.file is None and self.size <= SPOOL_MEMORY_BYTES:
            self.memory += chunk
            return
        if self.file is None:
            self.file = await asyncio.to_thread(tempfile.TemporaryFile, prefix="videodesk-body-")
            self._pending = [bytes(self.memory)]
            self._pending_bytes = len(self.memory)
            self.memory = bytearray()
        self._pending.append(chunk)
        self._pending_bytes += len(chunk)
        if self._pending_bytes >= _WRITE_BATCH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self.file is not None and self._pending:
            batch, self._pending, self._pending_bytes = self._pending, [], 0
            await asyncio.to_thread(self.file.writelines, batch)

    async def finish(self) -> None:
        await self._flush()
        if self.file is not None:
            await asyncio.to_thread(self.file.flush)

    async def close(self) -> None:
        if self.file is not None:
            await asyncio.to_thread(self.file.close)
            self.file = None


def media_paths(*lists: str) -> Callable[[JsonPath], bool]:
    """``keep_spooled`` for ``{<list>: [{"data": <data URL>}, ...]}`` documents."""
    names = frozenset(lists)

    def keep(path: JsonPath) -> bool:
        return (
            len(path) == 3 and path[0] in names and isinstance(path[1], int) and path[2] == "data"
        )

    return keep


def _parse_error(exc: Exception) -> Exception:
    """The exception FastAPI raises for a body ``json.loads`` refused."""
    if isinstance(exc, json.JSONDecodeError):
        return RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        )
    return HTTPException(status_code=400, detail="There was an error parsing the body")


def spooled_json_body(
    keep_spooled: Callable[[JsonPath], bool],
) -> Callable[[Request], AsyncIterator[SpooledBody]]:
    """A dependency yielding the request's :class:`SpooledBody`; long strings at
    paths accepted by ``keep_spooled`` stay in the spool until the request ends."""

    async def dependency(request: Request) -> AsyncIterator[SpooledBody]:
        spool = _Spool()
        try:
            async for chunk in request.stream():
                await spool.add(chunk)
            await spool.finish()
            if spool.size == 0:
                yield SpooledBody(NO_BODY)
                return
            if not _is_json(request.headers.get("content-type")):
                yield SpooledBody(b"")
                return
            try:
                if spool.file is None:
                    value = json.loads(bytes(spool.memory))
                else:
                    value = await asyncio.to_thread(
                        load_json_file, spool.file.fileno(), spool.size, keep_spooled=keep_spooled
                    )
            except Exception as exc:
                raise _parse_error(exc) from exc
            spool.memory = bytearray()
            yield SpooledBody(value)
        finally:
            await spool.close()
            if spool.size > SPOOL_MEMORY_BYTES:
                # Decoded media buffers were just freed: return them to the OS
                # now rather than at the next periodic trim.
                await asyncio.to_thread(trim)

    return dependency


def validate_body(adapter: TypeAdapter[M], body: SpooledBody) -> M:
    """Validate like FastAPI validates a declared body (errors located under ``body``)."""
    if isinstance(body.value, NoBody):
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        return adapter.validate_python(body.value, from_attributes=True)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors) from None
