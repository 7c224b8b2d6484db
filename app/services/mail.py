"""Outgoing e-mail: aiosmtplib when ``MAIL_HOST`` is set, otherwise an outbox folder.

Every message has a plain-text part (OTPs and links must be copyable from it)
and, when a template provides one, an HTML part. Templates live in
``app/templates/email/<name>.txt`` / ``<name>.html``; Jinja2 autoescaping is on
for the HTML ones, so user-supplied values are always escaped.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.config import Settings
from app.core.logging import get_logger

log = get_logger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"

# messageSettings.selectedButtonColor → CSS colour (core-api.md §3.2).
BUTTON_COLOURS = {
    "bg-green-600": "#16a34a",
    "bg-green-800": "#166534",
    "bg-blue-800": "#1e40af",
    "bg-red-800": "#dc2626",
    "bg-purple-800": "#7c3aed",
    "bg-orange-400": "#fb923c",
    "bg-yellow-500": "#eab308",
}
DEFAULT_BUTTON_COLOUR = BUTTON_COLOURS["bg-green-800"]


def button_colour(tailwind_class: str | None) -> str:
    return BUTTON_COLOURS.get(tailwind_class or "", DEFAULT_BUTTON_COLOUR)


class MailError(Exception):
    """Sending failed; the caller maps it to the route's documented error."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str | None


_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    enable_async=False,
)


def render(template: str, subject: str, **context: Any) -> RenderedMail:
    """Render ``<template>.txt`` (required) and ``<template>.html`` (optional)."""
    text = _env.get_template(f"{template}.txt").render(**context)
    html: str | None = None
    if (TEMPLATE_DIR / f"{template}.html").exists():
        html = _env.get_template(f"{template}.html").render(subject=subject, **context)
    return RenderedMail(subject=subject, text=text, html=html)


class MailService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _message(self, to: str, mail: RenderedMail, reply_to: str | None) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.MAIL_FROM
        message["To"] = to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="videodesk")
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(mail.text)
        if mail.html:
            message.add_alternative(mail.html, subtype="html")
        return message

    async def send(self, to: str, mail: RenderedMail, *, reply_to: str | None = None) -> None:
        """Send one message to exactly the address given; raise :class:`MailError` on failure."""
        message = self._message(to, mail, reply_to)
        if not self.settings.uses_smtp:
            path = await asyncio.to_thread(self._write_outbox, message)
            log.info("mail.outbox", to=to, subject=mail.subject, path=str(path))
            return
        settings = self.settings
        use_tls = settings.MAIL_PORT == 465
        start_tls: bool | None
        if use_tls:
            start_tls = False
        elif settings.MAIL_STARTTLS == "auto":
            start_tls = None
        else:
            start_tls = settings.MAIL_STARTTLS == "true"
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.MAIL_HOST,
                port=settings.MAIL_PORT,
                username=settings.MAIL_USER or None,
                password=settings.MAIL_PASS or None,
                use_tls=use_tls,
                start_tls=start_tls,
                timeout=settings.MAIL_TIMEOUT,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.error("mail.send_failed", to=to, subject=mail.subject, error=str(exc))
            raise MailError(str(exc)) from exc
        log.info("mail.sent", to=to, subject=mail.subject)

    def _write_outbox(self, message: EmailMessage) -> Path:
        outbox = self.settings.outbox_dir / "mail"
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        return path
