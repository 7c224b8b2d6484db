"""Application factory and lifespan.

``uvicorn app.main:app`` serves everything: the HTTP API under ``/api/v1``, the
root routes, health checks and Socket.IO at ``/socket.io``. Clients are opened
by the lifespan in dependency order and closed in reverse; nothing connects at
import time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import socketio
from fastapi import FastAPI
from redis.asyncio import Redis

from app.api.errors import install_error_handlers
from app.api.middleware import install_middleware
from app.api.openapi import install_openapi
from app.api.responses import AppJSONResponse
from app.api.router import include_routers
from app.core.config import Settings, get_settings
from app.core.db import connect
from app.core.embedded_mongo import EmbeddedMongo
from app.core.locks import LeaseLock, MongoLeaseLock, RedisLeaseLock
from app.core.logging import configure_logging, get_logger
from app.core.memory import IdleReclaimer, limit_arenas
from app.core.ratelimit import MongoCounterStore, RateLimiter, RedisCounterStore
from app.services.context import AppContext
from app.services.mail import MailService
from app.services.scheduler import build_scheduler
from app.services.sms import SmsService
from app.services.storage import build_storage
from app.sockets.server import attach, build_socket_server, detach

log = get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    # Before the first worker thread exists: fewer malloc arenas, less idle RSS.
    limit_arenas()
    sio = build_socket_server(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            db_url = settings.DB_URL
            if not db_url:
                embedded = EmbeddedMongo(settings.DATA_DIR, settings.EMBEDDED_MONGO_PORT)
                await embedded.start()
                stack.push_async_callback(embedded.stop)
                db_url = embedded.url
            db = await connect(db_url, settings)
            stack.push_async_callback(db.close)

            storage = build_storage(settings)
            await storage.open()
            stack.push_async_callback(storage.close)

            redis: Redis | None = None
            if settings.REDIS_URL:
                redis = Redis.from_url(
                    settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
                )
                stack.push_async_callback(redis.aclose)

            sms = SmsService(settings)
            await sms.open()
            stack.push_async_callback(sms.close)

            lock: LeaseLock = RedisLeaseLock(redis) if redis else MongoLeaseLock()
            limiter = RateLimiter(RedisCounterStore(redis) if redis else MongoCounterStore())
            ctx = AppContext(
                settings=settings,
                db=db,
                storage=storage,
                mail=MailService(settings),
                sms=sms,
                limiter=limiter,
                lock=lock,
                redis=redis,
            )
            app.state.ctx = ctx
            attach(sio, ctx)
            stack.push_async_callback(detach, sio)

            if settings.MEMORY_TRIM_INTERVAL > 0:
                reclaimer: IdleReclaimer = app.state.reclaimer
                task = asyncio.create_task(reclaimer.run(settings.MEMORY_TRIM_INTERVAL))
                stack.callback(task.cancel)

            if settings.SCHEDULER_ENABLED:
                scheduler = build_scheduler(ctx)
                scheduler.start()
                stack.callback(scheduler.shutdown, wait=False)

            log.info(
                "app.started",
                env=settings.NODE_ENV,
                storage=type(storage).__name__,
                redis=bool(redis),
                embedded_db=not settings.DB_URL,
            )
            yield
            log.info("app.stopping")

    app = FastAPI(
        title="Videodesk API",
        version="1.0.0",
        lifespan=lifespan,
        default_response_class=AppJSONResponse,
    )
    app.state.settings = settings
    app.state.sio = sio
    # Sees HTTP and Socket.IO traffic once create_asgi_app puts it outermost;
    # with the bare FastAPI app (tests) it only trims, never collects.
    app.state.reclaimer = IdleReclaimer(app)
    install_error_handlers(app)
    install_middleware(app, settings)
    include_routers(app)
    install_openapi(app)
    return app


def create_asgi_app(settings: Settings | None = None) -> IdleReclaimer:
    """The FastAPI app with Socket.IO in front of it at ``/socket.io``, inside
    the memory reclaimer's activity tracking."""
    api = create_app(settings)
    reclaimer: IdleReclaimer = api.state.reclaimer
    reclaimer.app = socketio.ASGIApp(api.state.sio, other_asgi_app=api, socketio_path="socket.io")
    return reclaimer


app = create_asgi_app()
