"""Outgoing SMS through Twilio's async client, or an outbox folder when unconfigured.

:meth:`SmsService.send` never raises: like the original it returns a result
with a ``reason`` that the caller may show (core-api.md §16.2).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from app.core.config import Settings
from app.core.logging import get_logger

log = get_logger(__name__)

RESTRICTED_PREFIXES = ("+92", "+91", "+880")
GEO_PERMISSION_PREFIXES = ("+44", "+49", "+33", "+39", "+81")

_REASONS: list[tuple[tuple[str, ...], str]] = [
    (("Permission to send an SMS has not been enabled",), "permission_denied"),
    (("is not a valid phone number",), "invalid_number"),
    (("current combination of 'To'", "'From' parameters"), "routing_configuration"),
    (("trial",), "trial_limitation"),
    (("not a verified phone number", "verify"), "unverified_number"),
]


@dataclass(frozen=True)
class SmsResult:
    success: bool
    message: str
    sid: str | None = None
    reason: str | None = None


def normalise_uk_number(number: str) -> str:
    """The original's normalisation: strip spaces/dashes/brackets, UK local forms to +44."""
    cleaned = "".join(ch for ch in number if ch not in " -()")
    if cleaned.startswith("+"):
        return cleaned
    if cleaned.startswith("0"):
        return "+44" + cleaned[1:]
    if len(cleaned) == 10 and cleaned.startswith("7"):
        return "+44" + cleaned
    return cleaned


def classify_error(text: str) -> str:
    for needles, reason in _REASONS:
        if any(needle in text for needle in needles):
            return reason
    return "unknown_error"


def _rewriting_http_client(base_url: str) -> Any:
    """Twilio's async HTTP client with its API host swapped (staging or the test fake)."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient

    class RewritingClient(AsyncTwilioHttpClient):  # type: ignore[misc]
        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if base_url and url.startswith("https://api.twilio.com"):
                url = base_url.rstrip("/") + url[len("https://api.twilio.com") :]
            return await super().request(method, url, *args, **kwargs)

    return RewritingClient(timeout=15)


class SmsService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._http: Any = None

    async def open(self) -> None:
        if not self.settings.uses_twilio:
            log.warning("sms.disabled", detail="Twilio credentials not set; SMS go to the outbox")
            return
        from twilio.rest import Client

        self._http = _rewriting_http_client(self.settings.TWILIO_API_URL)
        self._client = Client(
            self.settings.TWILLIO_ACCOUNT_SID,
            self.settings.TWILLIO_AUTH_TOKEN,
            http_client=self._http,
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def send(self, to: str, body: str) -> SmsResult:
        if to.startswith(RESTRICTED_PREFIXES):
            return SmsResult(
                False,
                "SMS not available for this region, email used instead",
                reason="region_restricted",
            )
        if to.startswith(GEO_PERMISSION_PREFIXES):
            log.info("sms.geo_permission_needed", to_prefix=to[:3])
        if self._client is None:
            await asyncio.to_thread(self._write_outbox, to, body)
            log.info("sms.outbox", to=to)
            return SmsResult(True, "SMS sent successfully", sid=f"outbox-{uuid.uuid4().hex}")
        try:
            message = await self._client.messages.create_async(
                to=to, from_=self.settings.TWILLIO_PHONE_NUMBER, body=body
            )
        except Exception as exc:  # the SDK raises several types; all become a reason
            text = str(getattr(exc, "msg", "") or exc)
            reason = classify_error(text)
            log.warning("sms.send_failed", to=to, reason=reason, error=text)
            return SmsResult(False, text, reason=reason)
        log.info("sms.sent", to=to, sid=message.sid)
        return SmsResult(True, "SMS sent successfully", sid=message.sid)

    def _write_outbox(self, to: str, body: str) -> None:
        outbox = self.settings.outbox_dir / "sms"
        outbox.mkdir(parents=True, exist_ok=True)
        record = {"to": to, "from": self.settings.TWILLIO_PHONE_NUMBER, "body": body}
        (outbox / f"{uuid.uuid4().hex}.json").write_text(json.dumps(record))


def result_dict(result: SmsResult) -> dict[str, Any]:
    return {k: v for k, v in asdict(result).items() if v is not None}
