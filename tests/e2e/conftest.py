"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and the test pages.

Nothing here downloads a browser: Playwright only drives the system Chromium
(``/usr/bin/chromium``, or ``CHROMIUM_PATH``). The pages' one JavaScript
dependency, ``socket.io-client``, comes from ``tests/e2e/package-lock.json``
through ``npm ci`` the first time the tests run on a checkout. When Chromium,
the Python ``playwright`` package or npm is missing, the tests are skipped with
the reason, so ``make test`` still passes on a machine without a browser.

The pages are served by a small static server on 127.0.0.1 (its own port, so a
different origin from the API, as the Next.js frontend is); the API's
``FRONTEND_URL`` is set to that origin. Both are on 127.0.0.1, hence the same
site, so the ``SameSite=Lax`` cookies of a plain-HTTP setup travel with the
pages' credentialed requests and with the Socket.IO WebSocket handshake.
"""

from __future__ import annotations

import contextlib
import importlib.util
import mimetypes
import os
import re
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

E2E_DIR = Path(__file__).resolve().parent
PAGES_DIR = E2E_DIR / "pages"
SOCKET_IO_CLIENT = E2E_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
ARTIFACTS_DIR = E2E_DIR.parent / "artifacts" / "e2e"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
NPM_CI_TIMEOUT = 300

# Fake camera and microphone, permission prompts answered yes, and nothing that
# talks to the network on its own (updates, sync, QUIC, mDNS host-name lookups).
# Loopback ICE candidates are off by default in WebRTC; the test's peers only
# ever exchange loopback candidates, so they are switched on.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns,MediaRouter,OptimizationHints,Translate",
]


@dataclass(frozen=True)
class BrowserKit:
    chromium: Path
    socket_io_client: Path


def _chromium_path() -> Path | None:
    candidate = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    path = Path(candidate)
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _install_page_dependencies() -> str | None:
    """Run ``npm ci`` for the pages when ``node_modules`` is missing; an error text on failure."""
    if SOCKET_IO_CLIENT.is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed (needed once for socket.io-client: npm ci --prefix tests/e2e)"
    try:
        subprocess.run(
            [npm, "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"],
            check=True,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = getattr(exc, "stderr", "") or ""
        return f"npm ci --prefix tests/e2e failed: {str(output).strip()[-400:] or exc}"
    if not SOCKET_IO_CLIENT.is_file():
        return f"npm ci did not produce {SOCKET_IO_CLIENT.relative_to(E2E_DIR)}"
    return None


@pytest.fixture(scope="session")
def browser_kit() -> BrowserKit:
    """Everything the browser tests need on the machine, or a skip that says what is missing."""
    chromium = _chromium_path()
    if chromium is None:
        pytest.skip(
            f"Chromium not found at {os.environ.get('CHROMIUM_PATH') or DEFAULT_CHROMIUM}"
            " (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the Python package playwright is not installed (pip install -e '.[dev]')")
    problem = _install_page_dependencies()
    if problem is not None:
        pytest.skip(problem)
    return BrowserKit(chromium=chromium, socket_io_client=SOCKET_IO_CLIENT)


_ADMIN_ROOM = re.compile(r"^/room/admin/[^/]+$")
_RESIDENT_ROOM = re.compile(r"^/room/[^/]+$")


class _PageHandler(BaseHTTPRequestHandler):
    """Serves the two call pages at the frontend's own paths, plus their assets."""

    server_version = "videodesk-e2e-pages"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        target: Path | None
        if _ADMIN_ROOM.match(path):
            target = PAGES_DIR / "landlord.html"
        elif _RESIDENT_ROOM.match(path):
            target = PAGES_DIR / "resident.html"
        elif path == "/vendor/socket.io.min.js":
            target = SOCKET_IO_CLIENT
        elif path.startswith("/pages/") and "/" not in path[len("/pages/") :]:
            target = PAGES_DIR / path[len("/pages/") :]
        else:
            target = None
        if target is None or not target.is_file():
            self.send_error(404)
            return
        body = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the pages' own console log is kept as an artifact instead."""


@dataclass
class PageServer:
    origin: str

    def landlord_url(self, token: str, api: str) -> str:
        return f"{self.origin}/room/admin/{token}?api={api}"

    def resident_url(self, token: str, api: str) -> str:
        return f"{self.origin}/room/{token}?api={api}"


@pytest.fixture(scope="session")
def page_server(browser_kit: BrowserKit) -> Iterator[PageServer]:
    """The frontend stand-in: a static server on its own 127.0.0.1 port (its own origin)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="e2e-pages", daemon=True)
    thread.start()
    try:
        yield PageServer(origin=f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def browser(browser_kit: BrowserKit) -> AsyncIterator[Browser]:
    """Headless system Chromium under Playwright (never a downloaded browser build)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(browser_kit.chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=60_000,
        )
        try:
            yield launched
        finally:
            with contextlib.suppress(Exception):
                await launched.close()


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """tests/artifacts/e2e/<test name>/ (gitignored), emptied at the start of the test."""
    target = ARTIFACTS_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    return target
