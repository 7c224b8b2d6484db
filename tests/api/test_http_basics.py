"""Cross-cutting HTTP behaviour: envelope, CORS/CSRF, body limit, timeout, health/ready."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from app.core.config import Settings
from app.core.errors import NotFound
from app.models.user import User
from tests.conftest import FRONTEND, Servers, make_client, running_app
from tests.support.servers import free_port, restart, start_mongo

EVIL = "https://evil.example"


class Echo(BaseModel):
    name: str
    count: int


def add_probe_routes(app: FastAPI) -> None:
    """Routes that exist only in these tests, mounted behind the real middleware."""

    @app.post("/_probe/echo")
    async def echo(body: Echo) -> dict[str, Any]:
        return {"success": True, "name": body.name}

    @app.get("/_probe/slow")
    async def slow() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"success": True}

    @app.delete("/_probe/slow")
    async def slow_delete() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"success": True}

    @app.get("/_probe/boom")
    async def boom() -> dict[str, Any]:
        raise RuntimeError("secret internal detail")

    @app.get("/_probe/missing")
    async def missing() -> dict[str, Any]:
        raise NotFound("Meeting not found")

    @app.get("/_probe/users")
    async def users() -> dict[str, Any]:
        return {"success": True, "count": await User.count()}

    @app.get("/_probe/big")
    async def big() -> dict[str, Any]:
        return {"success": True, "data": "x" * 5000}


@pytest.fixture
async def probe_client(
    settings_factory: Callable[..., Settings],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_factory(REQUEST_TIMEOUT=300, DELETE_TIMEOUT=200, MAX_FILE_SIZE="1mb")
    async with running_app(settings) as app:
        add_probe_routes(app)
        async with make_client(app) as http:
            yield http


async def test_unknown_path_is_a_json_404_envelope(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found"}


async def test_app_errors_render_into_the_envelope(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/_probe/missing")
    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Meeting not found"}


async def test_validation_errors_are_400_with_a_message_not_fastapis_422(
    probe_client: httpx.AsyncClient,
) -> None:
    response = await probe_client.post("/_probe/echo", json={"name": "a", "count": "many"})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["message"].startswith("Invalid count")
    assert "detail" not in body


async def test_malformed_json_is_a_400_envelope(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/_probe/echo", content=b'{"name": "a",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": "Malformed JSON body"}


async def test_unexpected_error_is_a_500_envelope_without_internals(
    probe_client: httpx.AsyncClient,
) -> None:
    response = await probe_client.get("/_probe/boom", headers={"origin": FRONTEND})
    assert response.status_code == 500
    assert response.json() == {"success": False, "message": "Internal Server Error"}
    assert "secret" not in response.text
    assert response.headers["access-control-allow-origin"] == FRONTEND


async def test_cors_echoes_the_frontend_origin_with_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"origin": FRONTEND})
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-allow-credentials"] == "true"


async def test_cors_preflight_without_cookies_succeeds_for_the_frontend(
    client: httpx.AsyncClient,
) -> None:
    response = await client.options(
        "/api/v1/meetings/create",
        headers={
            "origin": FRONTEND,
            "access-control-request-method": "PATCH",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "PATCH" in response.headers["access-control-allow-methods"]


async def test_cors_never_reflects_an_unknown_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"origin": EVIL})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/api/v1/me", headers={"origin": EVIL, "access-control-request-method": "GET"}
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers


async def test_state_changing_request_from_foreign_origin_is_refused(
    probe_client: httpx.AsyncClient,
) -> None:
    refused = await probe_client.post(
        "/_probe/echo", json={"name": "a", "count": 1}, headers={"origin": EVIL}
    )
    assert refused.status_code == 403
    assert refused.json() == {"success": False, "message": "Origin not allowed"}
    allowed = await probe_client.post(
        "/_probe/echo", json={"name": "a", "count": 1}, headers={"origin": FRONTEND}
    )
    assert allowed.status_code == 200


async def test_declared_oversize_body_gets_the_originals_413(
    probe_client: httpx.AsyncClient,
) -> None:
    response = await probe_client.post(
        "/_probe/echo",
        content=b"x" * (1024 * 1024 + 1),
        headers={"content-type": "application/json", "origin": FRONTEND},
    )
    assert response.status_code == 413
    body = response.json()
    assert body == {
        "success": False,
        "message": "File size too large. Maximum allowed size is 1mb. Please compress your files.",
        "details": "Current limit: 1mb",
    }
    assert response.headers["access-control-allow-origin"] == FRONTEND


async def test_streamed_oversize_body_is_cut_off_while_streaming(
    probe_client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        # 64 chunks of 64 KiB = 4 MiB without a Content-Length header.
        for _ in range(64):
            sent += 65536
            yield b"a" * 65536

    response = await probe_client.post(
        "/_probe/echo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "File size too large" in response.json()["message"]
    assert sent == 64 * 65536  # the body was drained, not reset


async def test_request_over_budget_gets_408_with_timeout_in_the_message(
    probe_client: httpx.AsyncClient,
) -> None:
    response = await probe_client.get("/_probe/slow")
    assert response.status_code == 408
    assert response.json() == {
        "success": False,
        "message": "Upload timeout. Please try with smaller files or check your connection.",
        "timeout_duration": "300ms",
    }


async def test_delete_has_its_own_shorter_budget(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.delete("/_probe/slow")
    assert response.status_code == 408
    body = response.json()
    assert body["message"] == "Delete operation timeout. The item may have been deleted."
    assert body["timeout_duration"] == "200ms"


async def test_json_is_gzipped_for_browsers(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/_probe/big", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["data"] == "x" * 5000
    raw = await probe_client.get("/_probe/big", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


async def test_security_headers_and_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "abc123"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-request-id"] == "abc123"


async def test_root_status_does_not_expose_the_bucket(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json()["message"].startswith("Server is running")
    assert settings.S3_BUCKET_NAME not in response.text


async def test_health_and_ready_when_everything_is_up(
    settings_factory: Callable[..., Settings], servers: Servers
) -> None:
    redis = servers.redis()
    async with running_app(settings_factory(REDIS_URL=redis.url)) as app:
        async with make_client(app) as http:
            assert (await http.get("/health")).json() == {"status": "ok"}
            ready = await http.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {
            "mongo": {"status": "up"},
            "storage": {"status": "up"},
            "redis": {"status": "up"},
        },
    }


async def test_ready_reports_storage_and_redis_down(
    settings_factory: Callable[..., Settings],
) -> None:
    dead = free_port()
    settings = settings_factory(
        S3_ENDPOINT_URL=f"http://127.0.0.1:{dead}",
        S3_MAX_RETRIES=1,
        S3_CONNECTION_TIMEOUT=200,
        REDIS_URL=f"redis://127.0.0.1:{dead}/0",
    )
    async with running_app(settings) as app, make_client(app) as http:
        assert (await http.get("/health")).status_code == 200
        ready = await http.get("/ready")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["mongo"] == {"status": "up"}
    assert checks["storage"]["status"] == "down"
    assert checks["redis"]["status"] == "down"


async def test_mongo_down_gives_503_then_recovers_without_restart(
    settings_factory: Callable[..., Settings], servers: Servers
) -> None:
    mongo = start_mongo(servers.root / f"mongo-{free_port()}", log_dir=servers.root / "logs")
    try:
        settings = settings_factory(DB_URL=f"{mongo.url}/fault", MONGO_TIMEOUT_MS=500)
        async with running_app(settings) as app:
            add_probe_routes(app)
            async with make_client(app) as http:
                assert (await http.get("/_probe/users")).json() == {"success": True, "count": 0}
                mongo.stop()
                down = await http.get("/_probe/users")
                assert down.status_code == 503
                assert down.json()["success"] is False
                ready = await http.get("/ready")
                assert ready.status_code == 503
                assert ready.json()["checks"]["mongo"]["status"] == "down"
                mongo = restart(mongo)
                for _ in range(50):
                    recovered = await http.get("/_probe/users")
                    if recovered.status_code == 200:
                        break
                    await asyncio.sleep(0.2)
                assert recovered.json() == {"success": True, "count": 0}
                assert (await http.get("/ready")).status_code == 200
    finally:
        mongo.stop()
