"""Shared fixtures: real servers started once per run, a fresh database and bucket per test.

Servers (all on 127.0.0.1, started by the test session itself):
- SecantusDB (MongoDB wire protocol) — one server, one new database per test;
- moto_server (S3 HTTP API) — one new bucket per test;
- an aiosmtpd sink that captures every mail;
- a fake Twilio HTTP endpoint the real twilio SDK is pointed at;
- redis-server — started lazily, only for tests that ask for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pymongo import MongoClient

from app.core.config import Settings
from app.main import create_app
from app.services.context import AppContext
from tests.support.fake_twilio import FakeTwilio
from tests.support.servers import ServerProcess, free_port, start_mongo, start_moto, start_redis
from tests.support.smtp_sink import SmtpSink

FRONTEND = "http://localhost:3000"


@dataclass
class Servers:
    root: Path
    mongo: ServerProcess
    moto: ServerProcess
    smtp: SmtpSink
    twilio: FakeTwilio
    _redis: ServerProcess | None = None

    def redis(self) -> ServerProcess:
        if self._redis is None or not self._redis.alive():
            self._redis = start_redis(self.root / "redis", log_dir=self.root / "logs")
        return self._redis


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with tempfile.TemporaryDirectory(prefix="videodesk-tests-") as tmp:
        root = Path(tmp)
        (root / "redis").mkdir()
        mongo = start_mongo(root / "mongo", log_dir=root / "logs")
        moto = start_moto(log_dir=root / "logs")
        smtp = SmtpSink()
        smtp.start()
        twilio = FakeTwilio()
        twilio.start()
        running = Servers(root=root, mongo=mongo, moto=moto, smtp=smtp, twilio=twilio)
        try:
            yield running
        finally:
            twilio.stop()
            smtp.stop()
            for server in (running._redis, moto, mongo):
                if server is not None:
                    server.stop()


@pytest.fixture
def smtp(servers: Servers) -> SmtpSink:
    servers.smtp.clear()
    return servers.smtp


@pytest.fixture
def twilio(servers: Servers) -> FakeTwilio:
    servers.twilio.clear()
    servers.twilio.fail_with = None
    return servers.twilio


def _s3_client(servers: Servers) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=servers.moto.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def s3(servers: Servers) -> Any:
    """A plain boto3 client on the moto server, for assertions about the bucket."""
    return _s3_client(servers)


@pytest.fixture
def settings_factory(servers: Servers, tmp_path: Path) -> Iterator[Callable[..., Settings]]:
    """Build Settings for a fresh database and bucket; keyword overrides win."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    bucket = f"b-{uuid.uuid4().hex[:12]}"
    _s3_client(servers).create_bucket(Bucket=bucket)

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "NODE_ENV": "test",
            "PORT": 4000,
            "FRONTEND_URL": FRONTEND,
            "JWT_SECRET": "test-secret-0123456789abcdef",
            "DB_URL": f"{servers.mongo.url}/{database}",
            "DATA_DIR": tmp_path / "data",
            "S3_BUCKET_NAME": bucket,
            "S3_ENDPOINT_URL": servers.moto.url,
            "S3_ACCESS_KEY": "test",
            "S3_SECRET_ACCESS_KEY": "test",
            "S3_PART_SIZE": 5 * 1024 * 1024,
            "AWS_REGION": "us-east-1",
            "MAIL_HOST": servers.smtp.host,
            "MAIL_PORT": servers.smtp.port,
            "MAIL_STARTTLS": "false",
            "MAIL_FROM": "Videodesk <no-reply@videodesk.test>",
            "TWILLIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILLIO_AUTH_TOKEN": "test-token",
            "TWILLIO_PHONE_NUMBER": "+15005550006",
            "TWILIO_API_URL": servers.twilio.url,
            "SCHEDULER_ENABLED": False,
            "LOG_LEVEL": "WARNING",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    yield factory
    with contextlib.suppress(Exception):
        MongoClient(servers.mongo.url, serverSelectionTimeoutMS=2000).drop_database(database)


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@contextlib.asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """An app with its lifespan entered (clients open), without a network server."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(settings) as started:
        yield started


@pytest.fixture
def ctx(app: FastAPI) -> AppContext:
    context: AppContext = app.state.ctx
    return context


def make_client(app: FastAPI, **kwargs: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def ctx(self) -> AppContext:
        context: AppContext = self.app.state.ctx
        return context

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 15)


async def start_live_server(settings: Settings) -> LiveServer:
    """A real uvicorn server (HTTP + Socket.IO) on a free port, in this event loop."""
    import socketio

    from app.main import create_app as factory

    api = factory(settings)
    asgi = socketio.ASGIApp(api.state.sio, other_asgi_app=api, socketio_path="socket.io")
    port = free_port()
    config = uvicorn.Config(
        asgi, host="127.0.0.1", port=port, log_config=None, lifespan="on", ws="websockets"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(300):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    else:
        raise RuntimeError("live server did not start")
    return LiveServer(url=f"http://127.0.0.1:{port}", app=api, server=server, task=task)


@pytest.fixture
async def live_server_factory() -> AsyncIterator[Callable[[Settings], Awaitable[LiveServer]]]:
    started: list[LiveServer] = []

    async def factory(settings: Settings) -> LiveServer:
        live = await start_live_server(settings)
        started.append(live)
        return live

    yield factory
    for live in started:
        with contextlib.suppress(Exception):
            await live.stop()
