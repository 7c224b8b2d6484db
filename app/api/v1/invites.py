"""Invite links, room sender info, token info, friend link and demo code
(core-api.md §3, §9, §10.1, §10.2).

``GET /send-token`` and ``GET /resend-token`` live at the server root and are
called by the frontend with a plain axios GET *without* cookies, so they work
without a sign-in (``senderId`` in the query) and use the cookie's user when one
does come along. Their errors keep the original's ``{error: ...}`` shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from pymongo.errors import ConnectionFailure

from app.api.deps import ClientIP, Ctx, CurrentUser, OptionalUser
from app.api.responses import AppJSONResponse, ok, swapped
from app.api.v1.chat import SwappedErrorRoute
from app.core.errors import AppError
from app.core.logging import get_logger
from app.services import invites as invite_service

log = get_logger(__name__)


class TokenLinkRoute(APIRoute):
    """Unexpected failures of the link routes answer the original's
    ``{error: "Internal server error", message}`` (without internal details)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def link_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except (AppError, ConnectionFailure):
                raise
            except Exception:
                log.exception("invites.unexpected_error", route=self.name)
                return AppJSONResponse(
                    {
                        "error": "Internal server error",
                        "message": "The link could not be created. Please try again.",
                    },
                    status_code=500,
                )

        return link_errors


class DemoRoute(SwappedErrorRoute):
    failure_texts = {"request_demo": "Failed to send demo code. Please try again."}


router = APIRouter()
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter(route_class=TokenLinkRoute)
_demo_router = APIRouter(route_class=DemoRoute)


@root_router.get("/send-token")
async def send_token(
    ctx: Ctx,
    ip: ClientIP,
    signed_in: OptionalUser,
    background: BackgroundTasks,
    number: str | None = None,
    email: str | None = None,
    senderId: str | None = None,
) -> AppJSONResponse:
    invite = await invite_service.prepare_invite(
        ctx, ip=ip, number=number, email=email, sender_id=senderId, signed_in=signed_in
    )
    background.add_task(invite.deliver)
    return ok({"token": invite.token, "url": invite.url})


@root_router.get("/resend-token")
async def resend_token(
    ctx: Ctx,
    ip: ClientIP,
    signed_in: OptionalUser,
    background: BackgroundTasks,
    number: str | None = None,
    email: str | None = None,
    token: str | None = None,
    senderId: str | None = None,
) -> AppJSONResponse:
    invite = await invite_service.prepare_invite(
        ctx,
        ip=ip,
        number=number,
        email=email,
        sender_id=senderId,
        signed_in=signed_in,
        token=token,
        resend=True,
    )
    background.add_task(invite.deliver)
    return ok(
        {
            "success": True,
            "message": "Link resent successfully",
            "token": invite.token,
            "url": invite.url,
        }
    )


@router.get("/room-user-info")
async def room_user_info(ctx: Ctx, ip: ClientIP, userId: str | None = None) -> AppJSONResponse:
    return ok(await invite_service.room_user_info(ctx, userId, ip))


@router.get("/get-token-info/{token}")
async def get_token_info(
    token: str,
    landlordName: str | None = None,
    profileImage: str | None = None,
    landlordLogo: str | None = None,
) -> AppJSONResponse:
    # ``token`` is ignored, as in the original: this only echoes the query.
    info = invite_service.token_info(landlordName, profileImage, landlordLogo)
    return ok({"success": True, "tokenInfo": info})


class FriendLinkBody(BaseModel):
    """``fromName``, ``fromEmail``, ``landlordName`` and ``senderProfile`` are
    sent by the frontend and ignored: the sender is the signed-in account."""

    model_config = ConfigDict(extra="ignore")

    toEmail: str | None = None
    message: str | None = None
    websiteLink: str | None = None


@router.post("/send-friend-link")
async def send_friend_link(
    ctx: Ctx, ip: ClientIP, user: CurrentUser, body: FriendLinkBody
) -> AppJSONResponse:
    await invite_service.send_friend_link(
        ctx,
        user,
        ip,
        to_email=body.toEmail,
        message=body.message,
        website_link=body.websiteLink,
    )
    return ok({"success": True, "message": "Friend link sent successfully!"})


class DemoRequestBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    email: str | None = None
    # Anything but "analyzer" means the Karla demo, as in the original.
    useCase: Any = "karla"


@_demo_router.post("/request-demo")
async def request_demo(ctx: Ctx, ip: ClientIP, body: DemoRequestBody) -> AppJSONResponse:
    await invite_service.request_demo(
        ctx, ip, name=body.name, email=body.email, use_case=body.useCase
    )
    return swapped(200, True, None, "Demo code sent successfully to your email")


router.include_router(_demo_router)
