"""Closed-loop HTTP load with ``wrk`` (a Lua script sets the method, body and
the browser-like headers, and prints a JSON summary at the end)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

BROWSER_ENCODING = "gzip, deflate, br"

_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = {encoding}
wrk.headers["Cookie"] = {cookie}
wrk.headers["Origin"] = {origin}

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _lua(value: str) -> str:
    # JSON string escaping is valid Lua string syntax for the characters we send.
    return json.dumps(value)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def check_request(
    url: str, method: str, cookie: str, body: dict[str, Any] | None, origin: str
) -> dict[str, Any]:
    """One request as wrk will send it; the benchmark refuses to time errors."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    request.add_header("Cookie", cookie)
    request.add_header("Origin", origin)
    with urllib.request.urlopen(request, timeout=60) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{method} {url} answered {resp.status}")
        answer: dict[str, Any] = json.loads(resp.read())
    if answer.get("success") is not True:
        raise RuntimeError(f"{method} {url} answered {answer}")
    return answer


def run_wrk(
    url: str,
    *,
    method: str,
    cookie: str,
    origin: str,
    body: dict[str, Any] | None = None,
    connections: int,
    duration_s: int,
    threads: int = 2,
    timeout_s: int = 10,
) -> dict[str, Any]:
    script = _SCRIPT.format(
        method=_lua(method),
        body=_lua(json.dumps(body)) if body is not None else "nil",
        encoding=_lua(BROWSER_ENCODING),
        cookie=_lua(cookie),
        origin=_lua(origin),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
        script_path = fh.name
    try:
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s"]
        argv += [f"--timeout={timeout_s}s", "-s", script_path, url]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script_path).unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("BENCHJSON "))
    raw: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "req_per_s": round(raw["requests"] / seconds, 1),
        "requests": raw["requests"],
        "errors": errors,
        "non_2xx": raw["status"],
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "kb_per_response": round(raw["bytes"] / max(raw["requests"], 1) / 1024, 2),
    }
