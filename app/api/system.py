"""Service routes: status, liveness, readiness, and media reads."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from starlette.responses import FileResponse, RedirectResponse, Response

from app.api.deps import Ctx
from app.api.responses import AppJSONResponse
from app.core.errors import NotFound
from app.services.storage import LocalDiskStorage, S3Storage, validate_key

router = APIRouter(tags=["system"])


@router.get("/")
async def root(ctx: Ctx) -> AppJSONResponse:
    # The original exposed its bucket here; only non-sensitive facts remain.
    settings = ctx.settings
    return AppJSONResponse(
        {
            "message": "Server is running with AWS S3 optimized upload support",
            "config": {
                "max_file_size": settings.MAX_FILE_SIZE,
                "timeout": f"{settings.REQUEST_TIMEOUT}ms",
            },
        }
    )


@router.get("/health")
async def health() -> AppJSONResponse:
    """Liveness: the process is up and its event loop answers."""
    return AppJSONResponse({"status": "ok"})


async def _check(name: str, probe: Any, timeout: float) -> tuple[str, dict[str, Any]]:
    try:
        await asyncio.wait_for(probe(), timeout)
    except Exception as exc:
        return name, {"status": "down", "error": type(exc).__name__}
    return name, {"status": "up"}


@router.get("/ready")
async def ready(ctx: Ctx) -> AppJSONResponse:
    """Readiness: MongoDB answers a ping, storage is reachable, Redis (when set) pings."""
    probes: list[tuple[str, Any]] = [("mongo", ctx.db.ping), ("storage", ctx.storage.ping)]
    if ctx.redis is not None:
        redis = ctx.redis

        async def ping_redis() -> None:
            await redis.ping()

        probes.append(("redis", ping_redis))
    results = dict(await asyncio.gather(*(_check(n, p, 2.0) for n, p in probes)))
    healthy = all(r["status"] == "up" for r in results.values())
    return AppJSONResponse(
        {"status": "ready" if healthy else "degraded", "checks": results},
        status_code=200 if healthy else 503,
    )


@router.get("/media/{key:path}", include_in_schema=False)
async def media(key: str, ctx: Ctx) -> Response:
    """Media URLs stay stable and cookie-free: disk files are streamed (with
    range support for video seeking); S3 objects get a short redirect to a
    freshly presigned URL."""
    validate_key(key)
    storage = ctx.storage
    if isinstance(storage, LocalDiskStorage):
        path = storage.path_for(key)
        if not await asyncio.to_thread(path.is_file):
            raise NotFound("File not found")
        return FileResponse(
            path,
            media_type=await storage.content_type(key),
            headers={"Cache-Control": "private, max-age=3600"},
        )
    if isinstance(storage, S3Storage):
        return RedirectResponse(await storage.presigned_get(key), status_code=302)
    raise NotFound("File not found")
