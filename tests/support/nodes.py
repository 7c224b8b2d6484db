"""``uvicorn app.main:app`` subprocesses configured only through the environment.

Used by the two-node tests (signaling across processes, the resilience
two-node run) and by the graceful-shutdown test: each node is a real server
process, like a deployment with two workers or two hosts sharing MongoDB,
Redis and S3.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.core.config import Settings
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
FRONTEND = "http://localhost:3000"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass
class Node:
    url: str
    proc: asyncio.subprocess.Process
    log_path: Path
    port: int = 0

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def node_env(
    settings: Settings, redis_url: str, port: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "MAIL_", "TWILL"))}
    env.update(
        {
            "NODE_ENV": "test",
            "PORT": str(port),
            "DB_URL": settings.DB_URL,
            "REDIS_URL": redis_url,
            "ENABLE_CLUSTER": "true",
            "JWT_SECRET": settings.JWT_SECRET,
            "FRONTEND_URL": FRONTEND,
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "S3_BUCKET_NAME": settings.S3_BUCKET_NAME,
            "S3_ENDPOINT_URL": settings.S3_ENDPOINT_URL,
            "S3_ACCESS_KEY": settings.S3_ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": settings.S3_SECRET_ACCESS_KEY,
            "AWS_REGION": settings.AWS_REGION,
            "S3_PART_SIZE": str(settings.S3_PART_SIZE),
            "MAIL_HOST": settings.MAIL_HOST,
            "MAIL_PORT": str(settings.MAIL_PORT),
            "MAIL_STARTTLS": "false",
            "SCHEDULER_ENABLED": "false",
            "DATA_DIR": str(settings.DATA_DIR / f"node-{port}"),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra or {})
    return env


async def start_node(
    settings: Settings, redis_url: str, log_dir: Path, extra_env: dict[str, str] | None = None
) -> Node:
    """Start a node on a free port and wait until ``/health`` answers."""
    port = free_port()
    log_path = log_dir / f"node-{port}.log"
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "websockets",
            cwd=REPO,
            env=node_env(settings, redis_url, port, extra_env),
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
        )
    node = Node(url=f"http://127.0.0.1:{port}", proc=proc, log_path=log_path, port=port)
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=node.url) as http:
        while True:
            if proc.returncode is not None:
                raise RuntimeError(f"node exited:\n{log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/health")).status_code == 200:
                    return node
            if asyncio.get_running_loop().time() > deadline:
                await stop_node(node)
                raise RuntimeError(f"node did not start:\n{log_path.read_text()[-3000:]}")
            await asyncio.sleep(0.1)


async def stop_node(node: Node, timeout: float = STOP_TIMEOUT) -> int | None:
    """SIGTERM (graceful), SIGKILL after ``timeout``; returns the exit code."""
    if node.proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            node.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(node.proc.wait(), timeout)
        except TimeoutError:
            node.proc.kill()
            await node.proc.wait()
    return node.proc.returncode
