"""Forms: site feedback, image-analysis feedback, callback requests, demo meetings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from bson import ObjectId

from app.core.config import Settings
from app.models.base import utcnow
from app.models.forms import CallbackRequest, DemoMeeting, Feedback, GeneralFeedback
from app.models.user import Role, User
from app.services import forms as forms_service
from app.services.context import AppContext
from tests.factories.forms import make_callback_request, make_demo_meeting, make_image_feedback
from tests.factories.users import make_user, token_for
from tests.support.smtp_sink import SmtpSink


@pytest.fixture
def inboxes() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {
        "FEEDBACK_EMAIL": f"feedback-{tag}@videodesk.test",
        "CALLBACK_REQUEST_EMAIL": f"callbacks-{tag}@videodesk.test",
        "DEMO_MEETING_EMAIL": f"demos-{tag}@videodesk.test",
    }


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], inboxes: dict[str, str]) -> Settings:
    # A window far longer than any test run keeps the fixed-window counters stable.
    return settings_factory(RATE_LIMIT_FORMS_WINDOW=10**9, **inboxes)


def auth(ctx: AppContext, user: User) -> dict[str, str]:
    """The session cookie as a header (httpx deprecates per-request cookie jars)."""
    return {"Cookie": f"token={token_for(ctx, user)}"}


def future_day(days: int = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


CALLBACK = {
    "name": "  Jane Lead ",
    "email": " Jane.Lead@Example.TEST ",
    "phone": "+44 7700 900123",
    "day": "tomorrow",
    "timeSlot": "morning",
    "customHour": "",
    "customMinute": "",
    "message": "Please call <b>me</b>",
}


# --------------------------------------------------------------------------- send-feedback


async def test_send_feedback_stores_and_mails(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink, inboxes: dict[str, str]
) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/send-feedback",
        json={"feedback": "Love it <script>x</script>"},
        headers=auth(ctx, user),
    )
    assert response.status_code == 200
    assert response.json() == {"success": True, "message": "Feedback sent successfully"}
    stored = await GeneralFeedback.find_one({"userId": user.id})
    assert stored is not None
    assert stored.feedback == "Love it <script>x</script>"
    assert stored.email == user.email
    mail = smtp.wait_for(inboxes["FEEDBACK_EMAIL"], subject_contains="New feedback from")
    assert user.email in mail.subject
    assert "Love it <script>x</script>" in mail.text
    assert mail.html is not None
    assert "&lt;script&gt;" in mail.html
    assert "<script>" not in mail.html
    assert mail.message["Reply-To"] == user.email


async def test_send_feedback_requires_sign_in_and_text(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    response = await client.post("/api/v1/send-feedback", json={"feedback": "hi"})
    assert response.status_code == 401
    user = await make_user()
    for body in ({}, {"feedback": "   "}, {"feedback": "x" * 5001}):
        response = await client.post("/api/v1/send-feedback", json=body, headers=auth(ctx, user))
        assert response.status_code == 400
        assert response.json()["success"] is False
    assert await GeneralFeedback.count() == 0


async def test_send_feedback_is_stored_when_the_mail_fails(
    client: httpx.AsyncClient, ctx: AppContext, smtp: SmtpSink
) -> None:
    user = await make_user()
    smtp.fail_next = 1
    response = await client.post(
        "/api/v1/send-feedback", json={"feedback": "still kept"}, headers=auth(ctx, user)
    )
    smtp.fail_next = 0
    assert response.status_code == 200
    assert await GeneralFeedback.find_one({"feedback": "still kept"}) is not None


async def test_send_feedback_skips_mail_without_address(
    settings_factory: Callable[..., Settings],
) -> None:
    from tests.conftest import make_client, running_app

    async with running_app(settings_factory(FEEDBACK_EMAIL="")) as app:
        ctx: AppContext = app.state.ctx
        user = await make_user()
        async with make_client(app) as http:
            response = await http.post(
                "/api/v1/send-feedback", json={"feedback": "no inbox"}, headers=auth(ctx, user)
            )
        assert response.status_code == 200
        assert await GeneralFeedback.count() == 1


# --------------------------------------------------------------------------- image feedback


async def test_feedback_save_creates_then_updates(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    cookies = auth(ctx, user)
    body = {
        "userEmail": user.email,
        "imageIndex": 0,
        "analysisId": "a-1",
        "feedbackType": "thumbsUp",
        "imageData": "data:image/png;base64,iVBORw0KGgo=",
        "analysisResponse": {"summary": "damp", "confidence": 0.9},
    }
    first = await client.post("/api/v1/feedback/save", json=body, headers=cookies)
    assert first.status_code == 201
    payload = first.json()
    assert payload["success"] is True
    assert payload["message"] == "Feedback saved successfully"
    assert set(payload["data"]) == {"feedbackId", "s3Url"}
    assert payload["data"]["s3Url"] == "data:image/png;base64,iVBORw0KGgo="

    second = await client.post(
        "/api/v1/feedback/save", json={**body, "feedbackType": "thumbsDown"}, headers=cookies
    )
    assert second.status_code == 200
    assert second.json()["message"] == "Feedback updated successfully"
    assert second.json()["data"]["feedbackId"] == payload["data"]["feedbackId"]
    stored = await Feedback.find_all().to_list()
    assert len(stored) == 1
    assert stored[0].feedbackType == "thumbsDown"
    assert stored[0].analysisResponse == {"summary": "damp", "confidence": 0.9}


async def test_feedback_save_wraps_plain_strings_like_the_original(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/feedback/save",
        json={
            "userEmail": user.email,
            "imageIndex": 2,
            "analysisId": 7,
            "feedbackType": "thumbsDown",
            "imageData": "blob:abc",
        },
        headers=auth(ctx, user),
    )
    assert response.status_code == 201
    assert response.json()["data"]["s3Url"] == "data:image/jpeg;base64,YmxvYjphYmM="


async def test_feedback_save_validation_and_ownership(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    user = await make_user()
    cookies = auth(ctx, user)
    base = {
        "userEmail": user.email,
        "imageIndex": 0,
        "analysisId": "a",
        "feedbackType": "thumbsUp",
        "imageData": "x",
    }
    assert (await client.post("/api/v1/feedback/save", json=base)).status_code == 401
    missing = await client.post(
        "/api/v1/feedback/save", json={**base, "analysisId": None}, headers=cookies
    )
    assert missing.status_code == 400
    assert missing.json() == {"success": False, "message": "Missing required fields"}
    bad_type = await client.post(
        "/api/v1/feedback/save", json={**base, "feedbackType": "meh"}, headers=cookies
    )
    assert bad_type.status_code == 400
    bad_index = await client.post(
        "/api/v1/feedback/save", json={**base, "imageIndex": "zero"}, headers=cookies
    )
    assert bad_index.status_code == 400
    foreign = await client.post(
        "/api/v1/feedback/save", json={**base, "userEmail": "other@example.test"}, headers=cookies
    )
    assert foreign.status_code == 403
    assert await Feedback.count() == 0


async def test_feedback_read_and_remove_are_scoped_to_the_owner(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    owner = await make_user()
    other = await make_user()
    admin = await make_user(role=Role.ADMIN)
    older = await make_image_feedback(userEmail=owner.email, analysisId="old")
    older.createdAt = utcnow() - timedelta(hours=1)
    await older.save()
    await make_image_feedback(userEmail=owner.email, analysisId="new")

    mine = await client.get(f"/api/v1/feedback/user/{owner.email}", headers=auth(ctx, owner))
    assert mine.status_code == 200
    body = mine.json()
    assert body["message"] == "Feedback retrieved successfully"
    assert [f["analysisId"] for f in body["data"]] == ["new", "old"]

    empty = await client.get(f"/api/v1/feedback/user/{other.email}", headers=auth(ctx, other))
    assert empty.json()["data"] == []
    peek = await client.get(f"/api/v1/feedback/user/{owner.email}", headers=auth(ctx, other))
    assert peek.status_code == 403
    as_admin = await client.get(f"/api/v1/feedback/user/{owner.email}", headers=auth(ctx, admin))
    assert len(as_admin.json()["data"]) == 2

    key = {"userEmail": owner.email, "imageIndex": 0, "analysisId": "new"}
    stolen = await client.post("/api/v1/feedback/remove", json=key, headers=auth(ctx, other))
    assert stolen.status_code == 403
    removed = await client.post("/api/v1/feedback/remove", json=key, headers=auth(ctx, owner))
    assert removed.status_code == 200
    assert removed.json() == {"success": True, "message": "Feedback removed successfully"}
    again = await client.post("/api/v1/feedback/remove", json=key, headers=auth(ctx, owner))
    assert again.status_code == 404
    assert again.json() == {"success": False, "message": "Feedback not found"}
    missing = await client.post(
        "/api/v1/feedback/remove", json={"userEmail": owner.email}, headers=auth(ctx, owner)
    )
    assert missing.status_code == 400
    assert await Feedback.count() == 1


async def test_feedback_stats_admin_only(client: httpx.AsyncClient, ctx: AppContext) -> None:
    admin = await make_user(role=Role.SUPERADMIN)
    user = await make_user()
    empty = await client.get("/api/v1/feedback/stats", headers=auth(ctx, admin))
    assert empty.json()["data"] == {"total": 0, "thumbsUp": 0, "thumbsDown": 0, "positiveRate": 0}
    await make_image_feedback(feedbackType="thumbsUp")
    await make_image_feedback(feedbackType="thumbsUp")
    await make_image_feedback(feedbackType="thumbsDown")
    response = await client.get("/api/v1/feedback/stats", headers=auth(ctx, admin))
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Feedback stats retrieved successfully",
        "data": {"total": 3, "thumbsUp": 2, "thumbsDown": 1, "positiveRate": "66.67"},
    }
    assert (await client.get("/api/v1/feedback/stats", headers=auth(ctx, user))).status_code == 403
    assert (await client.get("/api/v1/feedback/stats")).status_code == 401


# --------------------------------------------------------------------------- callback requests


@pytest.mark.parametrize("path", ["/api/v1/callback-requests", "/api/v1/request-callback"])
async def test_callback_request_is_stored_and_mailed(
    client: httpx.AsyncClient, smtp: SmtpSink, inboxes: dict[str, str], path: str
) -> None:
    response = await client.post(path, json=CALLBACK, headers={"User-Agent": "pytest-agent"})
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Callback request submitted successfully"
    data = body["data"]
    assert data["name"] == "Jane Lead"
    assert data["email"] == "jane.lead@example.test"
    assert data["phone"] == "+44 7700 900123"
    assert data["preferredDay"] == "tomorrow"
    assert data["customDate"] is None
    assert data["preferredTime"] == {"hour": "09", "minute": "00"}
    assert data["status"] == "pending"
    assert data["priority"] == "medium"
    assert data["notes"] == ""
    assert data["contactAttempts"] == 0
    assert data["source"] == "footer-form"
    assert data["userAgent"] == "pytest-agent"
    assert data["ipAddress"]
    assert "timeSlot" not in data
    assert len(data["_id"]) == 24
    assert data["createdAt"].endswith("Z")
    stored = await CallbackRequest.get(ObjectId(data["_id"]))
    assert stored is not None
    assert stored.email == "jane.lead@example.test"

    mail = smtp.wait_for(inboxes["CALLBACK_REQUEST_EMAIL"], subject_contains="callback request")
    assert mail.subject == "New callback request from Jane Lead"
    assert "+44 7700 900123" in mail.text
    assert "Please call <b>me</b>" in mail.text
    assert mail.html is not None
    assert "&lt;b&gt;me&lt;/b&gt;" in mail.html
    assert mail.message["Reply-To"] == "jane.lead@example.test"


async def test_callback_request_custom_day(client: httpx.AsyncClient) -> None:
    day = future_day(5)
    response = await client.post(
        "/api/v1/request-callback",
        json={
            **CALLBACK,
            "day": "custom",
            "customDate": day,
            "customHour": 14,
            "customMinute": "5",
        },
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["customDate"] == f"{day}T00:00:00.000Z"
    assert data["preferredTime"] == {"hour": "14", "minute": "05"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Name, email, and phone are required"),
        ({"email": None}, "Name, email, and phone are required"),
        ({"phone": "  "}, "Name, email, and phone are required"),
        ({"email": "not-an-email"}, "Please provide a valid email address"),
        ({"day": "someday"}, "day must be today, tomorrow or custom"),
        ({"day": "custom"}, "A valid customDate is required when day is custom"),
        ({"day": "custom", "customDate": "31/02/2025"}, None),
        ({"customHour": "25"}, "Invalid customHour"),
        ({"name": {"$gt": ""}}, None),
    ],
)
async def test_callback_request_validation(
    client: httpx.AsyncClient, change: dict[str, object], message: str | None
) -> None:
    response = await client.post("/api/v1/callback-requests", json={**CALLBACK, **change})
    assert response.status_code == 400
    assert response.json()["success"] is False
    if message:
        assert response.json()["message"] == message
    assert await CallbackRequest.count() == 0


async def test_public_forms_are_rate_limited_per_ip(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    for _ in range(ctx.settings.RATE_LIMIT_FORMS):
        assert (await client.post("/api/v1/request-callback", json=CALLBACK)).status_code == 201
    limited = await client.post("/api/v1/callback-requests", json=CALLBACK)
    assert limited.status_code == 429
    assert limited.json()["success"] is False
    assert "Retry-After" in limited.headers
    # Invalid submissions count too, and the demo form has its own budget.
    demo = {"name": "A", "email": "a@example.test", "date": future_day()}
    for _ in range(ctx.settings.RATE_LIMIT_FORMS):
        assert (await client.post("/api/v1/book-demo-meeting", json={})).status_code == 400
    assert (await client.post("/api/v1/book-demo-meeting", json=demo)).status_code == 429
    assert await CallbackRequest.count() == ctx.settings.RATE_LIMIT_FORMS
    assert await DemoMeeting.count() == 0


async def test_callback_admin_routes_refuse_other_roles(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    lead = await make_callback_request()
    routes = [
        ("GET", "/api/v1/callback-requests", None),
        ("GET", "/api/v1/callback-requests/stats", None),
        ("GET", f"/api/v1/callback-requests/{lead.id}", None),
        ("PUT", f"/api/v1/callback-requests/{lead.id}", {"status": "contacted"}),
        ("POST", f"/api/v1/callback-requests/{lead.id}/contact-attempt", {"notes": "x"}),
        ("DELETE", f"/api/v1/callback-requests/{lead.id}", None),
    ]
    for role in (Role.LANDLORD, Role.RESIDENT, Role.COMPANY_ADMIN):
        cookies = auth(ctx, await make_user(role=role))
        for method, path, body in routes:
            response = await client.request(method, path, json=body, headers=cookies)
            assert response.status_code == 403, (role, method, path)
            assert response.json() == {
                "success": False,
                "message": "Access denied. Admin privileges required.",
            }
    for method, path, body in routes:
        assert (await client.request(method, path, json=body)).status_code == 401
    fresh = await CallbackRequest.get(lead.id)
    assert fresh is not None
    assert fresh.status == "pending"


async def test_callback_admin_list_filters_search_and_pagination(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin = await make_user(role=Role.ADMIN, firstName="Ada", lastName="Admin")
    cookies = auth(ctx, admin)
    for index in range(3):
        lead = await make_callback_request(name=f"Lead {index}", priority="low")
        lead.createdAt = utcnow() - timedelta(minutes=10 - index)
        await lead.save()
    await make_callback_request(
        name="Special (a+b) Lead", status="contacted", priority="high", assignedTo=admin.id
    )

    first = await client.get("/api/v1/callback-requests?limit=2&page=1", headers=cookies)
    assert first.status_code == 200
    body = first.json()
    assert body["message"] == "Callback requests retrieved successfully"
    assert body["data"]["pagination"] == {
        "currentPage": 1,
        "totalPages": 2,
        "totalItems": 4,
        "itemsPerPage": 2,
    }
    names = [r["name"] for r in body["data"]["callbackRequests"]]
    assert names == ["Special (a+b) Lead", "Lead 2"]
    assigned = body["data"]["callbackRequests"][0]["assignedTo"]
    assert assigned == {
        "_id": str(admin.id),
        "email": admin.email,
        "firstName": "Ada",
        "lastName": "Admin",
    }

    search = await client.get(
        "/api/v1/callback-requests", params={"search": "(a+b)"}, headers=cookies
    )
    assert [r["name"] for r in search.json()["data"]["callbackRequests"]] == ["Special (a+b) Lead"]
    regex = await client.get("/api/v1/callback-requests", params={"search": ".*"}, headers=cookies)
    assert regex.json()["data"]["callbackRequests"] == []
    by_status = await client.get(
        "/api/v1/callback-requests?status=contacted&priority=all", headers=cookies
    )
    assert by_status.json()["data"]["pagination"]["totalItems"] == 1
    by_priority = await client.get("/api/v1/callback-requests?priority=low", headers=cookies)
    assert by_priority.json()["data"]["pagination"]["totalItems"] == 3
    bad = await client.get("/api/v1/callback-requests?status=weird", headers=cookies)
    assert bad.status_code == 400


async def test_callback_admin_get_update_contact_delete(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin = await make_user(role=Role.SUPERADMIN)
    helper = await make_user(role=Role.ADMIN)
    cookies = auth(ctx, admin)
    lead = await make_callback_request(notes="")
    path = f"/api/v1/callback-requests/{lead.id}"

    got = await client.get(path, headers=cookies)
    assert got.status_code == 200
    assert got.json()["message"] == "Callback request retrieved successfully"
    assert got.json()["data"]["_id"] == str(lead.id)
    assert (await client.get("/api/v1/callback-requests/nope", headers=cookies)).json() == {
        "success": False,
        "message": "Resource not found. Invalid: _id",
    }
    missing = await client.get(f"/api/v1/callback-requests/{ObjectId()}", headers=cookies)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Callback request not found"

    updated = await client.put(
        path,
        json={"status": "contacted", "priority": "high", "assignedTo": str(helper.id), "x": 1},
        headers=cookies,
    )
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert updated.json()["message"] == "Callback request updated successfully"
    assert (data["status"], data["priority"]) == ("contacted", "high")
    assert data["assignedTo"]["_id"] == str(helper.id)
    assert (await client.put(path, json={"status": "done"}, headers=cookies)).status_code == 400
    assert (
        await client.put(path, json={"assignedTo": str(ObjectId())}, headers=cookies)
    ).status_code == 400
    unassigned = await client.put(path, json={"assignedTo": None}, headers=cookies)
    assert unassigned.json()["data"]["assignedTo"] is None

    no_notes = await client.post(f"{path}/contact-attempt", json={}, headers=cookies)
    assert no_notes.status_code == 400
    assert no_notes.json()["message"] == "Notes are required for contact attempt"
    moment = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    await forms_service.record_contact_attempt(str(lead.id), "Left voicemail", now=moment)
    second = await client.post(
        f"{path}/contact-attempt", json={"notes": "Spoke to Jane"}, headers=cookies
    )
    assert second.status_code == 200
    assert second.json()["message"] == "Contact attempt recorded successfully"
    data = second.json()["data"]
    assert data["contactAttempts"] == 2
    lines = data["notes"].split("\n")
    assert lines[0] == "2030-01-02T03:04:05.678Z: Left voicemail"
    assert lines[1].endswith("Z: Spoke to Jane")
    assert data["lastContactAttempt"] is not None

    deleted = await client.delete(path, headers=cookies)
    assert deleted.json() == {"success": True, "message": "Callback request deleted successfully"}
    assert await CallbackRequest.get(lead.id) is None
    assert (await client.delete(path, headers=cookies)).status_code == 404


async def test_callback_stats(client: httpx.AsyncClient, ctx: AppContext) -> None:
    cookies = auth(ctx, await make_user(role=Role.ADMIN))
    await make_callback_request()
    await make_callback_request()
    await make_callback_request(status="contacted")
    await make_callback_request(status="cancelled")
    response = await client.get("/api/v1/callback-requests/stats", headers=cookies)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": "Statistics retrieved successfully",
        "data": {
            "total": 4,
            "pending": 2,
            "contacted": 1,
            "completed": 0,
            "breakdown": [
                {"_id": "cancelled", "count": 1},
                {"_id": "contacted", "count": 1},
                {"_id": "pending", "count": 2},
            ],
        },
    }


# --------------------------------------------------------------------------- demo meetings


@pytest.mark.parametrize("path", ["/api/v1/demo-meetings", "/api/v1/book-demo-meeting"])
async def test_demo_meeting_is_stored_and_mailed(
    client: httpx.AsyncClient, smtp: SmtpSink, inboxes: dict[str, str], path: str
) -> None:
    day = future_day(4)
    response = await client.post(
        path,
        json={
            "name": "Pat Prospect",
            "email": "PAT@Example.test",
            "date": day,
            "hour": "10",
            "minute": "30",
            "message": "Show me <i>everything</i>",
            "company": "Acme Homes",
            "phone": "0207 000 0000",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["message"] == "Demo meeting request submitted successfully"
    data = body["data"]
    assert data["email"] == "pat@example.test"
    assert data["requestedDate"] == f"{day}T00:00:00.000Z"
    assert data["requestedTime"] == {"hour": "10", "minute": "30"}
    assert (data["status"], data["priority"], data["company"]) == (
        "pending",
        "medium",
        "Acme Homes",
    )
    assert data["meetingLink"] == ""
    assert data["followUpRequired"] is False
    assert await DemoMeeting.count() == 1

    mail = smtp.wait_for(inboxes["DEMO_MEETING_EMAIL"], subject_contains="demo meeting")
    assert mail.subject == "New demo meeting request from Pat Prospect"
    assert f"{day} at 10:30" in mail.text
    assert "Acme Homes" in mail.text
    assert mail.html is not None
    assert "&lt;i&gt;everything&lt;/i&gt;" in mail.html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": None}, "Name, email, and date are required"),
        ({"name": ""}, "Name, email, and date are required"),
        ({"date": "2001-01-01"}, "Meeting date must be in the future"),
        ({"date": "not a date"}, "Invalid meeting date"),
        ({"email": "x@"}, "Please provide a valid email address"),
        ({"minute": "61"}, "Invalid minute"),
    ],
)
async def test_demo_meeting_validation(
    client: httpx.AsyncClient, change: dict[str, object], message: str
) -> None:
    body = {"name": "A", "email": "a@example.test", "date": future_day(), **change}
    response = await client.post("/api/v1/demo-meetings", json=body)
    assert response.status_code == 400
    assert response.json() == {"success": False, "message": message}
    assert await DemoMeeting.count() == 0


async def test_demo_meeting_today_is_rejected(client: httpx.AsyncClient) -> None:
    today = datetime.now(UTC).date().isoformat()
    response = await client.post(
        "/api/v1/demo-meetings", json={"name": "A", "email": "a@example.test", "date": today}
    )
    assert response.status_code == 400


async def test_demo_admin_routes_refuse_other_roles(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    meeting = await make_demo_meeting()
    routes = [
        ("GET", "/api/v1/demo-meetings", None),
        ("GET", "/api/v1/demo-meetings/stats", None),
        ("GET", f"/api/v1/demo-meetings/{meeting.id}", None),
        ("PUT", f"/api/v1/demo-meetings/{meeting.id}", {"status": "confirmed"}),
        ("POST", f"/api/v1/demo-meetings/{meeting.id}/reschedule", {"newDate": future_day()}),
        ("DELETE", f"/api/v1/demo-meetings/{meeting.id}", None),
    ]
    cookies = auth(ctx, await make_user(role=Role.COMPANY_ADMIN))
    for method, path, body in routes:
        assert (await client.request(method, path, json=body, headers=cookies)).status_code == 403
        assert (await client.request(method, path, json=body)).status_code == 401
    assert await DemoMeeting.count() == 1


async def test_demo_admin_list_get_update_reschedule_delete(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin = await make_user(role=Role.ADMIN)
    cookies = auth(ctx, admin)
    soon = await make_demo_meeting(name="Soon", requestedDate=utcnow() + timedelta(days=1))
    await make_demo_meeting(
        name="Later", requestedDate=utcnow() + timedelta(days=20), company="Zeta Ltd"
    )

    listing = await client.get("/api/v1/demo-meetings", headers=cookies)
    assert listing.status_code == 200
    body = listing.json()
    assert body["message"] == "Demo meeting requests retrieved successfully"
    assert [m["name"] for m in body["data"]["demoMeetings"]] == ["Soon", "Later"]
    assert body["data"]["pagination"] == {
        "currentPage": 1,
        "totalPages": 1,
        "totalItems": 2,
        "itemsPerPage": 10,
    }
    by_company = await client.get("/api/v1/demo-meetings?search=zeta", headers=cookies)
    assert [m["name"] for m in by_company.json()["data"]["demoMeetings"]] == ["Later"]
    window = await client.get(
        "/api/v1/demo-meetings",
        params={"dateFrom": future_day(10), "dateTo": future_day(30)},
        headers=cookies,
    )
    assert [m["name"] for m in window.json()["data"]["demoMeetings"]] == ["Later"]

    path = f"/api/v1/demo-meetings/{soon.id}"
    got = await client.get(path, headers=cookies)
    assert got.json()["message"] == "Demo meeting request retrieved successfully"
    missing = await client.get(f"/api/v1/demo-meetings/{ObjectId()}", headers=cookies)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Demo meeting request not found"

    updated = await client.put(
        path,
        json={
            "status": "confirmed",
            "meetingLink": "https://meet.example/abc",
            "meetingNotes": "Bring slides",
            "followUpRequired": True,
            "followUpDate": future_day(9),
        },
        headers=cookies,
    )
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert updated.json()["message"] == "Demo meeting request updated successfully"
    assert (data["status"], data["meetingLink"], data["followUpRequired"]) == (
        "confirmed",
        "https://meet.example/abc",
        True,
    )
    bad_link = await client.put(path, json={"meetingLink": "javascript:alert(1)"}, headers=cookies)
    assert bad_link.status_code == 400

    no_date = await client.post(f"{path}/reschedule", json={}, headers=cookies)
    assert no_date.json() == {"success": False, "message": "New date is required for rescheduling"}
    past = await client.post(f"{path}/reschedule", json={"newDate": "2000-05-05"}, headers=cookies)
    assert past.json() == {"success": False, "message": "New meeting date must be in the future"}
    new_day = future_day(12)
    moved = await client.post(
        f"{path}/reschedule",
        json={"newDate": new_day, "newHour": "15", "reason": "Client asked"},
        headers=cookies,
    )
    assert moved.status_code == 200
    assert moved.json()["message"] == "Demo meeting rescheduled successfully"
    data = moved.json()["data"]
    assert data["status"] == "rescheduled"
    assert data["requestedDate"] == f"{new_day}T00:00:00.000Z"
    assert data["requestedTime"] == {"hour": "15", "minute": "00"}
    notes = data["meetingNotes"].split("\n")
    assert notes[0] == "Bring slides"
    assert notes[1].endswith("Z: Rescheduled - Client asked")

    deleted = await client.delete(path, headers=cookies)
    assert deleted.json() == {
        "success": True,
        "message": "Demo meeting request deleted successfully",
    }
    assert await DemoMeeting.get(soon.id) is None


async def test_demo_stats(client: httpx.AsyncClient, ctx: AppContext) -> None:
    cookies = auth(ctx, await make_user(role=Role.SUPERADMIN))
    await make_demo_meeting(requestedDate=utcnow() + timedelta(days=2))
    await make_demo_meeting(status="confirmed", requestedDate=utcnow() + timedelta(days=3))
    await make_demo_meeting(status="confirmed", requestedDate=utcnow() + timedelta(days=30))
    await make_demo_meeting(status="completed", requestedDate=utcnow() - timedelta(days=3))
    response = await client.get("/api/v1/demo-meetings/stats", headers=cookies)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "total": 4,
        "pending": 1,
        "confirmed": 2,
        "completed": 1,
        "upcoming": 2,
        "breakdown": [
            {"_id": "completed", "count": 1},
            {"_id": "confirmed", "count": 2},
            {"_id": "pending", "count": 1},
        ],
    }
