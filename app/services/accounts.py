"""Sign-in and account security: register, OTP verification, passwords, resets.

The flow the frontend expects (core-api.md §4) is kept: ``/register`` and
``/login`` e-mail a one-time code, ``/verify {OTP}`` signs in. What changes is
how the code is checked (§17.2):

* ``register``/``login`` return the pending user; the router puts a signed,
  short-lived challenge naming that user into the ``otp_challenge`` cookie.
  ``verify`` checks the code against that user only (or against the user named
  by an ``email`` in the body) — never by looking a user up by the code.
* Codes are stored as a keyed hash with an expiry and an attempt counter;
  consuming one is a single conditional update, so a code works exactly once
  and dies after ``OTP_MAX_ATTEMPTS`` wrong guesses.
* Every JWT carries the user's ``tokenVersion``; logout and any password change
  bump it, which revokes every token issued before (all devices).

Decisions where the spec is silent (also in docs/accounts.md):

* Unverified registrations: ``register`` creates the account with
  ``pendingVerification=True``. Repeating ``register`` for a pending address
  replaces its password/role and sends a new code instead of answering
  "Email already exist"; a failed OTP e-mail deletes an account the same call
  created (or clears the code of a pending one), so a retry always works.
* Blocked users (frozen, suspended, trashed) get the same 401 "Incorrect Email
  or Password" at login as a wrong password, and their codes are refused.
* Password rules: at least 8 characters wherever a password is *changed*
  (reset, change-password, dashboard reset). ``register`` keeps the original's
  behaviour (any non-empty password) because the sign-up form has no rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.core.config import Settings
from app.core.errors import AppError, BadRequest, ResponseBody, Unauthorized
from app.core.logging import get_logger
from app.core.ratelimit import Limit
from app.core.security import (
    create_access_token,
    decode_access_token,
    generate_otp,
    hash_code,
    hash_password,
    random_token_hex,
    sha256_hex,
    sign_value,
    verify_password,
    verify_signed_value,
)
from app.models.base import as_utc, utcnow
from app.models.user import SELF_REGISTRATION_ROLES, Role, User
from app.services.chat import delete_all_for_user as delete_all_chats_for_user
from app.services.context import AppContext
from app.services.mail import MailError, render
from app.services.profile import owned_image_key

log = get_logger(__name__)

OTP_CHALLENGE_COOKIE = "otp_challenge"
_CHALLENGE_PURPOSE = "otp-challenge"

SUBJECT_REGISTER_OTP = "Videodesk - Account Verification OTP"
SUBJECT_LOGIN_OTP = "Videodesk - Login Verification OTP"
SUBJECT_RESET = "Password Reset Request"

MIN_PASSWORD_LENGTH = 8
# Argon2 accepts any length; a cap keeps a megabyte "password" from costing CPU.
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_RESET_TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")
_OTP_FIELDS_CLEARED = {"otpHash": None, "otpExpiresAt": None, "otpAttempts": 0}


class MailDeliveryFailed(AppError):
    status_code = 500
    default_message = "Email could not be sent"


def swapped_error(status: int, text: str) -> ResponseBody:
    """An error in the original's swapped envelope (``message: null``, text under ``data``)."""
    return ResponseBody(status, {"success": False, "message": None, "data": text})


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str


# --------------------------------------------------------------------------- helpers


def normalise_email(value: str | None) -> str:
    return User.normalise_email(value) if value else ""


def is_valid_email(email: str) -> bool:
    return len(email) <= MAX_EMAIL_LENGTH and bool(_EMAIL_RE.match(email))


def issue_token(settings: Settings, user: User) -> str:
    return create_access_token(
        str(user.id),
        settings.JWT_SECRET,
        timedelta(days=settings.JWT_LIFETIME_DAYS),
        user.tokenVersion,
    )


def make_challenge(settings: Settings, user_id: str, now: datetime | None = None) -> str:
    """``<user id>.<expiry epoch>.<hmac>``: names the user a pending code belongs to."""
    expires = int((now or utcnow()).timestamp()) + settings.OTP_TTL_SECONDS
    body = f"{user_id}.{expires}"
    return f"{body}.{sign_value(body, settings.JWT_SECRET, _CHALLENGE_PURPOSE)}"


def read_challenge(
    settings: Settings, value: str | None, now: datetime | None = None
) -> PydanticObjectId | None:
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 3:
        return None
    user_id, expires, signature = parts
    body = f"{user_id}.{expires}"
    if not verify_signed_value(body, signature, settings.JWT_SECRET, _CHALLENGE_PURPOSE):
        return None
    try:
        if int(expires) < int((now or utcnow()).timestamp()):
            return None
        return PydanticObjectId(user_id)
    except (ValueError, TypeError):
        return None


async def _limit(ctx: AppContext, action: str, ip: str, email: str | None) -> None:
    """Generous per client IP (offices share one address), strict per e-mail."""
    s = ctx.settings
    await ctx.limiter.hit(Limit(f"{action}:ip", s.RATE_LIMIT_IP, s.RATE_LIMIT_IP_WINDOW), ip)
    if email:
        await ctx.limiter.hit(
            Limit(f"{action}:email", s.RATE_LIMIT_EMAIL, s.RATE_LIMIT_EMAIL_WINDOW), email
        )


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest("Password must be at least 8 characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest("Password is too long")


def _otp_fields(settings: Settings, user_id: PydanticObjectId, code: str) -> dict[str, Any]:
    return {
        "otpHash": hash_code(code, settings.JWT_SECRET, str(user_id)),
        "otpExpiresAt": utcnow() + timedelta(seconds=settings.OTP_TTL_SECONDS),
        "otpAttempts": 0,
    }


async def _set_fields(user_id: PydanticObjectId, fields: dict[str, Any]) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": user_id}, {"$set": {**fields, "updatedAt": utcnow()}}
    )


async def _send_otp(ctx: AppContext, user: User, code: str, *, register: bool) -> None:
    template, subject = (
        ("otp_register", SUBJECT_REGISTER_OTP) if register else ("otp_login", SUBJECT_LOGIN_OTP)
    )
    mail = render(
        template, subject, otp=code, ttl_minutes=max(ctx.settings.OTP_TTL_SECONDS // 60, 1)
    )
    await ctx.mail.send(user.email, mail)


# --------------------------------------------------------------------------- sign-in flow


async def register(
    ctx: AppContext, *, email: str | None, password: str | None, role: str | None, ip: str
) -> User:
    """Create (or refresh a still-unverified) account and e-mail it a code."""
    email = normalise_email(email)
    if not email or not password or not role:
        raise swapped_error(401, "All fields are required")
    if not is_valid_email(email):
        raise BadRequest("Please provide a valid email address")
    if role not in SELF_REGISTRATION_ROLES:
        raise BadRequest("Invalid role")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest("Password is too long")
    await _limit(ctx, "register", ip, email)

    existing = await User.find_by_email(email)
    if existing is not None and not existing.pendingVerification:
        raise swapped_error(401, "Email already exist")

    hashed = await hash_password(password)
    code = generate_otp(ctx.settings.OTP_LENGTH)
    created = existing is None
    if existing is None:
        user = User(email=email, password=hashed, role=Role(role), pendingVerification=True)
        try:
            await user.insert()
        except DuplicateKeyError as exc:  # a concurrent register for the same address
            raise swapped_error(401, "Email already exist") from exc
        await _set_fields(user.id, _otp_fields(ctx.settings, user.id, code))  # type: ignore[arg-type]
    else:
        user = existing
        await _set_fields(
            user.id,  # type: ignore[arg-type]
            {"password": hashed, "role": role, **_otp_fields(ctx.settings, user.id, code)},  # type: ignore[arg-type]
        )

    try:
        await _send_otp(ctx, user, code, register=True)
    except MailError as exc:
        if created:
            await User.get_pymongo_collection().delete_one({"_id": user.id})
        else:
            await _set_fields(user.id, _OTP_FIELDS_CLEARED)  # type: ignore[arg-type]
        log.error("accounts.register_mail_failed", user_id=str(user.id), error=str(exc))
        raise MailDeliveryFailed() from exc
    log.info("accounts.registered", user_id=str(user.id), role=role, new=created)
    return user


async def login(ctx: AppContext, *, email: str | None, password: str | None, ip: str) -> User:
    """Check the password and e-mail a login code; the same 401 for every failure."""
    email = normalise_email(email)
    if not email or not password:
        raise swapped_error(401, "All fields are required")
    await _limit(ctx, "login", ip, email)
    user = await User.find_by_email(email)
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH]  # still verified (and failing) for equal timing
    valid, upgraded = await verify_password(password, user.password if user else None)
    if user is None or not valid or not user.can_sign_in:
        log.info("accounts.login_refused", known=user is not None, ip=ip)
        raise swapped_error(401, "Incorrect Email or Password")

    code = generate_otp(ctx.settings.OTP_LENGTH)
    fields = _otp_fields(ctx.settings, user.id, code)  # type: ignore[arg-type]
    if upgraded:
        # A bcrypt hash imported from the original is replaced by argon2 now
        # that the plain password has been seen and verified.
        fields["password"] = upgraded
        log.info("accounts.password_hash_upgraded", user_id=str(user.id))
    await _set_fields(user.id, fields)  # type: ignore[arg-type]
    try:
        await _send_otp(ctx, user, code, register=False)
    except MailError as exc:
        await _set_fields(user.id, _OTP_FIELDS_CLEARED)  # type: ignore[arg-type]
        log.error("accounts.login_mail_failed", user_id=str(user.id), error=str(exc))
        raise MailDeliveryFailed() from exc
    return user


async def verify(
    ctx: AppContext,
    *,
    otp: str | None,
    email: str | None,
    challenge: str | None,
    ip: str,
    now: datetime | None = None,
) -> SignedIn:
    """Consume the pending code of the user named by ``email`` or the challenge cookie."""
    now = now or utcnow()
    if not otp:
        raise swapped_error(401, "All fields are required")
    settings = ctx.settings
    await _limit(ctx, "verify", ip, None)
    invalid = swapped_error(401, "Invalid OTP or maybe expired")

    user: User | None
    if email:
        user = await User.find_by_email(email)
    else:
        user_id = read_challenge(settings, challenge, now)
        user = await User.get(user_id) if user_id else None
    if user is None:
        raise invalid
    await ctx.limiter.hit(
        Limit("verify:email", settings.RATE_LIMIT_EMAIL, settings.RATE_LIMIT_EMAIL_WINDOW),
        user.email.lower(),
    )
    if not user.can_sign_in or len(otp) > 16:
        raise invalid

    collection = User.get_pymongo_collection()
    login_times: dict[str, Any] = {"currentLoginTime": now}
    if user.currentLoginTime is not None:
        login_times["previousLoginTime"] = user.currentLoginTime
    consumed = await collection.find_one_and_update(
        {
            "_id": user.id,
            "otpHash": hash_code(otp, settings.JWT_SECRET, str(user.id)),
            "otpExpiresAt": {"$gt": now},
            "otpAttempts": {"$lt": settings.OTP_MAX_ATTEMPTS},
        },
        {
            "$set": {
                **_OTP_FIELDS_CLEARED,
                **login_times,
                "pendingVerification": False,
                "updatedAt": now,
            },
            # The original's plain-text code, if one was pending at cut-over.
            "$unset": {"OTP": ""},
        },
    )
    if consumed is None:
        await _count_wrong_code(user.id, settings, now)  # type: ignore[arg-type]
        raise invalid

    fresh = await User.get(user.id)  # type: ignore[arg-type]
    if fresh is None:
        raise invalid
    log.info("accounts.signed_in", user_id=str(fresh.id))
    return SignedIn(user=fresh, token=issue_token(settings, fresh))


async def _count_wrong_code(user_id: PydanticObjectId, settings: Settings, now: datetime) -> None:
    """One more wrong try; the code dies once it is expired or out of tries."""
    collection = User.get_pymongo_collection()
    after = await collection.find_one_and_update(
        {"_id": user_id, "otpHash": {"$type": "string"}},
        {"$inc": {"otpAttempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    if after is None:
        return
    expires = after.get("otpExpiresAt")
    expired = expires is None or as_utc(expires) <= now
    if expired or int(after.get("otpAttempts", 0)) >= settings.OTP_MAX_ATTEMPTS:
        await _set_fields(user_id, _OTP_FIELDS_CLEARED)
        log.warning("accounts.otp_invalidated", user_id=str(user_id), expired=expired)


async def register_resident(
    ctx: AppContext, *, email: str | None, password: str | None, ip: str
) -> SignedIn:
    """The resident upload page's one-step sign-up (no code, as in the original)."""
    email = normalise_email(email)
    if not email or not password:
        raise swapped_error(400, "Email and password are required")
    if not is_valid_email(email):
        raise BadRequest("Please provide a valid email address")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise BadRequest("Password is too long")
    await _limit(ctx, "register-resident", ip, email)
    if await User.find_by_email(email) is not None:
        raise swapped_error(409, "Email already exists")
    now = utcnow()
    user = User(
        email=email,
        password=await hash_password(password),
        role=Role.RESIDENT,
        currentLoginTime=now,
    )
    try:
        await user.insert()
    except DuplicateKeyError as exc:
        raise swapped_error(409, "Email already exists") from exc
    log.info("accounts.resident_registered", user_id=str(user.id))
    return SignedIn(user=user, token=issue_token(ctx.settings, user))


async def logout(ctx: AppContext, token: str | None) -> None:
    """Revoke the presented token (and every other one of the user) if it is valid."""
    if not token:
        return
    try:
        payload = decode_access_token(token, ctx.settings.JWT_SECRET)
        user_id = PydanticObjectId(str(payload["_id"]))
        version = int(payload.get("tv", 0))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return
    # Only a token that is still current can revoke: a stale one changes nothing.
    result = await User.get_pymongo_collection().update_one(
        {"_id": user_id, "tokenVersion": version}
        if version
        else {"_id": user_id, "$or": [{"tokenVersion": 0}, {"tokenVersion": {"$exists": False}}]},
        {"$inc": {"tokenVersion": 1}, "$set": {"updatedAt": utcnow()}},
    )
    if result.modified_count:
        log.info("accounts.logged_out", user_id=str(user_id))


# --------------------------------------------------------------------------- passwords


async def _store_new_password(
    ctx: AppContext, user: User, password: str, extra: dict[str, Any] | None = None
) -> str:
    """Save a new hash, revoke every token, and return a fresh one for this browser."""
    hashed = await hash_password(password)
    after = await User.get_pymongo_collection().find_one_and_update(
        {"_id": user.id},
        {
            "$set": {
                "password": hashed,
                "resetPasswordToken": None,
                "resetPasswordExpire": None,
                "updatedAt": utcnow(),
                **(extra or {}),
            },
            "$inc": {"tokenVersion": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    if after is None:
        raise Unauthorized("Unauthorize user")
    user.password = hashed
    user.tokenVersion = int(after.get("tokenVersion", 0))
    for key, value in (extra or {}).items():
        setattr(user, key, value)
    return issue_token(ctx.settings, user)


async def change_password(
    ctx: AppContext, user: User, *, old_password: str | None, new_password: str | None
) -> str:
    """``PUT /user/change-password``; returns the re-issued token."""
    if not old_password or not new_password:
        raise BadRequest("Old and new password are required")
    valid, _ = await verify_password(old_password[:MAX_PASSWORD_LENGTH], user.password)
    if not valid:
        raise swapped_error(401, "Incorrect old password")
    _check_new_password(new_password)
    token = await _store_new_password(ctx, user, new_password, {"isTemporaryPassword": False})
    log.info("accounts.password_changed", user_id=str(user.id))
    return token


async def dashboard_reset_password(
    ctx: AppContext,
    user: User,
    *,
    current_password: str | None,
    new_password: str | None,
    confirm_password: str | None,
) -> tuple[str, str]:
    """``PUT /user/reset-password`` (validation order of core-api.md §4.10).

    Returns ``(message, token)``.
    """
    temporary = user.isTemporaryPassword
    if not temporary and not current_password:
        raise BadRequest("Current password is required")
    if not new_password or not confirm_password:
        raise BadRequest("New password and confirm password are required")
    if new_password != confirm_password:
        raise BadRequest("New passwords do not match")
    if not temporary and current_password == new_password:
        raise BadRequest("New password must be different from current password")
    _check_new_password(new_password)
    if not temporary:
        valid, _ = await verify_password(
            (current_password or "")[:MAX_PASSWORD_LENGTH], user.password
        )
        if not valid:
            raise BadRequest("Current password is incorrect")
    token = await _store_new_password(ctx, user, new_password, {"isTemporaryPassword": False})
    message = (
        "Temporary password changed successfully" if temporary else "Password updated successfully"
    )
    log.info("accounts.password_changed", user_id=str(user.id), temporary=temporary)
    return message, token


async def forgot_password(ctx: AppContext, *, email: str | None, ip: str) -> str:
    """E-mail a single-use reset link; returns the success text."""
    email = normalise_email(email)
    if not email:
        raise BadRequest("Email is required")
    await _limit(ctx, "forgot-password", ip, email)
    user = await User.find_by_email(email)
    if user is None or not user.can_sign_in:
        raise BadRequest("User not found")

    token = random_token_hex(20)
    expires = utcnow() + timedelta(seconds=ctx.settings.RESET_TOKEN_TTL_SECONDS)
    await _set_fields(
        user.id,  # type: ignore[arg-type]
        {"resetPasswordToken": sha256_hex(token), "resetPasswordExpire": expires},
    )
    reset_url = f"{ctx.settings.FRONTEND_URL.rstrip('/')}/reset-password/{token}"
    mail = render(
        "reset_password",
        SUBJECT_RESET,
        reset_url=reset_url,
        ttl_minutes=max(ctx.settings.RESET_TOKEN_TTL_SECONDS // 60, 1),
    )
    try:
        await ctx.mail.send(user.email, mail)
    except MailError as exc:
        await _set_fields(
            user.id,  # type: ignore[arg-type]
            {"resetPasswordToken": None, "resetPasswordExpire": None},
        )
        log.error("accounts.reset_mail_failed", user_id=str(user.id), error=str(exc))
        raise MailDeliveryFailed() from exc
    log.info("accounts.reset_requested", user_id=str(user.id))
    return f"Reset link has been sent to {user.email}"


async def reset_password(
    ctx: AppContext, *, token: str, password: str | None, ip: str, now: datetime | None = None
) -> None:
    """Consume a reset token (single use) and set the new password."""
    now = now or utcnow()
    await _limit(ctx, "reset-password", ip, None)
    invalid = Unauthorized("Token is invalid or has been expired")
    if not _RESET_TOKEN_RE.match(token or ""):
        raise invalid
    if not password:
        raise BadRequest("Password is required")
    _check_new_password(password)
    collection = User.get_pymongo_collection()
    token_filter = {"resetPasswordToken": sha256_hex(token), "resetPasswordExpire": {"$gt": now}}
    holder = await collection.find_one(token_filter, {"email": 1})
    if holder is None:
        raise invalid
    await ctx.limiter.hit(
        Limit(
            "reset-password:email",
            ctx.settings.RATE_LIMIT_EMAIL,
            ctx.settings.RATE_LIMIT_EMAIL_WINDOW,
        ),
        str(holder.get("email", "")).lower(),
    )
    hashed = await hash_password(password)
    # The token is matched again in the update itself, so two concurrent
    # requests with the same link cannot both succeed.
    consumed = await collection.find_one_and_update(
        {"_id": holder["_id"], **token_filter},
        {
            "$set": {
                "password": hashed,
                "resetPasswordToken": None,
                "resetPasswordExpire": None,
                "isTemporaryPassword": False,
                # Receiving the link proves the mailbox, like a code would.
                "pendingVerification": False,
                **_OTP_FIELDS_CLEARED,
                "updatedAt": now,
            },
            "$inc": {"tokenVersion": 1},
        },
    )
    if consumed is None:
        raise invalid
    log.info("accounts.password_reset", user_id=str(holder["_id"]))


# --------------------------------------------------------------------------- profile basics


async def update_email(ctx: AppContext, user: User, email: str | None) -> None:
    """``PUT /user/update``: a missing value is a no-op, as in the original."""
    if email is None or not email.strip():
        return
    normalised = normalise_email(email)
    if not is_valid_email(normalised):
        raise BadRequest("Please provide a valid email address")
    other = await User.find_by_email(normalised)
    if other is not None and other.id != user.id:
        raise BadRequest("Duplicate email Entered")
    try:
        await _set_fields(user.id, {"email": normalised})  # type: ignore[arg-type]
    except DuplicateKeyError as exc:
        raise BadRequest("Duplicate email Entered") from exc
    user.email = normalised
    log.info("accounts.email_changed", user_id=str(user.id))


# --------------------------------------------------------------------------- purge


async def erase_user_leftovers(
    ctx: AppContext, user_id: PydanticObjectId, branding_urls: list[str | None]
) -> None:
    """What goes with a deleted account: its branding images and chatbot history.

    Meetings and uploads stay (as in the original) and follow their own trash.
    """
    keys = [k for k in (owned_image_key(ctx, str(user_id), u) for u in branding_urls) if k]
    if keys:
        await ctx.storage.delete_many(keys)
    await delete_all_chats_for_user(user_id)


async def purge_trashed_users(ctx: AppContext, before: datetime) -> int:
    """Hard-delete users trashed before ``before`` and their branding images.

    Meetings and uploads of a purged user are left to their own areas' purge
    (they are not trashed by a user purge, as in the original).
    """
    collection = User.get_pymongo_collection()
    cursor = collection.find(
        {"deleted": True, "deletedAt": {"$lte": before}},
        {"_id": 1, "logo": 1, "landlordInfo": 1},
        limit=ctx.settings.PURGE_BATCH_SIZE,
    )
    removed = 0
    async for row in cursor:
        deleted = await collection.delete_one({"_id": row["_id"], "deleted": True})
        if deleted.deleted_count:
            removed += 1
            info = row.get("landlordInfo") or {}
            await erase_user_leftovers(
                ctx,
                row["_id"],
                [row.get("logo"), info.get("landlordLogo"), info.get("officerImage")],
            )
    if removed:
        log.info("accounts.users_purged", count=removed)
    return removed
