"""A real SMTP server (aiosmtpd, in its own thread) that keeps every message it accepts.

The application under test talks plain SMTP to it exactly as it would to a relay:
no STARTTLS is offered, and AUTH PLAIN/LOGIN is accepted with any credentials
(the logins are kept in ``auth_logins``), so both a credential-less and a
credentialed mail configuration work against it.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .servers import free_port

__all__ = ["CapturedMail", "SmtpSink", "extract_otp", "extract_url"]

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure"
_START_ATTEMPTS = 3


@dataclass
class CapturedMail:
    mail_from: str
    rcpt_tos: list[str]
    subject: str
    text: str
    html: str | None
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The full parsed message, for headers and attachments."""
        return _parse(self.raw)


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    return content if isinstance(content, str) else None


def _capture(mail_from: str | None, rcpt_tos: list[str], raw: bytes) -> CapturedMail:
    msg = _parse(raw)
    return CapturedMail(
        mail_from=mail_from or "",
        rcpt_tos=list(rcpt_tos),
        subject=str(msg.get("subject", "")),
        text=_body(msg, "plain") or "",
        html=_body(msg, "html"),
        raw=raw,
    )


class _Handler:
    """aiosmtpd calls these hooks on the sink's thread."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self._sink._take_failure():
            return TEMPORARY_FAILURE
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        mail = _capture(envelope.mail_from, envelope.rcpt_tos, raw)
        self._sink._record(mail)
        log.debug("captured mail to %s: %s", mail.rcpt_tos, mail.subject)
        return "250 OK"


class SmtpSink:
    """Collects mail sent to ``host:port``; ``wait_for`` finds it for a test."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or 0
        self.messages: list[CapturedMail] = []
        self.auth_logins: list[str] = []
        # Replies "451 4.3.0 Temporary failure" to the next ``fail_next`` DATA commands.
        self.fail_next = 0
        self._lock = threading.Lock()
        self._claimed: set[int] = set()
        self._controller: Controller | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Listen on ``port`` (a free one on first start; the same one on a later start)."""
        if self._controller is not None:
            return
        chosen_by_us = self.port == 0
        for attempt in range(1, _START_ATTEMPTS + 1):
            if chosen_by_us:
                self.port = free_port()
            # A Controller closes its event loop on stop, so each start needs a new one.
            controller = Controller(
                _Handler(self),
                hostname=self.host,
                port=self.port,
                # Without it aiosmtpd resolves the machine's FQDN on every connection.
                server_hostname="smtp-sink.localhost",
                authenticator=self._authenticate,
                auth_require_tls=False,
            )
            try:
                controller.start()
            except OSError:
                if not chosen_by_us or attempt == _START_ATTEMPTS:
                    raise
                log.info("SMTP sink could not bind port %d, retrying", self.port)
                continue
            self._controller = controller
            log.debug("SMTP sink listening on %s:%d", self.host, self.port)
            return

    def stop(self) -> None:
        """Stop listening; messages are kept, and ``start()`` reuses the same port."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- captured mail --------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.auth_logins.clear()
            self._claimed.clear()
            self.fail_next = 0

    def snapshot(self) -> list[CapturedMail]:
        with self._lock:
            return list(self.messages)

    def wait_for(
        self, to: str, timeout: float = 5.0, subject_contains: str | None = None
    ) -> CapturedMail:
        """The oldest message to ``to`` (matching the subject) not returned by an earlier call.

        Each message is handed out once, so two successive calls after two sends
        (e.g. an OTP and its resend) return the first and then the second message.
        """
        wanted = to.strip().lower()
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for index, mail in enumerate(self.messages):
                    if index in self._claimed:
                        continue
                    if wanted not in (r.lower() for r in mail.rcpt_tos):
                        continue
                    if subject_contains is not None and subject_contains not in mail.subject:
                        continue
                    self._claimed.add(index)
                    return mail
                seen = [(m.rcpt_tos, m.subject) for m in self.messages]
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no mail to {to!r}"
                    + (f" with subject containing {subject_contains!r}" if subject_contains else "")
                    + f" within {timeout}s; received (recipients, subject): {seen}"
                )
            time.sleep(0.02)

    # -- called from the SMTP thread ------------------------------------------------------

    def _record(self, mail: CapturedMail) -> None:
        with self._lock:
            self.messages.append(mail)

    def _take_failure(self) -> bool:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return True
            return False

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            with self._lock:
                self.auth_logins.append(auth_data.login.decode("utf-8", errors="replace"))
        return AuthResult(success=True)


_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}>'\""


def extract_otp(text: str, digits: int = 4) -> str:
    """The first run of exactly ``digits`` digits that is not part of a longer number."""
    match = re.search(rf"(?<!\d)\d{{{digits}}}(?!\d)", text)
    if match is None:
        raise AssertionError(f"no {digits}-digit code in: {text!r}")
    return match.group(0)


def extract_url(text: str, contains: str) -> str:
    """The first http(s) URL in ``text`` containing ``contains``, without trailing punctuation."""
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        # URLs copied out of an HTML body keep their escaped query separators.
        url = url.replace("&amp;", "&")
        if contains in url:
            return url
    raise AssertionError(f"no URL containing {contains!r} in: {text!r}")
