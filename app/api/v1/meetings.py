"""HTTP routes of the meetings area (meetings-uploads.md §3).

Static segments (``all``, ``archived-count``, ``search``, ``by-meeting-id``,
``share``, ``restore``, ``permanent``, ``create``) are registered before the
``{id}`` routes so they are never taken for an ``_id``. Archive, unarchive and
restore arrive with no body and no Content-Type, so they declare none.

``/create`` takes its body through :func:`app.api.streaming.spooled_json_body`
instead of a declared Pydantic body: a 100 MB recording arrives as a 133 MB
JSON string, which is spooled to a temporary file and decoded from there into
storage (bounded memory). Parsing, validation and every error message are
those of the declared body it replaces; the OpenAPI document still shows the
``MeetingCreateIn`` schema.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, TypeAdapter

from app.api.deps import ClientIP, Ctx, CurrentUser, OptionalUser
from app.api.responses import AppJSONResponse, ok
from app.api.streaming import SpooledBody, media_paths, spooled_json_body, validate_body
from app.core.ratelimit import Limit
from app.services import meetings as service

router = APIRouter(prefix="/meetings", tags=["meetings"])
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()


async def public_share_limit(ctx: Ctx, ip: ClientIP) -> None:
    """The share routes are public: throttle them per client IP."""
    settings = ctx.settings
    limit = Limit("meeting-share", settings.RATE_LIMIT_PUBLIC, settings.RATE_LIMIT_PUBLIC_WINDOW)
    await ctx.limiter.hit(limit, ip)


PublicLimit = Depends(public_share_limit)


class SpecialNotesIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    special_notes: Any = None


class StructuredNotesIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    structured_special_notes: Any = None


# --------------------------------------------------------------------------- static paths


def _inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined (no component refs)."""
    schema = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


_CREATE_ADAPTER = TypeAdapter(service.MeetingCreateIn)
CreateBody = Annotated[
    SpooledBody, Depends(spooled_json_body(media_paths("recordings", "screenshots")))
]


@router.post(
    "/create",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline_schema(service.MeetingCreateIn)}},
        }
    },
)
async def create_meeting(body: CreateBody, ctx: Ctx, user: CurrentUser) -> AppJSONResponse:
    # The body is read (and a malformed one refused) before the user is
    # resolved, as with the declared body this route used to have.
    payload = validate_body(_CREATE_ADAPTER, body)
    result = await service.create_or_add_media(ctx, user, payload)
    return ok(result.body, 201 if result.created else 200)


@router.get("/all")
async def list_meetings(
    user: CurrentUser,
    archived: Annotated[str | None, Query()] = None,
    deleted: Annotated[str | None, Query()] = None,
) -> AppJSONResponse:
    return ok(await service.list_meetings(user, archived=archived, deleted=deleted))


@router.get("/archived-count")
async def archived_count(user: CurrentUser) -> AppJSONResponse:
    return ok(await service.archived_counts(user))


@router.post("/search")
async def search_meetings(
    user: CurrentUser, body: service.SearchIn | None = None
) -> AppJSONResponse:
    return ok(await service.search_meetings(user, dict(body.model_extra or {}) if body else {}))


@router.get("/by-meeting-id/{meeting_id}")
async def by_meeting_id(user: CurrentUser, meeting_id: str) -> AppJSONResponse:
    meeting = await service.find_for_call(user, meeting_id)
    if meeting is None:
        return ok(
            {
                "success": True,
                "meeting": None,
                "isNewMeeting": True,
                "message": "No existing meeting found - ready for new meeting creation",
            }
        )
    return ok({"success": True, "meeting": service.meeting_doc(meeting)})


@router.get("/share/{meeting_id}", dependencies=[PublicLimit])
async def shared_meeting(meeting_id: str) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Meeting data retrieved for sharing",
            "meeting": await service.get_shared(meeting_id),
        }
    )


@router.post("/share/{meeting_id}/access", dependencies=[PublicLimit])
async def shared_meeting_access(
    request: Request,
    user: OptionalUser,
    ip: ClientIP,
    meeting_id: str,
    body: service.ShareAccessIn | None = None,
) -> AppJSONResponse:
    return ok(
        await service.record_share_access(
            user,
            meeting_id,
            body or service.ShareAccessIn(),
            ip_address=ip,
            user_agent=request.headers.get("user-agent"),
        )
    )


@router.put("/restore/{id}")
async def restore_meeting(user: CurrentUser, id: str) -> AppJSONResponse:
    meeting = await service.restore_meeting(user, id)
    return ok(
        {
            "success": True,
            "message": "Meeting restored successfully",
            "meeting": service.meeting_doc(meeting),
        }
    )


@router.delete("/permanent/{id}")
async def delete_permanently(ctx: Ctx, user: CurrentUser, id: str) -> AppJSONResponse:
    await service.delete_permanently(ctx, user, id)
    return ok({"success": True, "message": "Meeting permanently deleted (including S3 files)"})


# --------------------------------------------------------------------------- by _id


@router.get("/{id}")
async def get_meeting(user: CurrentUser, id: str) -> AppJSONResponse:
    meeting = await service.get_meeting(user, id)
    return ok(
        {
            "success": True,
            "message": "Meeting retrieved successfully",
            "data": {"meeting": service.meeting_doc(meeting)},
        }
    )


@router.put("/{id}")
async def update_meeting(
    ctx: Ctx, user: CurrentUser, id: str, fields: service.MeetingFieldsIn | None = None
) -> AppJSONResponse:
    await service.update_meeting(ctx, user, id, fields or service.MeetingFieldsIn())
    return ok({"success": True, "message": "Meeting updated successfully"})


@router.delete("/{id}")
async def trash_meeting(user: CurrentUser, id: str) -> AppJSONResponse:
    meeting = await service.trash_meeting(user, id)
    return ok(
        {
            "success": True,
            "message": "Meeting moved to trash",
            "data": {"meeting_id": meeting.meeting_id},
        }
    )


@router.put("/{id}/archive")
async def archive_meeting(user: CurrentUser, id: str) -> AppJSONResponse:
    meeting = await service.archive_meeting(user, id)
    return ok(
        {
            "success": True,
            "message": "Meeting archived successfully",
            "meeting": service.meeting_doc(meeting),
        }
    )


@router.put("/{id}/unarchive")
async def unarchive_meeting(user: CurrentUser, id: str) -> AppJSONResponse:
    meeting = await service.unarchive_meeting(user, id)
    return ok(
        {
            "success": True,
            "message": "Meeting unarchived successfully",
            "meeting": service.meeting_doc(meeting),
        }
    )


# --------------------------------------------------------------------------- by meeting_id


@router.delete("/{meeting_id}/recordings/{recording_id}")
async def delete_recording(
    ctx: Ctx, user: CurrentUser, meeting_id: str, recording_id: str
) -> AppJSONResponse:
    outcome = await service.delete_recording(ctx, user, meeting_id, recording_id)
    message = (
        "Recording deleted from database (S3 file remains due to permissions)"
        if outcome.reason == "AccessDenied"
        else "Recording deleted successfully"
    )
    return ok({"success": True, "message": message, "timeout": False})


@router.delete("/{meeting_id}/screenshots/{screenshot_id}")
async def delete_screenshot(
    ctx: Ctx, user: CurrentUser, meeting_id: str, screenshot_id: str
) -> AppJSONResponse:
    await service.delete_screenshot(ctx, user, meeting_id, screenshot_id)
    return ok({"success": True, "message": "Screenshot deleted successfully", "timeout": False})


@router.get("/{meeting_id}/special-notes")
async def get_special_notes(user: CurrentUser, meeting_id: str) -> AppJSONResponse:
    notes = await service.get_special_notes(user, meeting_id)
    return ok({"success": True, "special_notes": notes})


@router.post("/{meeting_id}/special-notes")
async def set_special_notes(
    user: CurrentUser, meeting_id: str, body: SpecialNotesIn | None = None
) -> AppJSONResponse:
    notes = await service.set_special_notes(
        user, meeting_id, body.special_notes if body is not None else None
    )
    return ok(
        {
            "success": True,
            "message": "Special notes updated successfully",
            "special_notes": notes,
        }
    )


@router.get("/{meeting_id}/structured-special-notes")
async def get_structured_notes(user: CurrentUser, meeting_id: str) -> AppJSONResponse:
    notes = await service.get_structured_notes(user, meeting_id)
    return ok({"success": True, "structured_special_notes": notes})


@router.patch("/{meeting_id}/structured-special-notes")
async def set_structured_notes(
    user: CurrentUser, meeting_id: str, body: StructuredNotesIn | None = None
) -> AppJSONResponse:
    notes = await service.set_structured_notes(
        user, meeting_id, body.structured_special_notes if body is not None else None
    )
    return ok(
        {
            "success": True,
            "message": "Structured special notes updated successfully",
            "structured_special_notes": notes,
        }
    )
