"""Sign-in and account routes (core-api.md §4).

Thin on purpose: parse the body, call one function of
:mod:`app.services.accounts`, shape the response and the cookies. Cookie
attributes are written in one place (:func:`cookie_attributes`) so the cookie
that logout expires always names the same Path/Domain/SameSite/Secure as the
one login set.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from app.api.deps import TOKEN_COOKIE, ClientIP, Ctx, CurrentUser, request_token
from app.api.responses import AppJSONResponse, ok, swapped
from app.core.config import Settings
from app.services import accounts
from app.services.accounts import OTP_CHALLENGE_COOKIE

router = APIRouter(tags=["auth"])
# The reset page calls PUT /reset-password/<token> at the server root.
root_router = APIRouter(tags=["auth"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterBody(_Body):
    email: str | None = None
    password: str | None = None
    role: str | None = None


class LoginBody(_Body):
    email: str | None = None
    password: str | None = None


class VerifyBody(_Body):
    OTP: str | int | None = None
    email: str | None = None


class EmailBody(_Body):
    email: str | None = None


class PasswordBody(_Body):
    password: str | None = None


class ChangePasswordBody(_Body):
    oldpassword: str | None = None
    newpassword: str | None = None


class DashboardPasswordBody(_Body):
    currentPassword: str | None = None
    newPassword: str | None = None
    confirmPassword: str | None = None
    recoveryWord: Any = None


# --------------------------------------------------------------------------- cookies


def cookie_attributes(settings: Settings) -> dict[str, Any]:
    """HttpOnly always; Secure outside development; SameSite from settings."""
    return {
        "path": "/",
        "domain": settings.COOKIE_DOMAIN or None,
        "secure": settings.cookie_secure,
        "httponly": True,
        "samesite": settings.COOKIE_SAMESITE,
    }


def set_token_cookie(response: Response, settings: Settings, token: str) -> None:
    lifetime = settings.JWT_LIFETIME_DAYS * 24 * 3600
    response.set_cookie(
        TOKEN_COOKIE, token, max_age=lifetime, expires=lifetime, **cookie_attributes(settings)
    )


def set_challenge_cookie(response: Response, settings: Settings, value: str) -> None:
    ttl = settings.OTP_TTL_SECONDS
    response.set_cookie(
        OTP_CHALLENGE_COOKIE, value, max_age=ttl, expires=ttl, **cookie_attributes(settings)
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(name, **cookie_attributes(settings))


def signed_in_response(
    settings: Settings, signed_in: accounts.SignedIn, message: str, status: int = 200
) -> AppJSONResponse:
    response = ok({"success": True, "message": message, "user": signed_in.user.public()}, status)
    set_token_cookie(response, settings, signed_in.token)
    clear_cookie(response, settings, OTP_CHALLENGE_COOKIE)
    return response


OTP_SENT = {"success": True, "message": "OTP Sent to your email successfully"}


# --------------------------------------------------------------------------- sign-in


@router.post("/register")
async def register(ctx: Ctx, ip: ClientIP, body: RegisterBody | None = None) -> AppJSONResponse:
    body = body or RegisterBody()
    user = await accounts.register(
        ctx, email=body.email, password=body.password, role=body.role, ip=ip
    )
    response = ok(OTP_SENT)
    set_challenge_cookie(
        response, ctx.settings, accounts.make_challenge(ctx.settings, str(user.id))
    )
    return response


@router.post("/login")
async def login(ctx: Ctx, ip: ClientIP, body: LoginBody | None = None) -> AppJSONResponse:
    body = body or LoginBody()
    user = await accounts.login(ctx, email=body.email, password=body.password, ip=ip)
    response = ok(OTP_SENT)
    set_challenge_cookie(
        response, ctx.settings, accounts.make_challenge(ctx.settings, str(user.id))
    )
    return response


@router.post("/verify")
async def verify(
    request: Request, ctx: Ctx, ip: ClientIP, body: VerifyBody | None = None
) -> AppJSONResponse:
    body = body or VerifyBody()
    otp = None if body.OTP is None else str(body.OTP).strip()
    signed_in = await accounts.verify(
        ctx,
        otp=otp,
        email=body.email,
        challenge=request.cookies.get(OTP_CHALLENGE_COOKIE),
        ip=ip,
    )
    return signed_in_response(ctx.settings, signed_in, f"Welcome back, {signed_in.user.email}")


@router.post("/register-resident")
async def register_resident(
    ctx: Ctx, ip: ClientIP, body: LoginBody | None = None
) -> AppJSONResponse:
    body = body or LoginBody()
    signed_in = await accounts.register_resident(
        ctx, email=body.email, password=body.password, ip=ip
    )
    return signed_in_response(
        ctx.settings, signed_in, "Resident account created successfully", status=201
    )


@router.get("/me")
async def me(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "user": user.public()})


async def _logout(request: Request, ctx: Ctx) -> AppJSONResponse:
    await accounts.logout(ctx, request_token(request))
    response = ok({"success": True, "message": "Logged Out Successfully"})
    clear_cookie(response, ctx.settings, TOKEN_COOKIE)
    clear_cookie(response, ctx.settings, OTP_CHALLENGE_COOKIE)
    return response


# The frontend calls GET; POST is offered for clients that prefer a safe verb.
router.add_api_route("/logout", _logout, methods=["GET"], name="logout")
router.add_api_route("/logout", _logout, methods=["POST"], name="logout_post")


# --------------------------------------------------------------------------- passwords


@router.post("/forgot-password")
async def forgot_password(ctx: Ctx, ip: ClientIP, body: EmailBody | None = None) -> AppJSONResponse:
    text = await accounts.forgot_password(ctx, email=(body or EmailBody()).email, ip=ip)
    return swapped(200, True, None, text)


async def _reset_password(
    token: str, ctx: Ctx, ip: ClientIP, body: PasswordBody | None = None
) -> AppJSONResponse:
    await accounts.reset_password(
        ctx, token=token, password=(body or PasswordBody()).password, ip=ip
    )
    return swapped(200, True, None, "Password Changed Successfully")


router.add_api_route("/reset-password/{token}", _reset_password, methods=["PUT"])
root_router.add_api_route("/reset-password/{token}", _reset_password, methods=["PUT"])


@router.put("/user/change-password")
async def change_password(
    ctx: Ctx, user: CurrentUser, body: ChangePasswordBody | None = None
) -> AppJSONResponse:
    body = body or ChangePasswordBody()
    token = await accounts.change_password(
        ctx, user, old_password=body.oldpassword, new_password=body.newpassword
    )
    response = swapped(200, True, None, "Password update successfully")
    # Every other session is revoked; this browser gets a fresh cookie.
    set_token_cookie(response, ctx.settings, token)
    return response


@router.put("/user/reset-password")
async def dashboard_reset_password(
    ctx: Ctx, user: CurrentUser, body: DashboardPasswordBody | None = None
) -> AppJSONResponse:
    body = body or DashboardPasswordBody()
    message, token = await accounts.dashboard_reset_password(
        ctx,
        user,
        current_password=body.currentPassword,
        new_password=body.newPassword,
        confirm_password=body.confirmPassword,
    )
    response = swapped(200, True, None, message)
    set_token_cookie(response, ctx.settings, token)
    return response


@router.put("/user/update")
async def update_email(
    ctx: Ctx, user: CurrentUser, body: EmailBody | None = None
) -> AppJSONResponse:
    await accounts.update_email(ctx, user, (body or EmailBody()).email)
    return swapped(200, True, None, "Update successfully")
