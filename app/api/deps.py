"""Typed dependencies shared by every router.

``CurrentUser`` is the only way a route learns who is calling. It accepts the
``token`` cookie (what the frontend sends) or ``Authorization: Bearer``, and
refuses tokens of trashed, frozen or suspended users and tokens issued before
the user's last logout or password change (``tokenVersion``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Annotated, cast

import jwt
from beanie import PydanticObjectId
from beanie.odm.utils.parsing import parse_obj
from fastapi import Depends, Request

from app.core.errors import Forbidden, Unauthorized
from app.core.ratelimit import Limit
from app.core.security import decode_access_token
from app.models.user import Role, User
from app.services.context import AppContext

TOKEN_COOKIE = "token"


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def client_ip(request: Request) -> str:
    """The socket peer, or the first untrusted hop of ``X-Forwarded-For`` when
    the peer is one of ``TRUSTED_PROXIES``."""
    ctx = get_ctx(request)
    peer = request.client.host if request.client else "unknown"
    trusted = ctx.settings.trusted_proxies
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted: frozenset[str]) -> bool:
    if address in trusted or "*" in trusted:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        if "/" in entry:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


ClientIP = Annotated[str, Depends(client_ip)]


def request_token(request: Request) -> str | None:
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        return token
    header = request.headers.get("authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer ") :].strip() or None
    return None


async def _load_user(ctx: AppContext, user_id: PydanticObjectId) -> User | None:
    """The user document, from the short-lived cache when it is fresh
    (app/core/user_cache.py: writes clear it; other processes' writes show
    within ``USER_CACHE_TTL_SECONDS``)."""
    cache = ctx.db.user_cache
    if not cache.enabled:
        return await User.get(user_id)
    document = cache.get(user_id)
    if document is None:
        generation = cache.generation
        document = await User.get_pymongo_collection().find_one({"_id": user_id})
        if document is None:
            return None
        cache.put(user_id, document, generation)
    # A fresh model per request: handlers may change their user.
    return cast(User, parse_obj(User, document))


async def user_from_token(ctx: AppContext, token: str) -> User:
    """Resolve a JWT to an active user, or raise 401 (also used by the socket layer)."""
    try:
        payload = decode_access_token(token, ctx.settings.JWT_SECRET)
        user_id = PydanticObjectId(str(payload["_id"]))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("Invalid or expired token") from exc
    user = await _load_user(ctx, user_id)
    if user is None:
        raise Unauthorized("Unauthorize user")
    # Tokens from the original carry no version: they count as version 0.
    if int(payload.get("tv", 0)) != user.tokenVersion:
        raise Unauthorized("Invalid or expired token")
    if not user.can_sign_in:
        raise Unauthorized("Account is not active")
    return user


async def current_user(request: Request) -> User:
    token = request_token(request)
    if not token:
        raise Unauthorized("Unauthorize user")
    user = await user_from_token(get_ctx(request), token)
    request.state.user = user
    return user


async def optional_user(request: Request) -> User | None:
    token = request_token(request)
    if not token:
        return None
    try:
        return await user_from_token(get_ctx(request), token)
    except Unauthorized:
        return None


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def require_roles(
    *roles: Role, message: str = "Access denied", status: int = 403
) -> Callable[..., Awaitable[User]]:
    """A dependency that lets only the given roles through (403 by default,
    401 where the original's route guard answered 401)."""
    allowed = frozenset(roles)

    async def dependency(user: CurrentUser) -> User:
        if user.role not in allowed:
            if status == 401:
                raise Unauthorized(message)
            raise Forbidden(message)
        return user

    return dependency


def rate_limit_ip(limit: Limit) -> Callable[..., Awaitable[None]]:
    """Per-client-IP limit for a route (429 in the envelope when exceeded)."""

    async def dependency(ctx: Ctx, ip: ClientIP) -> None:
        await ctx.limiter.hit(limit, ip)

    return dependency
