"""HTTP routes of the share-code uploads area (meetings-uploads.md U1–U17).

Thin: parse, resolve the caller, call one function of ``app.services.uploads``,
shape the body the frontend reads (``data.sessionId``, ``data.upload``,
``data.alreadyUploaded``, ``data.uploads``...). ``complete``, ``restore`` and
``mark-sent`` arrive without a body or Content-Type, so they declare none.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request

from app.api.deps import ClientIP, Ctx, CurrentUser, OptionalUser
from app.api.responses import AppJSONResponse, ok
from app.core.errors import AppError, ResponseBody
from app.core.logging import get_logger
from app.services import uploads as service
from app.services.uploads import AccessLog, BulkUpload, FileSend, SessionStart, UploadSearch

log = get_logger(__name__)

router = APIRouter(tags=["uploads"])
# Routes the frontend calls at the server root, outside /api/v1 (none here).
root_router = APIRouter()


# --------------------------------------------------------------------------- staged upload


@router.post("/upload/session", status_code=201)
async def start_session(ctx: Ctx, body: SessionStart) -> AppJSONResponse:
    session = await service.start_session(ctx, body)
    return ok(
        {
            "success": True,
            "message": "Upload session created successfully",
            "data": {"sessionId": session.id, "accessCode": session.accessCode},
        },
        201,
    )


@router.post("/upload/file/{session_id}")
async def send_file(ctx: Ctx, session_id: str, body: FileSend) -> AppJSONResponse:
    data = await service.receive_file(ctx, session_id, body)
    return ok(
        {"success": True, "message": f"{data['fileType']} uploaded successfully", "data": data}
    )


@router.post("/upload/complete/{session_id}", status_code=201)
async def complete_session(ctx: Ctx, session_id: str) -> AppJSONResponse:
    upload, already = await service.complete_session(ctx, session_id)
    return ok(
        {
            "success": True,
            "message": "Upload completed successfully",
            "data": {"upload": service.upload_json(upload), "alreadyUploaded": already},
        },
        201,
    )


@router.get("/upload/progress/{session_id}")
async def session_progress(session_id: str) -> AppJSONResponse:
    data = await service.session_progress(session_id)
    return ok({"success": True, "message": "Upload progress retrieved successfully", "data": data})


@router.post("/upload", status_code=201)
async def bulk_upload(ctx: Ctx, body: BulkUpload) -> AppJSONResponse:
    upload, already = await service.bulk_upload(ctx, body)
    return ok(
        {
            "success": True,
            "message": "Upload created successfully",
            "data": {"upload": service.upload_json(upload), "alreadyUploaded": already},
        },
        201,
    )


# --------------------------------------------------------------------------- public by code


@router.get("/upload/{access_code}")
async def fetch_by_code(ctx: Ctx, ip: ClientIP, access_code: str) -> AppJSONResponse:
    upload = await service.fetch_by_code(ctx, access_code, ip)
    return ok(
        {
            "success": True,
            "message": "Upload fetched successfully",
            "data": {"upload": service.upload_json(upload)},
        }
    )


@router.post("/upload/{access_code}/access")
async def record_access(
    ctx: Ctx, ip: ClientIP, viewer: OptionalUser, access_code: str, body: AccessLog | None = None
) -> AppJSONResponse:
    result = await service.record_access(ctx, access_code, body or AccessLog(), ip, viewer)
    return ok({"success": True, **result})


@router.post("/uploads/notification/mark-sent/{access_code}")
async def mark_sent(ctx: Ctx, ip: ClientIP, access_code: str) -> AppJSONResponse:
    await service.mark_sent(ctx, access_code, ip)
    return ok(
        {
            "success": True,
            "message": "Notification status updated",
            "data": {"notificationSent": True},
        }
    )


@router.post("/validate-access-code")
async def validate_access_code(ctx: Ctx, ip: ClientIP, request: Request) -> AppJSONResponse:
    # Parsed here rather than by a model: every failure of this route, even a
    # malformed body, must keep its own `{valid: false, message}` shape.
    raw = await request.body()
    payload: Any = None
    if raw.strip():
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ResponseBody(400, {"valid": False, "message": "Invalid input."}) from exc
    try:
        result = await service.validate_access_code(ctx, payload, ip)
    except AppError:
        raise
    except Exception as exc:
        log.exception("uploads.validate_failed")
        raise ResponseBody(500, {"valid": False, "message": "Server error"}) from exc
    return ok(result)


# --------------------------------------------------------------------------- the owner's uploads


@router.get("/uploads/my")
async def my_uploads(user: CurrentUser) -> AppJSONResponse:
    uploads = await service.my_uploads(user)
    return ok(
        {
            "success": True,
            "message": "User uploads fetched successfully",
            "data": {"uploads": [service.with_visitors(u) for u in uploads]},
        }
    )


@router.get("/uploads/my-latest")
async def my_latest(user: CurrentUser) -> AppJSONResponse:
    upload = await service.my_latest_upload(user)
    return ok(
        {
            "success": True,
            "message": "Latest upload fetched successfully",
            "data": {"upload": service.upload_json(upload) if upload else None},
        }
    )


@router.get("/uploads/trash")
async def my_trash(user: CurrentUser) -> AppJSONResponse:
    uploads = await service.my_trash(user)
    return ok(
        {
            "success": True,
            "message": "Trashed uploads fetched successfully",
            "data": {"uploads": [service.with_visitors(u) for u in uploads]},
        }
    )


@router.get("/uploads/notification/check")
async def notification_check(user: CurrentUser) -> AppJSONResponse:
    uploads = await service.viewed_notifications(user)
    return ok(
        {
            "success": True,
            "message": "Notification status checked",
            "data": {
                "hasNotifications": bool(uploads),
                "notifications": [service.upload_json(u) for u in uploads],
            },
        }
    )


@router.post("/uploads/search")
async def search(user: CurrentUser, body: UploadSearch | None = None) -> AppJSONResponse:
    uploads = await service.search_uploads(user, body or UploadSearch())
    return ok(
        {
            "success": True,
            "message": "Uploads search completed successfully",
            "data": {"uploads": [service.with_visitors(u) for u in uploads]},
        }
    )


@router.put("/uploads/restore/{upload_id}")
async def restore(user: CurrentUser, upload_id: str) -> AppJSONResponse:
    upload = await service.restore_upload(user, upload_id)
    return ok(
        {
            "success": True,
            "message": "Upload restored successfully",
            "data": {"upload": service.upload_json(upload)},
        }
    )


@router.delete("/uploads/permanent/{upload_id}")
async def delete_permanently(ctx: Ctx, user: CurrentUser, upload_id: str) -> AppJSONResponse:
    await service.delete_upload_permanently(ctx, user, upload_id)
    return ok({"success": True, "message": "Upload permanently deleted successfully"})


@router.delete("/uploads/{upload_id}")
async def move_to_trash(user: CurrentUser, upload_id: str) -> AppJSONResponse:
    upload = await service.trash_upload(user, upload_id)
    return ok(
        {
            "success": True,
            "message": "Upload moved to trash successfully",
            "data": {"upload": service.upload_json(upload)},
        }
    )
