"""HTTP routes of the forms area (core-api.md §11-§13, §15).

Envelope: the "helper (correct order)" one, ``{success, message: <text>,
data: <payload>}``. The public forms (callback request, demo meeting) are
rate limited per client IP inside the service; their back-office routes are
for ``admin``/``superadmin`` only. ``/stats`` routes are declared before
``/{id}`` so they are reachable (the original shadowed them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from app.api.deps import ClientIP, Ctx, CurrentUser, require_roles
from app.api.responses import AppJSONResponse, ok
from app.models.base import dump
from app.models.user import Role, User
from app.services import forms

router = APIRouter(tags=["forms"])
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()

AdminUser = Annotated[
    User, Depends(require_roles(Role.ADMIN, Role.SUPERADMIN, message=forms.ADMIN_ONLY))
]


def user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


UserAgent = Annotated[str, Depends(user_agent)]


class Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --------------------------------------------------------------------------- site feedback


class SiteFeedbackIn(Loose):
    feedback: str | None = None


@router.post("/send-feedback")
async def send_feedback(
    body: SiteFeedbackIn, ctx: Ctx, user: CurrentUser, ip: ClientIP, agent: UserAgent
) -> AppJSONResponse:
    await forms.send_site_feedback(ctx, user, body.feedback, ip=ip, user_agent=agent)
    return ok({"success": True, "message": "Feedback sent successfully"})


# --------------------------------------------------------------------------- image feedback


class FeedbackSaveIn(Loose):
    userEmail: str | None = None
    imageIndex: int | None = None
    analysisId: str | int | None = None
    feedbackType: str | None = None
    imageData: str | None = None
    analysisResponse: dict[str, Any] | None = None


class FeedbackRemoveIn(Loose):
    userEmail: str | None = None
    imageIndex: int | None = None
    analysisId: str | int | None = None


def _analysis_id(value: str | int | None) -> str | None:
    return None if value is None or value == "" else str(value)


@router.post("/feedback/save")
async def save_feedback(body: FeedbackSaveIn, user: CurrentUser) -> AppJSONResponse:
    feedback, created = await forms.save_image_feedback(
        user,
        user_email=body.userEmail,
        image_index=body.imageIndex,
        analysis_id=_analysis_id(body.analysisId),
        feedback_type=body.feedbackType,
        image_data=body.imageData,
        analysis_response=body.analysisResponse,
    )
    message = "Feedback saved successfully" if created else "Feedback updated successfully"
    return ok(
        {
            "success": True,
            "message": message,
            "data": {"feedbackId": feedback.id, "s3Url": feedback.imageData},
        },
        201 if created else 200,
    )


@router.post("/feedback/remove")
async def remove_feedback(body: FeedbackRemoveIn, user: CurrentUser) -> AppJSONResponse:
    await forms.remove_image_feedback(
        user,
        user_email=body.userEmail,
        image_index=body.imageIndex,
        analysis_id=_analysis_id(body.analysisId),
    )
    return ok({"success": True, "message": "Feedback removed successfully"})


@router.get("/feedback/stats")
async def feedback_stats(_: AdminUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Feedback stats retrieved successfully",
            "data": await forms.image_feedback_stats(),
        }
    )


@router.get("/feedback/user/{user_email}")
async def user_feedback(user_email: str, user: CurrentUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Feedback retrieved successfully",
            "data": await forms.list_image_feedback(user, user_email),
        }
    )


# --------------------------------------------------------------------------- callback requests


class CallbackRequestIn(Loose):
    name: str | None = None
    email: str | None = None
    phone: str | int | None = None
    day: str | None = None
    customDate: str | int | float | None = None
    customHour: str | int | None = None
    customMinute: str | int | None = None
    message: str | None = None


class CallbackUpdateIn(Loose):
    status: str | None = None
    priority: str | None = None
    assignedTo: str | None = None
    notes: str | None = None


class ContactAttemptIn(Loose):
    notes: str | None = None


@router.post("/callback-requests")
@router.post("/request-callback")  # the frontend dialog's path (core-api.md §15)
async def create_callback_request(
    body: CallbackRequestIn, ctx: Ctx, ip: ClientIP, agent: UserAgent
) -> AppJSONResponse:
    """``timeSlot`` from the dialog is ignored."""
    created = await forms.create_callback_request(ctx, body.model_dump(), ip=ip, user_agent=agent)
    return ok(
        {
            "success": True,
            "message": "Callback request submitted successfully",
            "data": dump(created),
        },
        201,
    )


@router.get("/callback-requests")
async def list_callback_requests(
    _: AdminUser,
    page: Annotated[int | None, Query()] = None,
    limit: Annotated[int | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    priority: Annotated[str | None, Query()] = None,
    search: Annotated[str | None, Query()] = None,
) -> AppJSONResponse:
    data = await forms.list_callback_requests(
        page=page, limit=limit, status=status, priority=priority, search=search
    )
    return ok(
        {"success": True, "message": "Callback requests retrieved successfully", "data": data}
    )


@router.get("/callback-requests/stats")
async def callback_request_stats(_: AdminUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Statistics retrieved successfully",
            "data": await forms.callback_request_stats(),
        }
    )


@router.get("/callback-requests/{request_id}")
async def get_callback_request(request_id: str, _: AdminUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Callback request retrieved successfully",
            "data": await forms.get_callback_request(request_id),
        }
    )


@router.put("/callback-requests/{request_id}")
async def update_callback_request(
    request_id: str, body: CallbackUpdateIn, _: AdminUser
) -> AppJSONResponse:
    data = await forms.update_callback_request(request_id, body.model_dump(exclude_unset=True))
    return ok({"success": True, "message": "Callback request updated successfully", "data": data})


@router.post("/callback-requests/{request_id}/contact-attempt")
async def contact_attempt(request_id: str, body: ContactAttemptIn, _: AdminUser) -> AppJSONResponse:
    data = await forms.record_contact_attempt(request_id, body.notes)
    return ok({"success": True, "message": "Contact attempt recorded successfully", "data": data})


@router.delete("/callback-requests/{request_id}")
async def delete_callback_request(request_id: str, _: AdminUser) -> AppJSONResponse:
    await forms.delete_callback_request(request_id)
    return ok({"success": True, "message": "Callback request deleted successfully"})


# --------------------------------------------------------------------------- demo meetings


class DemoMeetingIn(Loose):
    name: str | None = None
    email: str | None = None
    date: str | int | float | None = None
    hour: str | int | None = None
    minute: str | int | None = None
    message: str | None = None
    company: str | None = None
    phone: str | int | None = None


class DemoUpdateIn(Loose):
    status: str | None = None
    priority: str | None = None
    assignedTo: str | None = None
    meetingLink: str | None = None
    meetingNotes: str | None = None
    followUpRequired: bool | None = None
    followUpDate: str | int | float | None = None


class RescheduleIn(Loose):
    newDate: str | int | float | None = None
    newHour: str | int | None = None
    newMinute: str | int | None = None
    reason: str | None = None


@router.post("/demo-meetings")
@router.post("/book-demo-meeting")  # the frontend dialog's path (core-api.md §15)
async def create_demo_meeting(
    body: DemoMeetingIn, ctx: Ctx, ip: ClientIP, agent: UserAgent
) -> AppJSONResponse:
    created = await forms.create_demo_meeting(ctx, body.model_dump(), ip=ip, user_agent=agent)
    return ok(
        {
            "success": True,
            "message": "Demo meeting request submitted successfully",
            "data": dump(created),
        },
        201,
    )


@router.get("/demo-meetings")
async def list_demo_meetings(
    _: AdminUser,
    page: Annotated[int | None, Query()] = None,
    limit: Annotated[int | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    priority: Annotated[str | None, Query()] = None,
    search: Annotated[str | None, Query()] = None,
    dateFrom: Annotated[str | None, Query()] = None,
    dateTo: Annotated[str | None, Query()] = None,
) -> AppJSONResponse:
    data = await forms.list_demo_meetings(
        page=page,
        limit=limit,
        status=status,
        priority=priority,
        search=search,
        date_from=dateFrom,
        date_to=dateTo,
    )
    return ok(
        {
            "success": True,
            "message": "Demo meeting requests retrieved successfully",
            "data": data,
        }
    )


@router.get("/demo-meetings/stats")
async def demo_meeting_stats(_: AdminUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Statistics retrieved successfully",
            "data": await forms.demo_meeting_stats(),
        }
    )


@router.get("/demo-meetings/{meeting_id}")
async def get_demo_meeting(meeting_id: str, _: AdminUser) -> AppJSONResponse:
    return ok(
        {
            "success": True,
            "message": "Demo meeting request retrieved successfully",
            "data": await forms.get_demo_meeting(meeting_id),
        }
    )


@router.put("/demo-meetings/{meeting_id}")
async def update_demo_meeting(meeting_id: str, body: DemoUpdateIn, _: AdminUser) -> AppJSONResponse:
    data = await forms.update_demo_meeting(meeting_id, body.model_dump(exclude_unset=True))
    return ok(
        {"success": True, "message": "Demo meeting request updated successfully", "data": data}
    )


@router.post("/demo-meetings/{meeting_id}/reschedule")
async def reschedule_demo_meeting(
    meeting_id: str, body: RescheduleIn, _: AdminUser
) -> AppJSONResponse:
    data = await forms.reschedule_demo_meeting(meeting_id, body.model_dump())
    return ok({"success": True, "message": "Demo meeting rescheduled successfully", "data": data})


@router.delete("/demo-meetings/{meeting_id}")
async def delete_demo_meeting(meeting_id: str, _: AdminUser) -> AppJSONResponse:
    await forms.delete_demo_meeting(meeting_id)
    return ok({"success": True, "message": "Demo meeting request deleted successfully"})
