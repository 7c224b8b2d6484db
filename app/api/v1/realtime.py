"""HTTP routes backed by the real-time state (signaling.md §6).

- ``GET /api/v1/users/online``: superadmins only (403 with the original's text).
- ``GET /api/v1/debug/socket-status``: the original served it to anyone, in
  development only. Here it is a superadmin-only route in every environment
  (it lists live call tokens, which must never be public), with the original's
  body shape.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.api.deps import Ctx, require_roles
from app.api.responses import AppJSONResponse, ok
from app.models.user import Role, User
from app.services import presence

router = APIRouter()
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()

OnlineUsersViewer = Annotated[
    User,
    Depends(require_roles(Role.SUPERADMIN, message="Only superadmins can access online users")),
]
SocketStatusViewer = Annotated[
    User,
    Depends(require_roles(Role.SUPERADMIN, message="Only superadmins can access socket status")),
]


@router.get("/users/online")
async def online_users(ctx: Ctx, _viewer: OnlineUsersViewer) -> AppJSONResponse:
    return ok({"success": True, "data": await presence.online_users(ctx.presence)})


@router.get("/debug/socket-status")
async def socket_status(ctx: Ctx, _viewer: SocketStatusViewer) -> AppJSONResponse:
    return ok({"success": True, "data": await presence.socket_status(ctx.presence)})
