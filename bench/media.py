"""B3 (media throughput through meetings/create vs. a straight S3 PUT) and
B7 (server memory while one 100 MB recording goes through)."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
import uuid
from typing import Any

import aioboto3
import aiohttp

from bench.env import FRONTEND, Backends, Service, read_status, reset_peak
from bench.http_load import BROWSER_ENCODING

MB = 1_000_000


def _data_url(mime: str, raw: bytes) -> bytes:
    return b"data:" + mime.encode() + b";base64," + base64.b64encode(raw)


class CreateBody:
    """The create body, built once; only ``meeting_id`` changes per request."""

    def __init__(self, webm: bytes, png: bytes | None) -> None:
        now = b'"2025-06-01T10:00:00.000Z"'
        parts = [b'{"recordings":[{"data":"', _data_url("video/webm;codecs=vp8,opus", webm)]
        parts += [b'","timestamp":', now, b',"duration":42,"size":', str(len(webm)).encode()]
        parts.append(b"}]")
        if png is not None:
            parts += [b',"screenshots":[{"data":"', _data_url("image/png", png)]
            parts += [b'","timestamp":', now, b"}]"]
        parts.append(b',"name":"Bench meeting","post_code":"LS1 1AB","meeting_id":"')
        self.head = b"".join(parts)
        self.media_bytes = len(webm) + (len(png) if png is not None else 0)

    def body(self) -> bytes:
        return self.head + f"bench-{uuid.uuid4()}".encode() + b'"}'


def _headers(token: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Accept-Encoding": BROWSER_ENCODING,
        "Cookie": f"token={token}",
        "Origin": FRONTEND,
    }


async def _post_creates(
    service: Service, token: str, body: CreateBody, requests: int, concurrency: int
) -> tuple[float, list[float], int]:
    url = service.base + "/api/v1/meetings/create"
    queue = list(range(requests))
    latencies: list[float] = []
    failures = 0
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def worker() -> None:
            nonlocal failures
            while queue:
                queue.pop()
                payload = body.body()
                started = time.perf_counter()
                async with session.post(url, data=payload, headers=_headers(token)) as resp:
                    answer = await resp.json()
                    if (
                        resp.status != 201
                        or answer.get("upload_summary", {}).get("recordings_uploaded") != 1
                    ):
                        failures += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


async def _s3_ceiling(
    back: Backends, webm: bytes, png: bytes, requests: int, concurrency: int
) -> float:
    session = aioboto3.Session(
        aws_access_key_id="bench", aws_secret_access_key="bench-secret", region_name="us-east-1"
    )
    queue = list(range(requests))
    async with session.client("s3", endpoint_url=back.moto.url) as s3:

        async def worker() -> None:
            while queue:
                n = queue.pop()
                await s3.put_object(
                    Bucket="bench-media",
                    Key=f"ceiling/{n}.webm",
                    Body=webm,
                    ContentType="video/webm",
                )
                await s3.put_object(
                    Bucket="bench-media", Key=f"ceiling/{n}.png", Body=png, ContentType="image/png"
                )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


def run_b3(
    back: Backends, service: Service, token: str, requests: int, concurrency: int = 4
) -> dict[str, Any]:
    webm = os.urandom(5 * MB)
    png = os.urandom(200_000)
    body = CreateBody(webm, png)
    total = body.media_bytes * requests
    ceiling_s = asyncio.run(_s3_ceiling(back, webm, png, requests, concurrency))
    elapsed, latencies, failures = asyncio.run(
        _post_creates(service, token, body, requests, concurrency)
    )
    latencies.sort()
    service_mb_s = total / elapsed / MB
    ceiling_mb_s = total / ceiling_s / MB
    return {
        "service_mb_s": round(service_mb_s, 1),
        "ceiling_mb_s": round(ceiling_mb_s, 1),
        "ratio": round(service_mb_s / ceiling_mb_s, 3),
        "failures": failures,
        "p50_s": round(latencies[len(latencies) // 2], 3),
        "request_body_mb": round(len(body.body()) / MB, 2),
    }


def run_b7(service: Service, token: str, size: int = 100 * MB) -> dict[str, Any]:
    """Peak RSS growth of the (single) server process while one create with a
    ``size``-byte recording is handled, against its idle RSS just before."""
    body = CreateBody(os.urandom(size), None)
    payload = body.body()
    pid = service.worker_pids()[0]
    time.sleep(1)
    baseline = read_status(pid, "VmRSS")
    peak_reset = reset_peak(pid)
    polled = {"max": baseline}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            polled["max"] = max(polled["max"], read_status(pid, "VmRSS"))
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()

    async def send() -> tuple[int, float]:
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            started = time.perf_counter()
            url = service.base + "/api/v1/meetings/create"
            async with session.post(url, data=payload, headers=_headers(token)) as resp:
                await resp.read()
                return resp.status, time.perf_counter() - started

    status, seconds = asyncio.run(send())
    stop.set()
    poller.join()
    peak = read_status(pid, "VmHWM") if peak_reset else polled["max"]
    peak = max(peak, polled["max"])
    growth_mb = (peak - baseline) * 1024 / MB
    return {
        "status": status,
        "body_mb": round(len(payload) / MB, 1),
        "recording_mb": round(size / MB, 1),
        "baseline_rss_mb": round(baseline * 1024 / MB, 1),
        "peak_growth_mb": round(growth_mb, 1),
        "growth_x_body": round(growth_mb * MB / len(payload), 2),
        "seconds": round(seconds, 2),
    }
