"""Profile/settings routes of the signed-in user (core-api.md §5) and user
administration (§7).

``/users/{id}`` routes only match a 24-hex id (the ``objectid`` path
convertor), so static paths declared by other areas under ``/users/`` — such
as ``GET /users/online`` — are never shadowed; a malformed id is a 404.
Role checks for administration live in :func:`app.services.user_admin.ensure_admin`,
reached through the :func:`admin` dependency factory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict
from starlette.convertors import Convertor, register_url_convertor

from app.api.deps import Ctx, CurrentUser, require_roles
from app.api.responses import AppJSONResponse, ok, swapped
from app.core.errors import BadRequest
from app.models.user import Role, User, UserStatus
from app.services import profile, user_admin
from app.services.user_admin import Verb

router = APIRouter(tags=["users"])
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()


class ObjectIdConvertor(Convertor[str]):
    regex = "[0-9a-fA-F]{24}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("objectid", ObjectIdConvertor())


def admin(verb: str) -> Callable[..., Awaitable[User]]:
    """Dependency: the caller, if an admin/superadmin; else the spec's 403 for ``verb``."""

    async def dependency(user: CurrentUser) -> User:
        return user_admin.ensure_admin(user, verb)

    return dependency


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LogoBody(_Body):
    logoData: Any = None


class LandlordInfoBody(_Body):
    model_config = ConfigDict(extra="ignore")

    type: Any = None
    logoData: Any = None
    imageData: Any = None
    landlordName: Any = None
    landlordLogo: Any = None
    officerImage: Any = None
    useLandlordLogoAsProfile: Any = None
    profileShape: Any = None
    redirectUrlDefault: Any = None
    redirectUrlTailored: Any = None


class MessageSettingsBody(_Body):
    messageOption: Any = None
    tailoredMessage: Any = None
    defaultTextSize: Any = None
    tailoredTextSize: Any = None
    selectedButtonColor: Any = None


class PaginationBody(_Body):
    itemsPerPage: Any = None


class DetailsBody(_Body):
    email: Any = None
    role: Any = None
    company: Any = None
    status: Any = None


# --------------------------------------------------------------------------- profile


@router.put("/user/update-logo")
async def update_logo(ctx: Ctx, user: CurrentUser, body: LogoBody | None = None) -> AppJSONResponse:
    url, fresh = await profile.update_logo(ctx, user, (body or LogoBody()).logoData)
    return ok(
        {
            "success": True,
            "message": "Logo updated successfully",
            "logoUrl": url,
            "user": fresh.public(),
        }
    )


@router.put("/user/update-landlord-info")
async def update_landlord_info(
    ctx: Ctx, user: CurrentUser, body: LandlordInfoBody | None = None
) -> AppJSONResponse:
    body = body or LandlordInfoBody()
    action = body.type
    if action == "landlordLogo":
        url = await profile.upload_landlord_logo(ctx, user, body.logoData)
        return ok(
            {"success": True, "message": "Landlord logo uploaded successfully", "logoUrl": url}
        )
    if action == "officerImage":
        url = await profile.upload_officer_image(ctx, user, body.imageData)
        return ok(
            {"success": True, "message": "Officer image uploaded successfully", "imageUrl": url}
        )
    if action == "deleteLandlordLogo":
        fresh = await profile.delete_landlord_logo(ctx, user)
        return ok(
            {
                "success": True,
                "message": "Landlord logo deleted successfully",
                "user": fresh.public(),
            }
        )
    if action == "deleteOfficerImage":
        fresh = await profile.delete_officer_image(ctx, user)
        return ok(
            {
                "success": True,
                "message": "Officer image deleted successfully",
                "user": fresh.public(),
            }
        )
    if action == "saveLandlordInfo":
        values = body.model_dump(include=set(profile.SAVE_LANDLORD_FIELDS))
        present = set(body.model_fields_set) & set(profile.SAVE_LANDLORD_FIELDS)
        fresh = await profile.save_landlord_info(ctx, user, values, present)
        return ok(
            {
                "success": True,
                "message": "Landlord information saved successfully",
                "user": fresh.public(),
            }
        )
    raise BadRequest("Invalid request type")


@router.get("/user/landlord-info")
async def get_landlord_info(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "landlordInfo": profile.landlord_info(user)})


@router.get("/user/message-settings")
async def get_message_settings(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "messageSettings": profile.message_settings(user)})


@router.put("/user/message-settings")
async def put_message_settings(
    ctx: Ctx, user: CurrentUser, body: MessageSettingsBody | None = None
) -> AppJSONResponse:
    values = (body or MessageSettingsBody()).model_dump()
    settings, fresh = await profile.save_message_settings(ctx, user, values)
    return ok(
        {
            "success": True,
            "message": "Message settings saved successfully",
            "messageSettings": settings,
            "user": fresh.public(),
        }
    )


@router.get("/user/pagination-settings")
async def get_pagination_settings(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "paginationSettings": profile.pagination_settings(user)})


@router.put("/user/pagination-settings")
async def put_pagination_settings(
    user: CurrentUser, body: PaginationBody | None = None
) -> AppJSONResponse:
    saved = await profile.save_pagination_settings(user, (body or PaginationBody()).itemsPerPage)
    return ok(
        {
            "success": True,
            "message": "Pagination settings saved successfully",
            "paginationSettings": saved,
        }
    )


# --------------------------------------------------------------------------- administration


@router.get("/users/all")
async def list_users(
    actor: Annotated[User, Depends(admin(Verb.VIEW_ALL))], deleted: str | None = None
) -> AppJSONResponse:
    users = await user_admin.list_users(deleted == "true")
    return ok({"success": True, "users": users, "count": len(users)})


@router.put("/users/restore/{user_id:objectid}")
async def restore_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.RESTORE))]
) -> AppJSONResponse:
    target = await user_admin.restore_user(actor, user_id)
    return swapped(200, True, {"userId": target}, "User restored successfully")


@router.delete("/users/permanent/{user_id:objectid}")
async def delete_user_permanently(
    ctx: Ctx, user_id: str, actor: Annotated[User, Depends(admin(Verb.PERMANENT))]
) -> AppJSONResponse:
    target = await user_admin.delete_user_permanently(ctx, actor, user_id)
    return swapped(200, True, {"userId": target}, "User permanently deleted")


@router.get("/users/{user_id:objectid}")
async def get_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.VIEW))]
) -> AppJSONResponse:
    return ok({"success": True, "user": await user_admin.get_user(user_id)})


@router.delete("/users/{user_id:objectid}")
async def trash_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.DELETE))]
) -> AppJSONResponse:
    target = await user_admin.trash_user(actor, user_id)
    return swapped(200, True, {"userId": target}, "User moved to trash successfully")


async def _status_change(
    actor: User, user_id: str, status: UserStatus, text: str
) -> AppJSONResponse:
    target = await user_admin.set_status(actor, user_id, status)
    return swapped(200, True, {"userId": target, "status": str(status)}, text)


@router.put("/users/{user_id:objectid}/freeze")
async def freeze_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.FREEZE))]
) -> AppJSONResponse:
    return await _status_change(
        actor, user_id, UserStatus.FROZEN, "User account frozen successfully"
    )


@router.put("/users/{user_id:objectid}/suspend")
async def suspend_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.SUSPEND))]
) -> AppJSONResponse:
    return await _status_change(
        actor, user_id, UserStatus.SUSPENDED, "User account suspended successfully"
    )


@router.put("/users/{user_id:objectid}/activate")
async def activate_user(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.ACTIVATE))]
) -> AppJSONResponse:
    return await _status_change(
        actor, user_id, UserStatus.ACTIVE, "User account activated successfully"
    )


async def _details(actor: User, user_id: str, body: DetailsBody | None) -> AppJSONResponse:
    body = body or DetailsBody()
    values = body.model_dump(include=set(body.model_fields_set))
    user = await user_admin.update_details(actor, user_id, values)
    # Swapped like the original, plus a top-level `user` the edit dialog reads.
    return ok(
        {
            "success": True,
            "message": {"user": user},
            "data": "User updated successfully",
            "user": user,
        }
    )


@router.put("/users/{user_id:objectid}/details")
async def update_user_details(
    user_id: str,
    actor: Annotated[User, Depends(admin(Verb.UPDATE))],
    body: DetailsBody | None = None,
) -> AppJSONResponse:
    return await _details(actor, user_id, body)


@router.put("/users/{user_id:objectid}")
async def update_user(
    user_id: str,
    actor: Annotated[User, Depends(admin(Verb.UPDATE))],
    body: DetailsBody | None = None,
) -> AppJSONResponse:
    """The original mapped this to the caller's own e-mail update; here it is
    the admin ``details`` update of the named user."""
    return await _details(actor, user_id, body)


@router.get("/users/{user_id:objectid}/stats")
async def user_stats(
    user_id: str, actor: Annotated[User, Depends(admin(Verb.STATS))]
) -> AppJSONResponse:
    stats = await user_admin.user_stats(user_id)
    return ok(
        {
            "success": True,
            "message": "User statistics retrieved successfully",
            "data": {"stats": stats},
        }
    )


DashboardViewer = Annotated[
    User,
    Depends(require_roles(Role.SUPERADMIN, message="Only superadmins can access dashboard stats")),
]


@router.get("/dashboard/stats")
async def dashboard_stats(ctx: Ctx, _viewer: DashboardViewer) -> AppJSONResponse:
    return ok({"success": True, "data": await user_admin.dashboard_stats(ctx)})
