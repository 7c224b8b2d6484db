"""Folder routes (core-api.md §6). Everything acts on the caller's own user
document; meetings are reached only through the ownership filter in
:mod:`app.services.folders`. Trash/restore arrive without a body."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.api.deps import CurrentUser
from app.api.responses import AppJSONResponse, ok
from app.services import folders

router = APIRouter(tags=["folders"])
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()


class FolderBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Any = None
    trashed: Any = None


class AssignBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    meetingId: Any = None
    folderId: Any = None


# Static paths first, before the parameterised /folders/{folderId} routes.
@router.post("/folders/assign-meeting")
async def assign_meeting(user: CurrentUser, body: AssignBody | None = None) -> AppJSONResponse:
    body = body or AssignBody()
    assigned = await folders.assign_meeting(user, body.meetingId, body.folderId)
    message = "Meeting assigned to folder" if assigned else "Meeting removed from folder"
    return ok({"success": True, "message": message})


@router.get("/folders/meeting-assignments")
async def meeting_assignments(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "meetingFolders": dict(user.meetingFolders)})


@router.get("/folders")
async def list_folders(user: CurrentUser) -> AppJSONResponse:
    return ok({"success": True, "folders": folders.list_folders(user)})


@router.post("/folders")
async def create_folder(user: CurrentUser, body: FolderBody | None = None) -> AppJSONResponse:
    folder = await folders.create_folder(user, (body or FolderBody()).name)
    return ok(
        {
            "success": True,
            "message": "Folder created successfully",
            "folder": {"id": folder.id, "name": folder.name, "createdAt": folder.createdAt},
        },
        201,
    )


@router.put("/folders/{folder_id}/trash")
async def trash_folder(folder_id: str, user: CurrentUser) -> AppJSONResponse:
    name, affected = await folders.set_folder_trashed(user, folder_id, True)
    return ok(
        {
            "success": True,
            "message": f'Folder "{name}" and {affected} records moved to trash',
            "recordsAffected": affected,
        }
    )


@router.put("/folders/{folder_id}/restore")
async def restore_folder(folder_id: str, user: CurrentUser) -> AppJSONResponse:
    name, affected = await folders.set_folder_trashed(user, folder_id, False)
    return ok(
        {
            "success": True,
            "message": f'Folder "{name}" and {affected} records restored successfully',
            "recordsAffected": affected,
        }
    )


@router.put("/folders/{folder_id}")
async def update_folder(
    folder_id: str, user: CurrentUser, body: FolderBody | None = None
) -> AppJSONResponse:
    body = body or FolderBody()
    folder = await folders.update_folder(user, folder_id, body.name, body.trashed)
    return ok(
        {
            "success": True,
            "message": "Folder updated successfully",
            "folder": folders.folder_json(folder),
        }
    )


@router.delete("/folders/{folder_id}")
async def delete_folder(folder_id: str, user: CurrentUser) -> AppJSONResponse:
    await folders.delete_folder(user, folder_id)
    return ok({"success": True, "message": "Folder deleted successfully"})
