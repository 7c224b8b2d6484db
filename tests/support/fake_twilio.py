"""A local HTTP fake of Twilio's Messages API, for sending SMS without the internet.

``FakeTwilio`` is a real HTTP server (stdlib ``ThreadingHTTPServer``, in a
background thread) that answers ``POST /2010-04-01/Accounts/<sid>/Messages.json``
the way api.twilio.com does, records every message, and can be told to fail
with a Twilio error (``fail_with``) so the SDK raises ``TwilioRestException``.

Pointing the twilio SDK (twilio==9.13.0) at the fake
---------------------------------------------------
The SDK builds absolute ``https://api.twilio.com/...`` URLs in its ``Domain``
objects and hands them to the client's ``http_client.request()``; there is no
base-URL setting. The least invasive hook is that ``request()``: the
subclass below rewrites the scheme and host of any ``*.twilio.com`` URL and
leaves path, query, auth and body as the SDK made them. It has to be built
inside a running event loop (it opens an aiohttp session) and closed with
``await http_client.close()``. The application keeps its own copy of it
(the app must not import from tests); ``test_support_servers`` runs exactly the
text between the markers below::

    # --- begin snippet ---
    from typing import Any
    from urllib.parse import urlsplit, urlunsplit

    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.http.response import Response


    class RedirectingAsyncTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
        \"\"\"AsyncTwilioHttpClient that sends every *.twilio.com request to ``base_url``.\"\"\"

        def __init__(self, base_url: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            target = urlsplit(base_url)
            self._scheme, self._netloc = target.scheme, target.netloc

        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
            parts = urlsplit(url)
            if parts.hostname is not None and parts.hostname.endswith(".twilio.com"):
                url = urlunsplit(parts._replace(scheme=self._scheme, netloc=self._netloc))
            return await super().request(method, url, *args, **kwargs)
    # --- end snippet ---

and then, in async code::

    http_client = RedirectingAsyncTwilioHttpClient(fake.url)
    client = Client(account_sid, auth_token, http_client=http_client)  # twilio.rest.Client
    message = await client.messages.create_async(to="+15005550006", from_="+15005550001",
                                                 body="Your code is 1234")
    await http_client.close()
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

__all__ = ["FakeTwilio", "SentSms"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
API_VERSION = "2010-04-01"
_MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages\.json$")


@dataclass
class SentSms:
    to: str
    from_: str | None
    body: str
    account_sid: str
    sid: str = ""
    messaging_service_sid: str | None = None
    auth_user: str | None = None


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    # Twilio's legacy error shape; without "type"/"title" the SDK raises
    # TwilioRestException (not TwilioServiceException) with msg, code and status.
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _message_resource(sms: SentSms) -> dict[str, Any]:
    now = format_datetime(datetime.now(UTC))
    uri = f"/{API_VERSION}/Accounts/{sms.account_sid}/Messages/{sms.sid}"
    return {
        "account_sid": sms.account_sid,
        "api_version": API_VERSION,
        "body": sms.body,
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sms.from_,
        "messaging_service_sid": sms.messaging_service_sid,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sms.sid,
        "status": "accepted" if sms.messaging_service_sid and not sms.from_ else "queued",
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": sms.to,
        "uri": f"{uri}.json",
    }


def _basic_auth_user(header: str | None) -> str | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, sep, _password = decoded.partition(":")
    return user if sep else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FakeTwilio

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # shutdown() only stops accepting: kept-alive connections would go on being
        # served by their threads, and a "stopped" Twilio would still answer.
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Keep-alive like the real API: aiohttp pools connections.
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake twilio: " + format, *args)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        match = _MESSAGES_PATH.match(self.path.split("?", 1)[0])
        if match is None:
            self._send(404, _error(404, 20404, "The requested resource was not found"))
            return
        auth_user = _basic_auth_user(self.headers.get("Authorization"))
        if auth_user is None:
            self._send(401, _error(401, 20003, "Authenticate"))
            return
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        sms = SentSms(
            to=form.get("To", ""),
            from_=form.get("From"),
            body=form.get("Body", ""),
            account_sid=match.group("sid"),
            sid="SM" + secrets.token_hex(16),
            messaging_service_sid=form.get("MessagingServiceSid"),
            auth_user=auth_user,
        )
        status, payload = self.server.owner._handle(sms, form)
        self._send(status, payload)

    def do_GET(self) -> None:
        self._send(404, _error(404, 20404, "The requested resource was not found"))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeTwilio:
    """Records SMS sent through the Twilio Messages API; ``url`` replaces https://api.twilio.com."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.messages: list[SentSms] = []
        # Requests answered with an error (``fail_with`` or a validation error).
        self.rejected: list[SentSms] = []
        # (HTTP status, Twilio error code, message), e.g. (400, 21211, "Invalid 'To' Phone Number").
        self.fail_with: tuple[int, int, str] | None = None
        # Seconds to sleep before answering, to exercise the application's timeouts.
        self.delay: float = 0.0
        self._lock = threading.Lock()
        self._claimed: set[int] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Listen on ``port`` (a free one first; the same one again after ``stop()``)."""
        if self._server is not None:
            return
        server = _Server((HOST, self.port))
        server.owner = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-twilio-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.debug("fake Twilio listening on %s", self.url)

    def stop(self) -> None:
        """Stop listening and drop open connections; ``start()`` reuses the same port."""
        server, self._server = self._server, None
        thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.rejected.clear()
            self._claimed.clear()
        self.fail_with = None
        self.delay = 0.0

    def snapshot(self) -> list[SentSms]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, to: str, timeout: float = 5.0) -> SentSms:
        """The oldest SMS to ``to`` not returned by an earlier call (each is handed out once)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for index, sms in enumerate(self.messages):
                    if index not in self._claimed and sms.to == to:
                        self._claimed.add(index)
                        return sms
                seen = [m.to for m in self.messages]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no SMS to {to!r} within {timeout}s; sent to: {seen}")
            time.sleep(0.02)

    def _handle(self, sms: SentSms, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.delay > 0:
            time.sleep(self.delay)
        failure = self.fail_with or self._validate(sms, form)
        if failure is not None:
            with self._lock:
                self.rejected.append(sms)
            status, code, message = failure
            return status, _error(status, code, message)
        with self._lock:
            self.messages.append(sms)
        log.debug("fake Twilio accepted SMS to %s", sms.to)
        return 201, _message_resource(sms)

    @staticmethod
    def _validate(sms: SentSms, form: dict[str, str]) -> tuple[int, int, str] | None:
        if not sms.to:
            return 400, 21604, "A 'To' phone number is required."
        if not sms.from_ and not sms.messaging_service_sid:
            return 400, 21603, "A 'From' phone number is required."
        if not sms.body and "MediaUrl" not in form:
            return 400, 21602, "Message body is required."
        return None
