"""Invite links to a video room, the sender's branding behind them, the friend
link and the demo-code mail (core-api.md §3, §9, §10.1, §10.2, §16).

Room links look like ``<FRONTEND_URL>/room/<uuid>?sid=<sid>``; ``sid`` names
the landlord who sent the link so the resident's room page can show their
branding (``GET /room-user-info?userId=<sid>``).

Two ``sid`` formats are accepted:

- **signed** (issued by this port): ``<24-hex user id>.<32-hex HMAC>``, the
  HMAC keyed with ``JWT_SECRET`` under the purpose ``"sid"``. It always decodes
  to the right id and cannot be forged; a bad signature is refused.
- **legacy** (the original's ``encryptUserId``): the reversed id between 3–5
  random lowercase letters on each side. Because padding letters ``a``–``f``
  are hex digits too, the original's first-match decoding picked a wrong id for
  about one link in ten. Here every (prefix, suffix) window is evaluated, and
  the candidate that is an existing user wins; with no existing candidate the
  original's first match is reported (so the 404 names the same id it would
  have). ``LEGACY_SID_ENABLED=false`` stops accepting them.

Sending (SMS and/or e-mail) happens after the response, in the background:
:func:`prepare_invite` validates, rate-limits and returns the link plus a
``deliver`` coroutine function the route schedules. Failures are logged only,
as the response has already been sent.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bson import ObjectId
from bson.errors import InvalidId

from app.core.config import Settings
from app.core.errors import AppError, BadRequest, NotFound, ResponseBody, TooManyRequests
from app.core.logging import get_logger
from app.core.ratelimit import Limit
from app.core.security import sign_value
from app.models.user import LandlordInfo, MessageSettings, User
from app.services.context import AppContext
from app.services.mail import MailError, button_colour, render
from app.services.sms import normalise_uk_number

log = get_logger(__name__)

SID_PURPOSE = "sid"
SID_SIGNATURE_CHARS = 32
SID_MAX_CHARS = 128
_OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
_LEGACY_WINDOW_RE = re.compile(r"^[a-f0-9]{24}$", re.IGNORECASE)
_LEGACY_PADDING = range(3, 6)

_EMAIL_RE = re.compile(
    r"^[^@\s<>,;:\"'()\[\]\\]+@[^@\s<>,;:\"'()\[\]\\]+\.[^@\s<>,;:\"'()\[\]\\]+$"
)
_PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
MAX_EMAIL_CHARS = 254

DEFAULT_BRAND = "Videodesk"
INVITE_SUBJECT = "Video Call from Your Landlord"
DEFAULT_INVITE_MESSAGE = "Please click on the link below to connect with your landlord."
SMS_TEMPLATE = "Please click on the link below to connect: {url}"

FRIEND_LINK_MESSAGE_MAX_CHARS = 2000
DEMO_NAME_MAX_CHARS = 200

INVALID_SID = "Invalid or un-decryptable userId"


class InviteRateLimited(TooManyRequests):
    """429 in the token-link envelope (``{error}``), with ``Retry-After``."""

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


class DeliveryFailed(AppError):
    """A mail that the route waits for could not be sent (500, as the original)."""

    status_code = 500
    default_message = "Email could not be sent"


def _link_error(status: int, text: str) -> ResponseBody:
    return ResponseBody(status, {"error": text})


# ----------------------------------------------------------------------------- sid


def encode_sid(user_id: str, secret: str) -> str:
    """The signed, URL-safe ``sid`` of new links."""
    signature = sign_value(user_id, secret, SID_PURPOSE)[:SID_SIGNATURE_CHARS]
    return f"{user_id}.{signature}"


def decode_signed_sid(sid: str, secret: str) -> str | None:
    """The user id of a signed ``sid``, or ``None`` when it is malformed or forged."""
    user_id, _, signature = sid.partition(".")
    user_id = user_id.lower()
    if not _OBJECT_ID_RE.match(user_id) or len(signature) != SID_SIGNATURE_CHARS:
        return None
    expected = sign_value(user_id, secret, SID_PURPOSE)[:SID_SIGNATURE_CHARS]
    if not hmac.compare_digest(expected, signature.lower()):
        return None
    return user_id


def legacy_candidates(sid: str) -> list[str]:
    """Every id a legacy ``sid`` could carry, in the original's trial order
    (prefix length 3..5 outer, suffix length 3..5 inner), without repeats."""
    found: list[str] = []
    for prefix in _LEGACY_PADDING:
        for suffix in _LEGACY_PADDING:
            window = sid[prefix : len(sid) - suffix]
            if _LEGACY_WINDOW_RE.match(window):
                candidate = window[::-1].lower()
                if candidate not in found:
                    found.append(candidate)
    return found


async def _existing_user_ids(ids: list[str]) -> set[str]:
    cursor = User.get_pymongo_collection().find(
        {"_id": {"$in": [ObjectId(i) for i in ids]}}, {"_id": 1}
    )
    return {str(doc["_id"]) async for doc in cursor}


async def resolve_sid(settings: Settings, sid: str) -> str:
    """The sender's user id named by ``sid`` (signed or legacy); 400 when undecodable."""
    invalid = BadRequest(INVALID_SID, decrypted=None)
    if len(sid) > SID_MAX_CHARS:
        raise invalid
    if "." in sid:
        user_id = decode_signed_sid(sid, settings.JWT_SECRET)
        if user_id is None:
            log.warning("invites.sid_refused", reason="bad_signature")
            raise invalid
        return user_id
    if not settings.LEGACY_SID_ENABLED:
        raise invalid
    candidates = legacy_candidates(sid)
    if not candidates:
        raise invalid
    if len(candidates) == 1:
        return candidates[0]
    existing = await _existing_user_ids(candidates)
    matches = [c for c in candidates if c in existing]
    if len(matches) > 1:
        log.warning("invites.sid_ambiguous", candidates=len(matches))
    return matches[0] if matches else candidates[0]


# ---------------------------------------------------------------- room sender info


def _safe_redirect(url: str | None) -> str:
    """A trimmed redirect target, or "" when it would not be a web address
    (``javascript:``/``data:`` and friends from old data are dropped)."""
    value = (url or "").strip()
    match = _SCHEME_RE.match(value)
    if match and match.group(0).lower() not in ("http:", "https:"):
        return ""
    return value


def redirect_target(info: LandlordInfo) -> tuple[bool, str]:
    """``(isDefaultRedirectUrl, redirectUrl)`` by the original's rules."""
    tailored = _safe_redirect(info.redirectUrlTailored)
    if tailored and tailored != "www.":
        return False, tailored
    default = _safe_redirect(info.redirectUrlDefault)
    return True, default


def _declared_fields(model: LandlordInfo | MessageSettings) -> dict[str, Any]:
    # Only the declared branding keys: nothing stray stored beside them leaks out.
    return model.model_dump(include=set(type(model).model_fields))


async def room_user_info(ctx: AppContext, sid: str | None, ip: str) -> dict[str, Any]:
    """Public branding of the landlord behind a room link (core-api.md §10.1)."""
    settings = ctx.settings
    await ctx.limiter.hit(
        Limit("room-user-info", settings.RATE_LIMIT_PUBLIC, settings.RATE_LIMIT_PUBLIC_WINDOW), ip
    )
    if not sid:
        raise BadRequest("userId (sid) is required")
    user_id = await resolve_sid(settings, sid)
    user = await User.get(ObjectId(user_id))
    if user is None or user.deleted:
        raise NotFound("User not found", userId=user_id)
    is_default, redirect_url = redirect_target(user.landlordInfo)
    return {
        "success": True,
        "user": {
            "_id": user.id,
            "email": user.email,
            "role": user.role,
            "logo": user.logo,
            "landlordInfo": _declared_fields(user.landlordInfo),
            "messageSettings": _declared_fields(user.messageSettings),
        },
        "isDefaultRedirectUrl": is_default,
        "redirectUrl": redirect_url,
    }


def token_info(
    landlord_name: str | None, profile_image: str | None, landlord_logo: str | None
) -> dict[str, str] | None:
    """The original's echo of branding query parameters (``GET /get-token-info/:token``)."""
    info = {
        key: value
        for key, value in (
            ("landlordName", landlord_name),
            ("profileImage", profile_image),
            ("landlordLogo", landlord_logo),
        )
        if value
    }
    return info or None


# --------------------------------------------------------------------- invite links


@dataclass(frozen=True)
class PreparedInvite:
    token: str
    url: str
    deliver: Callable[[], Awaitable[None]]


def is_valid_email(email: str) -> bool:
    return len(email) <= MAX_EMAIL_CHARS and bool(_EMAIL_RE.match(email))


def clean_phone_number(raw: str) -> str:
    """The original's UK normalisation, after undoing one transport accident: an
    unencoded ``+`` in a query string arrives as a space (``?number=+44...``)."""
    stripped = raw.strip()
    if raw[:1] == " " and stripped[:1].isdigit():
        stripped = "+" + stripped
    return normalise_uk_number(stripped)


def room_url(settings: Settings, token: str, sid: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}/room/{token}?sid={quote(sid, safe='')}"


async def _find_sender(sender_id: str) -> User:
    try:
        oid = ObjectId(sender_id.strip())
    except (InvalidId, TypeError) as exc:
        raise _link_error(400, "Invalid sender ID") from exc
    sender = await User.get(oid)
    if sender is None or not sender.can_sign_in:
        raise _link_error(404, "Sender not found")
    return sender


async def _hit(ctx: AppContext, limit: Limit, key: str) -> None:
    try:
        await ctx.limiter.hit(limit, key)
    except TooManyRequests as exc:
        raise InviteRateLimited(exc.message, retry_after=exc.retry_after) from exc


async def prepare_invite(
    ctx: AppContext,
    *,
    ip: str,
    number: str | None,
    email: str | None,
    sender_id: str | None,
    signed_in: User | None,
    token: str | None = None,
    resend: bool = False,
) -> PreparedInvite:
    """Validate and rate-limit an invite, and build its link (``/send-token``,
    ``/resend-token``). Nothing is stored; the returned ``deliver`` sends it.

    The sender is the signed-in user when a valid cookie came along, otherwise
    ``senderId``; either way an existing account that may sign in. Unlike the
    original, a resend needs a sender too (the frontend keeps ``senderId`` with
    the last link), so no anonymous caller can make the service send messages.
    """
    settings = ctx.settings
    # The raw number is kept: a leading space may be a "+" lost in the query string.
    number = number if number and number.strip() else ""
    email = (email or "").strip()
    if not number and not email:
        raise _link_error(400, "Either phone number or email is required")
    if resend:
        if not token:
            raise _link_error(400, "Token is required")
        try:
            token = str(uuid.UUID(token.strip()))
        except ValueError as exc:
            raise _link_error(400, "Invalid token") from exc
    if signed_in is None and not (sender_id or "").strip():
        raise _link_error(400, "Sender ID is required")

    window = settings.RATE_LIMIT_INVITE_WINDOW
    await _hit(ctx, Limit("invite-ip", settings.RATE_LIMIT_INVITE_IP, window), ip)

    phone = clean_phone_number(number) if number else ""
    if number and not _PHONE_RE.match(phone):
        raise _link_error(400, "Invalid phone number")
    email = email.lower()
    if email and not is_valid_email(email):
        raise _link_error(400, "Invalid email address")

    if signed_in is not None:
        sender = signed_in
        if sender_id and sender_id.strip() != str(sender.id):
            log.info("invites.sender_from_cookie", sender_id=str(sender.id))
    else:
        sender = await _find_sender(sender_id or "")

    await _hit(ctx, Limit("invite-sender", settings.RATE_LIMIT_INVITE, window), str(sender.id))
    recipient_limit = Limit("invite-recipient", settings.RATE_LIMIT_INVITE_RECIPIENT, window)
    for recipient in (phone, email):
        if recipient:
            await _hit(ctx, recipient_limit, recipient)
    if phone:
        await _hit(ctx, Limit("invite-sms-daily", settings.INVITE_SMS_DAILY_CAP, 86_400), "all")

    token = token or str(uuid.uuid4())
    url = room_url(settings, token, encode_sid(str(sender.id), settings.JWT_SECRET))
    log.info(
        "invites.link_created",
        sender_id=str(sender.id),
        resend=resend,
        sms=bool(phone),
        email=bool(email),
    )

    async def deliver() -> None:
        jobs: list[Awaitable[None]] = []
        if phone:
            jobs.append(_send_invite_sms(ctx, phone, url))
        if email:
            jobs.append(_send_invite_email(ctx, email, url, sender))
        await asyncio.gather(*jobs)

    return PreparedInvite(token=token, url=url, deliver=deliver)


async def _send_invite_sms(ctx: AppContext, phone: str, url: str) -> None:
    try:
        result = await ctx.sms.send(phone, SMS_TEMPLATE.format(url=url))
    except Exception:  # a background job: log, never propagate
        log.exception("invites.sms_failed", to_prefix=phone[:4])
        return
    if result.success:
        log.info("invites.sms_sent", sid=result.sid)
    else:
        # reason/message are the original's guidance (region, permissions, trial...)
        log.warning("invites.sms_not_sent", reason=result.reason, detail=result.message)


def invite_mail_context(sender: User, url: str) -> dict[str, Any]:
    info = sender.landlordInfo
    settings = sender.messageSettings
    name = (info.landlordName or "").strip()
    tailored = (settings.tailoredMessage or "").strip()
    logo = (info.landlordLogo or "").strip()
    return {
        "url": url,
        "landlord_name": name if name and name != DEFAULT_BRAND else "Your Landlord",
        "invite_message": tailored
        if settings.messageOption == "tailored" and tailored
        else DEFAULT_INVITE_MESSAGE,
        "button_colour": button_colour(settings.selectedButtonColor),
        "logo_url": logo if logo.startswith(("https://", "http://")) else "",
    }


async def _send_invite_email(ctx: AppContext, email: str, url: str, sender: User) -> None:
    try:
        mail = render("video_invite", INVITE_SUBJECT, **invite_mail_context(sender, url))
        await ctx.mail.send(email, mail)
    except MailError:
        return  # already logged by the mail service
    except Exception:  # a background job: log, never propagate
        log.exception("invites.email_failed")
        return
    log.info("invites.email_sent", sender_id=str(sender.id))


# ---------------------------------------------------------------------- friend link


def _one_line(value: str) -> str:
    return " ".join(value.split())


def sender_display_name(user: User) -> str:
    """Who the friend link is from: the account's name, else its brand, else its email."""
    full = _one_line(f"{user.firstName or ''} {user.lastName or ''}")
    if full and full != "Unknown User":
        return full
    brand = _one_line(user.landlordInfo.landlordName or "")
    if brand and brand != DEFAULT_BRAND:
        return brand
    return str(user.email)


def _friend_link_target(settings: Settings, website_link: str | None) -> str:
    """The caller's link only when it points at our own frontend; else the frontend."""
    link = (website_link or "").strip()
    if link:
        parts = urlsplit(link)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if parts.scheme in ("http", "https") and origin in {
            o.lower() for o in settings.allowed_origins
        }:
            return link
    return settings.FRONTEND_URL


def _friend_link_error(text: str) -> BadRequest:
    return BadRequest("Failed to send friend link", error=text)


async def send_friend_link(
    ctx: AppContext,
    user: User,
    ip: str,
    *,
    to_email: str | None,
    message: str | None,
    website_link: str | None,
) -> None:
    """Recommend the platform by e-mail, from the signed-in account.

    Only the product's template goes out: the sender's name and address come
    from the account (a caller-supplied ``fromEmail``/``fromName`` is ignored),
    the message is plain text (escaped in the HTML part) and the button links
    to the frontend.
    """
    settings = ctx.settings
    to_email = (to_email or "").strip().lower()
    text = (message or "").strip()
    if not to_email or not text:
        raise _friend_link_error("All fields are required: toEmail, message")
    if not is_valid_email(to_email):
        raise _friend_link_error("Invalid email format")
    if len(text) > FRIEND_LINK_MESSAGE_MAX_CHARS:
        raise _friend_link_error(
            f"Message is too long (at most {FRIEND_LINK_MESSAGE_MAX_CHARS} characters)"
        )
    limit = Limit(
        "friend-link", settings.RATE_LIMIT_FRIEND_LINK, settings.RATE_LIMIT_FRIEND_LINK_WINDOW
    )
    await ctx.limiter.hit(limit, f"user:{user.id}")
    await ctx.limiter.hit(limit, f"ip:{ip}")

    from_name = sender_display_name(user)
    link = _friend_link_target(settings, website_link)
    mail = render(
        "friend_link",
        f"{from_name} has shared a video platform with you!",
        from_name=from_name,
        from_email=user.email,
        message=text,
        website_link=link,
    )
    try:
        await ctx.mail.send(to_email, mail, reply_to=user.email)
    except MailError as exc:
        raise DeliveryFailed("Failed to send friend link", error="Email could not be sent") from exc
    log.info("invites.friend_link_sent", user_id=str(user.id))


# ------------------------------------------------------------------------ demo code

_DEMO_FEATURES = {
    "analyzer": [
        "Upload photos for AI-powered damp and mould analysis",
        "Get detailed reports and recommendations",
        "24/7 automated monitoring and insights",
    ],
    "karla": [
        "Get advice on Damp and Mould issues",
        "Receive personalised solutions",
        "24/7 instant support and guidance",
    ],
}


def demo_code_for(settings: Settings, use_case: object) -> tuple[str, str, str]:
    """``(use case, display name, code)``; anything unknown is the Karla demo."""
    if use_case == "analyzer":
        return "analyzer", "Image Analyzer", settings.DEMO_CODE_ANALYZER
    return "karla", "Chat Karla", settings.DEMO_CODE_KARLA


async def request_demo(
    ctx: AppContext, ip: str, *, name: str | None, email: str | None, use_case: object
) -> None:
    """Mail the fixed demo code of a use case (core-api.md §9), rate limited per
    client IP and per address."""
    settings = ctx.settings
    name = _one_line(name or "")
    email = (email or "").strip().lower()
    if not name or not email:
        raise BadRequest("Name and email are required")
    if len(name) > DEMO_NAME_MAX_CHARS:
        raise BadRequest(f"Name can be at most {DEMO_NAME_MAX_CHARS} characters long")
    if not is_valid_email(email):
        raise BadRequest("Please provide a valid email address")
    limit = Limit(
        "demo-request", settings.RATE_LIMIT_DEMO_REQUEST, settings.RATE_LIMIT_DEMO_REQUEST_WINDOW
    )
    await ctx.limiter.hit(limit, f"ip:{ip}")
    await ctx.limiter.hit(limit, f"email:{email}")

    key, display, code = demo_code_for(settings, use_case)
    mail = render(
        "demo_code",
        f"Your Demo Code - {display}",
        name=name,
        code=code,
        use_case_name=display,
        features=_DEMO_FEATURES[key],
    )
    try:
        await ctx.mail.send(email, mail)
    except MailError as exc:
        raise DeliveryFailed("Failed to send demo code. Please try again.") from exc
    log.info("invites.demo_code_sent", use_case=key)
