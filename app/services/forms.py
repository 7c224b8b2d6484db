"""Public forms and their back office: site feedback, image-analysis feedback,
callback requests and demo-meeting requests (core-api.md §11-§13, §15).

Every submission is validated, stored, then announced by e-mail to the address
configured for its kind (``FEEDBACK_EMAIL``, ``CALLBACK_REQUEST_EMAIL``,
``DEMO_MEETING_EMAIL``). The stored document is the record of truth: when the
notification cannot be sent the submission still succeeds and the failure is
logged (``forms.notify_failed``); an empty address setting skips the mail with
a log line (``forms.notify_skipped``).

Decisions where the spec is silent are listed in docs/forms.md.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId, SortDirection
from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import DuplicateKeyError

from app.core.errors import BadRequest, Forbidden, NotFound
from app.core.jsonenc import iso
from app.core.logging import get_logger
from app.core.ratelimit import Limit
from app.models.base import as_utc, dump, utcnow
from app.models.forms import (
    CALLBACK_STATUSES,
    DEMO_STATUSES,
    LEAD_PRIORITIES,
    CallbackRequest,
    DemoMeeting,
    Feedback,
    GeneralFeedback,
    PreferredTime,
    RequestedTime,
)
from app.models.user import User
from app.services.context import AppContext
from app.services.mail import MailError, render

log = get_logger(__name__)

INVALID_ID = "Resource not found. Invalid: _id"
ADMIN_ONLY = "Access denied. Admin privileges required."
MAX_PAGE_SIZE = 100
MAX_TEXT = 5000
MAX_LINE = 200
# Feedback images are kept inline in the document (as the original did); the
# cap keeps one document far below MongoDB's 16 MB limit.
MAX_FEEDBACK_IMAGE_CHARS = 8 * 1024 * 1024

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TWO_DIGITS = re.compile(r"^\d{1,2}$")
_IMAGE_DATA_URL = re.compile(r"^data:image/(png|jpe?g|gif|webp);base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------- shared helpers


def parse_object_id(value: str, message: str = INVALID_ID) -> PydanticObjectId:
    """A path/body id as an ObjectId, or the original's 400 for a malformed one."""
    try:
        return PydanticObjectId(ObjectId(str(value)))
    except (InvalidId, TypeError) as exc:
        raise BadRequest(message) from exc


def parse_client_date(value: Any) -> datetime | None:
    """A date from the browser, as an aware UTC datetime (None when unparsable).

    Accepts ISO-8601 date or date-time strings and epoch milliseconds, the
    forms JavaScript's ``Date`` produces. A date-only string is UTC midnight
    (as in JavaScript); a date-time without offset is also read as UTC.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """``2025-08-27T10:11:12.345Z``, the way JavaScript's ``toISOString`` writes it."""
    return iso(as_utc(moment))


def clean_line(value: Any, limit: int = MAX_LINE) -> str:
    """A single-line text field: trimmed, inner whitespace (and line breaks,
    which could break a mail subject) collapsed, capped."""
    if value is None:
        return ""
    return _WHITESPACE.sub(" ", str(value)).strip()[:limit]


def clean_text(value: Any, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    return str(value).strip()[:limit]


def normalise_email(value: Any) -> str:
    return str(value or "").strip().lower()


def require_valid_email(email: str) -> str:
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise BadRequest("Please provide a valid email address")
    return email


def escape_search(term: Any) -> str | None:
    """Search input is literal text; non-strings are refused (no operator injection)."""
    if term is None:
        return None
    if not isinstance(term, str):
        raise BadRequest("Search must be text")
    term = term.strip()[:MAX_LINE]
    return re.escape(term) if term else None


def time_part(value: Any, default: str, maximum: int, field: str) -> str:
    """An hour/minute from a form (string or number), zero-padded to two digits."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if isinstance(value, bool) or not _TWO_DIGITS.match(text) or int(text) > maximum:
        raise BadRequest(f"Invalid {field}")
    return f"{int(text):02d}"


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size


def page_of(page: int | None, limit: int | None, default_size: int) -> Page:
    """Clamp paging input: page ≥ 1, 1 ≤ limit ≤ 100."""
    number = max(1, page or 1)
    size = min(MAX_PAGE_SIZE, max(1, limit or default_size))
    return Page(number, size)


def total_pages(total: int, size: int) -> int:
    return math.ceil(total / size) if size else 0


def form_limit(ctx: AppContext, form: str) -> Limit:
    s = ctx.settings
    return Limit(f"form:{form}", s.RATE_LIMIT_FORMS, s.RATE_LIMIT_FORMS_WINDOW)


def submission_limit(ctx: AppContext, kind: str) -> Limit:
    s = ctx.settings
    return Limit(f"submit:{kind}", s.RATE_LIMIT_SUBMISSIONS, s.RATE_LIMIT_SUBMISSIONS_WINDOW)


async def notify(
    ctx: AppContext,
    address: str,
    template: str,
    subject: str,
    *,
    reply_to: str | None = None,
    **context: Any,
) -> bool:
    """Mail a stored submission to the team; never fails the request."""
    if not address:
        log.info("forms.notify_skipped", template=template, reason="no address configured")
        return False
    try:
        mail = render(template, subject, **context)
        await ctx.mail.send(address, mail, reply_to=reply_to)
    except MailError as exc:
        log.error("forms.notify_failed", template=template, error=str(exc))
        return False
    return True


async def populate_users(
    ids: Sequence[PydanticObjectId | None], fields: Sequence[str]
) -> dict[PydanticObjectId, dict[str, Any]]:
    """Look up referenced users once per page (Mongoose ``populate`` with a projection)."""
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    collection = User.get_pymongo_collection()
    projection = dict.fromkeys(fields, 1)
    found: dict[PydanticObjectId, dict[str, Any]] = {}
    async for row in collection.find({"_id": {"$in": wanted}}, projection):
        found[PydanticObjectId(row["_id"])] = row
    return found


async def ensure_user_exists(user_id: PydanticObjectId) -> None:
    if await User.find_one({"_id": user_id}) is None:
        raise BadRequest("Assigned user not found")


def _assignee(value: Any) -> PydanticObjectId | None:
    """``assignedTo`` in an update: an existing user's id, or null/"" to unassign."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest("Invalid assignedTo")
    return parse_object_id(value, "Invalid assignedTo")


# --------------------------------------------------------------------------- site feedback


async def send_site_feedback(
    ctx: AppContext, user: User, text: Any, *, ip: str, user_agent: str
) -> GeneralFeedback:
    """``POST /send-feedback``: store the text and mail it to ``FEEDBACK_EMAIL``."""
    await ctx.limiter.hit(submission_limit(ctx, "feedback"), str(user.id))
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("Feedback is required")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"Feedback must be at most {MAX_TEXT} characters")
    assert user.id is not None
    entry = GeneralFeedback(
        userId=user.id,
        email=user.email,
        feedback=text.strip(),
        userAgent=user_agent[:500],
        ipAddress=ip,
    )
    await entry.insert()
    log.info("forms.site_feedback", feedback_id=str(entry.id), user_id=str(user.id))
    await notify(
        ctx,
        ctx.settings.FEEDBACK_EMAIL,
        "feedback",
        f"New feedback from {clean_line(user.email)}",
        reply_to=user.email,
        email=user.email,
        name=f"{user.firstName} {user.lastName}".strip(),
        role=str(user.role),
        feedback=entry.feedback,
        submitted_at=entry.createdAt,
    )
    return entry


# --------------------------------------------------------------------------- image feedback


def _may_act_for(user: User, email: str) -> bool:
    return bool(user.email.strip().lower() == email.strip().lower())


def _stored_image(value: str) -> str:
    """Keep an image data URL as sent; wrap anything else like the original did.

    The original base64-encoded whatever string arrived behind a JPEG prefix,
    double-encoding real data URLs; image data URLs are kept unchanged here.
    """
    if _IMAGE_DATA_URL.match(value):
        return value
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    return f"data:image/jpeg;base64,{encoded}"


async def save_image_feedback(
    user: User,
    *,
    user_email: str | None,
    image_index: int | None,
    analysis_id: str | None,
    feedback_type: str | None,
    image_data: str | None,
    analysis_response: dict[str, Any] | None,
) -> tuple[Feedback, bool]:
    """Upsert on (userEmail, imageIndex, analysisId); returns (feedback, created)."""
    if not user_email or image_index is None or not analysis_id or not feedback_type:
        raise BadRequest("Missing required fields")
    if not image_data:
        raise BadRequest("Missing required fields")
    if feedback_type not in ("thumbsUp", "thumbsDown"):
        raise BadRequest("feedbackType must be thumbsUp or thumbsDown")
    if image_index < 0:
        raise BadRequest("imageIndex must not be negative")
    if len(image_data) > MAX_FEEDBACK_IMAGE_CHARS:
        raise BadRequest("Image data is too large")
    if not _may_act_for(user, user_email):
        raise Forbidden("You can only give feedback as yourself")
    email = user_email.strip()
    key = {"userEmail": email, "imageIndex": image_index, "analysisId": analysis_id}
    stored_image = _stored_image(image_data)
    existing = await Feedback.find_one(key)
    if existing is not None:
        existing.feedbackType = feedback_type  # type: ignore[assignment]
        existing.imageData = stored_image
        existing.analysisResponse = analysis_response
        await existing.save()
        return existing, False
    feedback = Feedback(
        userEmail=email,
        imageIndex=image_index,
        analysisId=analysis_id,
        feedbackType=feedback_type,  # type: ignore[arg-type]
        imageData=stored_image,
        analysisResponse=analysis_response,
    )
    try:
        await feedback.insert()
    except DuplicateKeyError:
        # A concurrent first save of the same triple won; update it instead.
        current = await Feedback.find_one(key)
        if current is None:
            raise
        current.feedbackType = feedback_type  # type: ignore[assignment]
        current.imageData = stored_image
        current.analysisResponse = analysis_response
        await current.save()
        return current, False
    return feedback, True


async def remove_image_feedback(
    user: User, *, user_email: str | None, image_index: int | None, analysis_id: str | None
) -> None:
    if not user_email or image_index is None or not analysis_id:
        raise BadRequest("Missing required fields")
    if not _may_act_for(user, user_email):
        raise Forbidden("You can only remove your own feedback")
    found = await Feedback.find_one(
        {"userEmail": user_email.strip(), "imageIndex": image_index, "analysisId": analysis_id}
    )
    if found is None:
        raise NotFound("Feedback not found")
    await found.delete()


async def list_image_feedback(user: User, email: str) -> list[dict[str, Any]]:
    """Newest first; a user reads their own, admins anyone's."""
    if not user.is_admin and not _may_act_for(user, email):
        raise Forbidden("You can only read your own feedback")
    rows = await Feedback.find({"userEmail": email.strip()}).sort("-createdAt").to_list()
    return [dump(row) for row in rows]


async def image_feedback_stats() -> dict[str, Any]:
    collection = Feedback.get_pymongo_collection()
    total = await collection.count_documents({})
    thumbs_up = await collection.count_documents({"feedbackType": "thumbsUp"})
    thumbs_down = await collection.count_documents({"feedbackType": "thumbsDown"})
    rate: str | int = f"{thumbs_up / total * 100:.2f}" if total else 0
    return {
        "total": total,
        "thumbsUp": thumbs_up,
        "thumbsDown": thumbs_down,
        "positiveRate": rate,
    }


# --------------------------------------------------------------------------- callback requests


async def create_callback_request(
    ctx: AppContext, body: Mapping[str, Any], *, ip: str, user_agent: str
) -> CallbackRequest:
    """Public lead form; rate limited per client IP before anything else."""
    await ctx.limiter.hit(form_limit(ctx, "callback"), ip)
    name = clean_line(body.get("name"))
    email = normalise_email(body.get("email"))
    phone = clean_line(body.get("phone"), 40)
    if not name or not email or not phone:
        raise BadRequest("Name, email, and phone are required")
    require_valid_email(email)
    day = body.get("day") or "today"
    if day not in ("today", "tomorrow", "custom"):
        raise BadRequest("day must be today, tomorrow or custom")
    custom_date: datetime | None = None
    if day == "custom":
        custom_date = parse_client_date(body.get("customDate"))
        if custom_date is None:
            raise BadRequest("A valid customDate is required when day is custom")
    request = CallbackRequest(
        name=name,
        email=email,
        phone=phone,
        preferredDay=day,
        customDate=custom_date,
        preferredTime=PreferredTime(
            hour=time_part(body.get("customHour"), "09", 23, "customHour"),
            minute=time_part(body.get("customMinute"), "00", 59, "customMinute"),
        ),
        message=clean_text(body.get("message")),
        userAgent=user_agent[:500],
        ipAddress=ip,
    )
    await request.insert()
    log.info("forms.callback_request", request_id=str(request.id))
    await notify(
        ctx,
        ctx.settings.CALLBACK_REQUEST_EMAIL,
        "callback_request",
        f"New callback request from {name}",
        reply_to=email,
        request=request,
        custom_date=custom_date.date().isoformat() if custom_date else "",
    )
    return request


async def _callback_or_404(request_id: str) -> CallbackRequest:
    found = await CallbackRequest.get(parse_object_id(request_id))
    if found is None:
        raise NotFound("Callback request not found")
    return found


async def _with_assignees(docs: Sequence[CallbackRequest | DemoMeeting]) -> list[dict[str, Any]]:
    users = await populate_users(
        [d.assignedTo for d in docs], ("_id", "email", "firstName", "lastName")
    )
    out = []
    for doc in docs:
        row = dump(doc)
        if doc.assignedTo is not None:
            row["assignedTo"] = users.get(doc.assignedTo)
        out.append(row)
    return out


def _filter_value(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    if value is None or value == "" or value == "all":
        return None
    if value not in allowed:
        raise BadRequest(f"Invalid {field}")
    return value


def _lead_query(
    status: str | None,
    statuses: tuple[str, ...],
    priority: str | None,
    search: str | None,
    search_fields: tuple[str, ...],
) -> dict[str, Any]:
    """The admin lists' filter: status and priority (``all`` = any), and a literal,
    case-insensitive search over ``search_fields``."""
    query: dict[str, Any] = {}
    if (value := _filter_value(status, statuses, "status")) is not None:
        query["status"] = value
    if (value := _filter_value(priority, LEAD_PRIORITIES, "priority")) is not None:
        query["priority"] = value
    if (pattern := escape_search(search)) is not None:
        query["$or"] = [{field: {"$regex": pattern, "$options": "i"}} for field in search_fields]
    return query


async def list_callback_requests(
    *,
    page: int | None,
    limit: int | None,
    status: str | None,
    priority: str | None,
    search: str | None,
) -> dict[str, Any]:
    paging = page_of(page, limit, 10)
    query = _lead_query(status, CALLBACK_STATUSES, priority, search, ("name", "email", "phone"))
    total = await CallbackRequest.find(query).count()
    rows = (
        await CallbackRequest.find(query)
        .sort("-createdAt")
        .skip(paging.skip)
        .limit(paging.size)
        .to_list()
    )
    return {
        "callbackRequests": await _with_assignees(rows),
        "pagination": {
            "currentPage": paging.number,
            "totalPages": total_pages(total, paging.size),
            "totalItems": total,
            "itemsPerPage": paging.size,
        },
    }


async def get_callback_request(request_id: str) -> dict[str, Any]:
    return (await _with_assignees([await _callback_or_404(request_id)]))[0]


async def update_callback_request(request_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Only ``status``, ``priority``, ``assignedTo`` and ``notes`` are writable."""
    found = await _callback_or_404(request_id)
    if "status" in changes and changes["status"] is not None:
        if changes["status"] not in CALLBACK_STATUSES:
            raise BadRequest("Invalid status")
        found.status = changes["status"]
    if "priority" in changes and changes["priority"] is not None:
        if changes["priority"] not in LEAD_PRIORITIES:
            raise BadRequest("Invalid priority")
        found.priority = changes["priority"]
    if "assignedTo" in changes:
        assignee = _assignee(changes["assignedTo"])
        if assignee is not None:
            await ensure_user_exists(assignee)
        found.assignedTo = assignee
    if "notes" in changes and changes["notes"] is not None:
        found.notes = clean_text(changes["notes"], 20_000)
    await found.save()
    return (await _with_assignees([found]))[0]


async def record_contact_attempt(
    request_id: str, notes: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Count an attempt and append ``"<ISO time>: <notes>"`` to the notes text.

    The append is a compare-and-set on the previous notes, retried, so two
    simultaneous attempts never overwrite each other's line.
    """
    if not isinstance(notes, str) or not notes.strip():
        raise BadRequest("Notes are required for contact attempt")
    object_id = parse_object_id(request_id)
    collection = CallbackRequest.get_pymongo_collection()
    for _ in range(5):
        found = await CallbackRequest.get(object_id)
        if found is None:
            raise NotFound("Callback request not found")
        stamp = now or utcnow()
        line = f"{iso_utc(stamp)}: {clean_text(notes)}"
        combined = f"{found.notes}\n{line}" if found.notes else line
        result = await collection.update_one(
            {"_id": object_id, "notes": found.notes},
            {
                "$set": {"notes": combined, "lastContactAttempt": stamp, "updatedAt": utcnow()},
                "$inc": {"contactAttempts": 1},
            },
        )
        if result.modified_count == 1:
            return await get_callback_request(request_id)
    raise BadRequest("The callback request changed meanwhile; please try again")


async def delete_callback_request(request_id: str) -> None:
    found = await _callback_or_404(request_id)
    await found.delete()
    log.info("forms.callback_request_deleted", request_id=request_id)


async def _status_breakdown(collection: Any) -> list[dict[str, Any]]:
    rows = await (
        await collection.aggregate([{"$group": {"_id": "$status", "count": {"$sum": 1}}}])
    ).to_list()
    return sorted(
        ({"_id": row["_id"], "count": row["count"]} for row in rows), key=lambda r: str(r["_id"])
    )


async def callback_request_stats() -> dict[str, Any]:
    collection = CallbackRequest.get_pymongo_collection()
    breakdown = await _status_breakdown(collection)
    counts = {row["_id"]: row["count"] for row in breakdown}
    return {
        "total": sum(counts.values()),
        "pending": counts.get("pending", 0),
        "contacted": counts.get("contacted", 0),
        "completed": counts.get("completed", 0),
        "breakdown": breakdown,
    }


# --------------------------------------------------------------------------- demo meetings


def _future_date(value: Any, now: datetime, *, missing: str, past: str) -> datetime:
    if value is None or value == "":
        raise BadRequest(missing)
    parsed = parse_client_date(value)
    if parsed is None:
        raise BadRequest("Invalid meeting date")
    if parsed <= now:
        raise BadRequest(past)
    return parsed


async def create_demo_meeting(
    ctx: AppContext,
    body: Mapping[str, Any],
    *,
    ip: str,
    user_agent: str,
    now: datetime | None = None,
) -> DemoMeeting:
    """Public "book a demo" form; rate limited per client IP before anything else."""
    await ctx.limiter.hit(form_limit(ctx, "demo"), ip)
    name = clean_line(body.get("name"))
    email = normalise_email(body.get("email"))
    raw_date = body.get("date")
    if not name or not email or raw_date in (None, ""):
        raise BadRequest("Name, email, and date are required")
    require_valid_email(email)
    requested = _future_date(
        raw_date,
        now or utcnow(),
        missing="Name, email, and date are required",
        past="Meeting date must be in the future",
    )
    meeting = DemoMeeting(
        name=name,
        email=email,
        requestedDate=requested,
        requestedTime=RequestedTime(
            hour=time_part(body.get("hour"), "08", 23, "hour"),
            minute=time_part(body.get("minute"), "00", 59, "minute"),
        ),
        message=clean_text(body.get("message")),
        company=clean_line(body.get("company")),
        phone=clean_line(body.get("phone"), 40),
        userAgent=user_agent[:500],
        ipAddress=ip,
    )
    await meeting.insert()
    log.info("forms.demo_meeting", meeting_id=str(meeting.id))
    await notify(
        ctx,
        ctx.settings.DEMO_MEETING_EMAIL,
        "demo_meeting",
        f"New demo meeting request from {name}",
        reply_to=email,
        meeting=meeting,
        requested_day=requested.date().isoformat(),
    )
    return meeting


async def _demo_or_404(meeting_id: str) -> DemoMeeting:
    found = await DemoMeeting.get(parse_object_id(meeting_id))
    if found is None:
        raise NotFound("Demo meeting request not found")
    return found


async def list_demo_meetings(
    *,
    page: int | None,
    limit: int | None,
    status: str | None,
    priority: str | None,
    search: str | None,
    date_from: str | None,
    date_to: str | None,
) -> dict[str, Any]:
    paging = page_of(page, limit, 10)
    query = _lead_query(status, DEMO_STATUSES, priority, search, ("name", "email", "company"))
    window: dict[str, datetime] = {}
    for key, raw in (("$gte", date_from), ("$lte", date_to)):
        if raw:
            parsed = parse_client_date(raw)
            if parsed is None:
                raise BadRequest("Invalid date filter")
            window[key] = parsed
    if window:
        query["requestedDate"] = window
    total = await DemoMeeting.find(query).count()
    rows = (
        await DemoMeeting.find(query)
        .sort([("requestedDate", SortDirection.ASCENDING), ("createdAt", SortDirection.DESCENDING)])
        .skip(paging.skip)
        .limit(paging.size)
        .to_list()
    )
    return {
        "demoMeetings": await _with_assignees(rows),
        "pagination": {
            "currentPage": paging.number,
            "totalPages": total_pages(total, paging.size),
            "totalItems": total,
            "itemsPerPage": paging.size,
        },
    }


async def get_demo_meeting(meeting_id: str) -> dict[str, Any]:
    return (await _with_assignees([await _demo_or_404(meeting_id)]))[0]


def _meeting_link(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = str(value).strip()
    if not re.match(r"^https?://\S+$", text, re.IGNORECASE) or len(text) > 2000:
        raise BadRequest("meetingLink must be an http(s) URL")
    return text


async def update_demo_meeting(meeting_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    found = await _demo_or_404(meeting_id)
    if changes.get("status") is not None:
        if changes["status"] not in DEMO_STATUSES:
            raise BadRequest("Invalid status")
        found.status = changes["status"]
    if changes.get("priority") is not None:
        if changes["priority"] not in LEAD_PRIORITIES:
            raise BadRequest("Invalid priority")
        found.priority = changes["priority"]
    if "assignedTo" in changes:
        assignee = _assignee(changes["assignedTo"])
        if assignee is not None:
            await ensure_user_exists(assignee)
        found.assignedTo = assignee
    if "meetingLink" in changes:
        found.meetingLink = _meeting_link(changes["meetingLink"])
    if changes.get("meetingNotes") is not None:
        found.meetingNotes = clean_text(changes["meetingNotes"], 20_000)
    if changes.get("followUpRequired") is not None:
        if not isinstance(changes["followUpRequired"], bool):
            raise BadRequest("followUpRequired must be true or false")
        found.followUpRequired = changes["followUpRequired"]
    if "followUpDate" in changes:
        raw = changes["followUpDate"]
        if raw is None or raw == "":
            found.followUpDate = None
        else:
            parsed = parse_client_date(raw)
            if parsed is None:
                raise BadRequest("Invalid followUpDate")
            found.followUpDate = parsed
    await found.save()
    return (await _with_assignees([found]))[0]


async def reschedule_demo_meeting(
    meeting_id: str, body: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """New date/time, status ``rescheduled``; a reason is appended to the notes
    (the original overwrote the notes with it)."""
    object_id = parse_object_id(meeting_id)
    moment = now or utcnow()
    new_date = _future_date(
        body.get("newDate"),
        moment,
        missing="New date is required for rescheduling",
        past="New meeting date must be in the future",
    )
    found = await DemoMeeting.get(object_id)
    if found is None:
        raise NotFound("Demo meeting request not found")
    found.requestedDate = new_date
    found.requestedTime = RequestedTime(
        hour=time_part(body.get("newHour"), "08", 23, "newHour"),
        minute=time_part(body.get("newMinute"), "00", 59, "newMinute"),
    )
    found.status = "rescheduled"
    reason = clean_text(body.get("reason"), 2000)
    if reason:
        line = f"{iso_utc(moment)}: Rescheduled - {reason}"
        found.meetingNotes = f"{found.meetingNotes}\n{line}" if found.meetingNotes else line
    await found.save()
    return (await _with_assignees([found]))[0]


async def delete_demo_meeting(meeting_id: str) -> None:
    found = await _demo_or_404(meeting_id)
    await found.delete()
    log.info("forms.demo_meeting_deleted", meeting_id=meeting_id)


async def demo_meeting_stats(*, now: datetime | None = None) -> dict[str, Any]:
    collection = DemoMeeting.get_pymongo_collection()
    breakdown = await _status_breakdown(collection)
    counts = {row["_id"]: row["count"] for row in breakdown}
    moment = now or utcnow()
    upcoming = await collection.count_documents(
        {
            "status": {"$in": ["pending", "confirmed"]},
            "requestedDate": {"$gte": moment, "$lte": moment + timedelta(days=7)},
        }
    )
    return {
        "total": sum(counts.values()),
        "pending": counts.get("pending", 0),
        "confirmed": counts.get("confirmed", 0),
        "completed": counts.get("completed", 0),
        "upcoming": upcoming,
        "breakdown": breakdown,
    }
