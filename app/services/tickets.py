"""Support tickets (core-api.md §14, §15 ``raise-support-ticket``).

Who sees what:

* the creator ("owner") reaches their own non-deleted tickets only, through
  :meth:`SupportTicket.owned_by`; everything else answers 404;
* ``admin``/``superadmin`` reach every non-deleted ticket;
* a ``company-admin`` reaches the tickets of its company only: ``User.company``
  (a string) is read as the company's ObjectId and compared with the ticket's
  ``companyId``; a company-admin without a valid company id sees nothing.

Owners may change only subject, description, category, priority and tags (the
original let them mass-assign status, deletion and assignment). Staff updates
go through per-route field whitelists. Export filters are a whitelist of plain
string fields, never a client object merged into the query.

Attachments arrive as base64 data URLs in JSON (the service has no multipart
parser installed); each is ≤ 10 MB, of a whitelisted type whose magic bytes
match, and is stored at ``support-tickets/<userId>/<ms>_<hex>.<ext>``. Either
every file of a ticket is stored or none is. New tickets are mailed to
``SUPPORT_TICKET_EMAIL`` (stored first; a mail failure is only logged).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import csv
import io
import json
import math
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId, SortDirection
from bson import ObjectId
from pydantic import BaseModel, ConfigDict

from app.core.errors import AppError, BadRequest, NotFound
from app.core.logging import get_logger
from app.models.base import as_utc, dump, utcnow
from app.models.tickets import (
    TICKET_CATEGORIES,
    TICKET_PRIORITIES,
    TICKET_SOURCES,
    TICKET_STATUSES,
    Attachment,
    SupportTicket,
)
from app.models.user import Role, User
from app.services.context import AppContext
from app.services.forms import (
    INVALID_ID,
    clean_line,
    clean_text,
    iso_utc,
    notify,
    page_of,
    parse_client_date,
    parse_object_id,
    populate_users,
    submission_limit,
)

log = get_logger(__name__)

STAFF_ROLES = frozenset({Role.ADMIN, Role.SUPERADMIN, Role.COMPANY_ADMIN})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
MAX_BULK_IDS = 500
MAX_EXPORT_ROWS = 10_000
MAX_TAGS = 20

ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt",
}
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}
_DATA_URL = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,", re.I)
_SORT_FIELDS = frozenset(
    {"createdAt", "updatedAt", "priority", "status", "category", "subject", "ticketId"}
)
_EXPORT_FILTERS = frozenset(
    {"status", "category", "priority", "source", "companyId", "assignedTo", "userId"}
)
_CSV_HEADER = [
    "Ticket ID",
    "Subject",
    "Category",
    "Priority",
    "Status",
    "Created",
    "User",
    "Assigned To",
    "Company",
]
TICKET_NOT_FOUND = "Ticket not found"


# --------------------------------------------------------------------------- scope & output


@dataclass(frozen=True)
class StaffScope:
    """What part of the ticket base a staff member reaches."""

    scoped: bool
    company_id: PydanticObjectId | None

    @classmethod
    def of(cls, user: User) -> StaffScope:
        if user.role == Role.COMPANY_ADMIN:
            return cls(True, company_of(user))
        return cls(False, None)

    def filter(self, *conditions: dict[str, Any]) -> dict[str, Any]:
        base = SupportTicket.staff_filter(self.company_id, scoped=self.scoped)
        return {"$and": [base, *conditions]} if conditions else base


def company_of(user: User) -> PydanticObjectId | None:
    """``User.company`` holds the company's id as a string (when it holds one)."""
    company = user.company
    if isinstance(company, str) and ObjectId.is_valid(company):
        return PydanticObjectId(company)
    return None


def is_staff(user: User) -> bool:
    return user.role in STAFF_ROLES


async def _companies(ids: Sequence[PydanticObjectId | None]) -> dict[Any, dict[str, Any]]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    companies = SupportTicket.get_pymongo_collection().database["companies"]
    return {row["_id"]: row async for row in companies.find({"_id": {"$in": wanted}}, {"name": 1})}


async def render_tickets(
    tickets: Sequence[SupportTicket], *, for_staff: bool
) -> list[dict[str, Any]]:
    """Tickets as the API sends them: users and company populated, and the
    staff-only ``internalNotes`` left out for owners."""
    users = await populate_users(
        [t.userId for t in tickets] + [t.assignedTo for t in tickets],
        ("_id", "email", "role", "landlordInfo.landlordName"),
    )
    companies = await _companies([t.companyId for t in tickets])
    out = []
    for ticket in tickets:
        row = dump(ticket)
        row["userId"] = users.get(ticket.userId)
        if ticket.assignedTo is not None:
            row["assignedTo"] = users.get(ticket.assignedTo)
        if ticket.companyId is not None:
            row["companyId"] = companies.get(ticket.companyId)
        if not for_staff:
            row.pop("internalNotes", None)
        out.append(row)
    return out


async def render_ticket(ticket: SupportTicket, *, for_staff: bool) -> dict[str, Any]:
    return (await render_tickets([ticket], for_staff=for_staff))[0]


def pagination(page: int, size: int, total: int) -> dict[str, Any]:
    pages = math.ceil(total / size) if size else 0
    return {
        "currentPage": page,
        "totalPages": pages,
        "totalTickets": total,
        "hasNextPage": page < pages,
        "hasPrevPage": page > 1,
    }


# --------------------------------------------------------------------------- input checks


def _choice(value: Any, allowed: Sequence[str], field: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise BadRequest(f"Invalid {field}")
    return value


def _optional_filter(value: Any, allowed: Sequence[str], field: str) -> str | None:
    if value is None or value == "" or value == "all":
        return None
    return _choice(value, allowed, field)


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items: list[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise BadRequest("tags must be a list of text")
    tags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise BadRequest("tags must be a list of text")
        tag = clean_line(item, 50)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"At most {MAX_TAGS} tags are allowed")
    return tags


def _subject(value: Any) -> str:
    subject = clean_line(value, 10_000)
    if len(subject) > 200:
        raise BadRequest("Subject must be at most 200 characters")
    return subject


def _optional_date(value: Any, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = parse_client_date(value)
    if parsed is None:
        raise BadRequest(f"Invalid {field}")
    return parsed


def _user_ref(value: Any, field: str) -> PydanticObjectId | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not ObjectId.is_valid(value):
        raise BadRequest(f"Invalid {field}")
    return PydanticObjectId(value)


def _sort(sort_by: str | None, sort_order: str | None) -> list[tuple[str, SortDirection]]:
    field = sort_by if sort_by in _SORT_FIELDS else "createdAt"
    direction = (
        SortDirection.ASCENDING if (sort_order or "").lower() == "asc" else SortDirection.DESCENDING
    )
    order = [(field, direction)]
    if field != "createdAt":
        order.append(("createdAt", SortDirection.DESCENDING))
    return order


# --------------------------------------------------------------------------- attachments


@dataclass(frozen=True)
class IncomingFile:
    name: str
    mime: str
    data: bytes


def _file_parts(item: Any, index: int) -> tuple[str, str]:
    """(display name, data URL) from a string or an object the frontend built."""
    if isinstance(item, str):
        return f"file-{index + 1}", item
    if isinstance(item, Mapping):
        name = next(
            (item[k] for k in ("name", "originalName", "filename", "fileName") if item.get(k)),
            f"file-{index + 1}",
        )
        data = next((item[k] for k in ("data", "dataUrl", "content", "file") if item.get(k)), None)
        if isinstance(name, str) and isinstance(data, str):
            return name, data
    raise BadRequest("Attachments must be base64 data URLs")


def _display_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or "attachment"


def _decode_file(item: Any, index: int) -> IncomingFile:
    raw_name, data_url = _file_parts(item, index)
    name = _display_name(raw_name)
    match = _DATA_URL.match(data_url)
    if not match:
        raise BadRequest(f"File {name} is not a base64 data URL.")
    mime = (match.group(1) or "application/octet-stream").lower()
    if mime not in ALLOWED_TYPES:
        raise BadRequest(f"File type {mime} is not allowed.")
    payload = data_url[match.end() :]
    # Reject oversized files before decoding them.
    if len(payload) * 3 // 4 > MAX_ATTACHMENT_BYTES + 3:
        raise BadRequest(f"File {name} is too large. Maximum size is 10MB.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest(f"File {name} is not valid base64.") from exc
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise BadRequest(f"File {name} is too large. Maximum size is 10MB.")
    if not data:
        raise BadRequest(f"File {name} is empty.")
    magic = _MAGIC.get(mime)
    if magic is not None and not data.startswith(magic):
        raise BadRequest(f"File {name} is not a valid {mime} file.")
    if mime == "text/plain" and b"\x00" in data:
        raise BadRequest(f"File {name} is not a valid {mime} file.")
    return IncomingFile(name, mime, data)


def decode_files(items: Sequence[Any]) -> list[IncomingFile]:
    if len(items) > MAX_ATTACHMENTS:
        raise BadRequest(f"At most {MAX_ATTACHMENTS} files can be attached.")
    return [_decode_file(item, index) for index, item in enumerate(items)]


def attachment_key(user_id: PydanticObjectId, mime: str) -> str:
    stamp = int(time.time() * 1000)
    return f"support-tickets/{user_id}/{stamp}_{secrets.token_hex(8)}.{ALLOWED_TYPES[mime]}"


async def store_files(
    ctx: AppContext, user_id: PydanticObjectId, files: Sequence[IncomingFile]
) -> list[Attachment]:
    """All files or none: a failure removes what was already stored."""
    stored: list[Attachment] = []
    try:
        for file in files:
            key = attachment_key(user_id, file.mime)
            result = await ctx.storage.put_bytes(key, file.data, file.mime)
            stored.append(
                Attachment(
                    filename=key,
                    originalName=file.name,
                    filePath=result.url,
                    fileSize=len(file.data),
                    mimeType=file.mime,
                )
            )
    except Exception as exc:
        log.error("tickets.attachment_upload_failed", user_id=str(user_id), error=str(exc))
        await ctx.storage.delete_many([a.filename for a in stored])
        raise AppError("Failed to upload attachments") from exc
    return stored


# --------------------------------------------------------------------------- owner routes


async def create_ticket(
    ctx: AppContext, user: User, body: Mapping[str, Any], *, ip: str, user_agent: str
) -> dict[str, Any]:
    assert user.id is not None
    await ctx.limiter.hit(submission_limit(ctx, "ticket"), str(user.id))
    subject = _subject(body.get("subject"))
    description = clean_text(body.get("description"), 20_000)
    if not subject or not description:
        raise BadRequest("Subject and description are required")
    if not body.get("category"):
        raise BadRequest("Category is required")
    category = _choice(body.get("category"), TICKET_CATEGORIES, "category")
    priority = _choice(body.get("priority") or "Medium", TICKET_PRIORITIES, "priority")
    source = _choice(body.get("source") or "Web", TICKET_SOURCES, "source")
    tags = _tags(body.get("tags"))
    estimate = _optional_date(body.get("estimatedResolutionTime"), "estimatedResolutionTime")
    raw_files = body.get("files") or []
    if not isinstance(raw_files, list):
        raise BadRequest("files must be a list of data URLs")
    files = await asyncio.to_thread(decode_files, raw_files)

    attachments = await store_files(ctx, user.id, files)
    ticket = SupportTicket(
        userId=user.id,
        companyId=company_of(user),
        category=category,
        priority=priority,  # type: ignore[arg-type]
        subject=subject,
        description=description,
        attachments=attachments,
        tags=tags,
        source=source,  # type: ignore[arg-type]
        userAgent=user_agent[:500],
        ipAddress=ip,
        estimatedResolutionTime=estimate,
    )
    try:
        await ticket.insert()
    except Exception:
        await ctx.storage.delete_many([a.filename for a in attachments])
        raise
    log.info("tickets.created", ticket_id=ticket.ticketId, user_id=str(user.id))
    await notify(
        ctx,
        ctx.settings.SUPPORT_TICKET_EMAIL,
        "support_ticket",
        f"New support ticket {ticket.ticketId}: {subject}",
        reply_to=user.email,
        ticket=ticket,
        email=user.email,
    )
    return await render_ticket(ticket, for_staff=False)


async def my_tickets(
    user: User,
    *,
    page: int | None,
    limit: int | None,
    status: str | None,
    category: str | None,
    priority: str | None,
    sort_by: str | None,
    sort_order: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    assert user.id is not None
    conditions = _list_conditions(status=status, category=category, priority=priority)
    paging = page_of(page, limit, 10)
    query = SupportTicket.owned_by(user.id, *conditions)
    total = await SupportTicket.owned_by(user.id, *conditions).count()
    rows = (
        await query.sort(_sort(sort_by, sort_order)).skip(paging.skip).limit(paging.size).to_list()
    )
    data = await render_tickets(rows, for_staff=False)
    return data, pagination(paging.number, paging.size, total)


def _list_conditions(
    *,
    status: str | None,
    category: str | None,
    priority: str | None,
    assigned_to: str | None = None,
    company_id: str | None = None,
) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = []
    if (value := _optional_filter(status, TICKET_STATUSES, "status")) is not None:
        conditions.append({"status": value})
    if (value := _optional_filter(category, TICKET_CATEGORIES, "category")) is not None:
        conditions.append({"category": value})
    if (value := _optional_filter(priority, TICKET_PRIORITIES, "priority")) is not None:
        conditions.append({"priority": value})
    if assigned_to:
        conditions.append({"assignedTo": _user_ref(assigned_to, "assignedTo")})
    if company_id:
        conditions.append({"companyId": _user_ref(company_id, "companyId")})
    return conditions


async def _owned_ticket(user: User, ticket_id: str) -> SupportTicket:
    assert user.id is not None
    found: SupportTicket | None = await SupportTicket.owned_by(
        user.id, {"_id": parse_object_id(ticket_id)}
    ).first_or_none()
    if found is None:
        raise NotFound(TICKET_NOT_FOUND)
    return found


async def get_own_ticket(user: User, ticket_id: str) -> dict[str, Any]:
    return await render_ticket(await _owned_ticket(user, ticket_id), for_staff=False)


async def update_own_ticket(
    user: User, ticket_id: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Only subject, description, category, priority and tags; the rest is ignored."""
    ticket = await _owned_ticket(user, ticket_id)
    if "subject" in changes:
        subject = _subject(changes["subject"])
        if not subject:
            raise BadRequest("Subject and description are required")
        ticket.subject = subject
    if "description" in changes:
        description = clean_text(changes["description"], 20_000)
        if not description:
            raise BadRequest("Subject and description are required")
        ticket.description = description
    if "category" in changes:
        ticket.category = _choice(changes["category"], TICKET_CATEGORIES, "category")
    if "priority" in changes:
        ticket.priority = _choice(changes["priority"], TICKET_PRIORITIES, "priority")  # type: ignore[assignment]
    if "tags" in changes:
        ticket.tags = _tags(changes["tags"])
    ticket.lastUpdatedBy = user.id
    await ticket.save()
    return await render_ticket(ticket, for_staff=False)


async def delete_own_ticket(ctx: AppContext, user: User, ticket_id: str) -> None:
    """Soft delete; the attachment objects are removed from storage."""
    ticket = await _owned_ticket(user, ticket_id)
    keys = [a.filename for a in ticket.attachments]
    await ctx.storage.delete_many(keys)
    ticket.deleted = True
    ticket.deletedAt = utcnow()
    ticket.deletedBy = user.id
    ticket.attachments = []
    await ticket.save()
    log.info("tickets.deleted", ticket_id=ticket.ticketId, files=len(keys))


async def delete_attachment(
    ctx: AppContext, user: User, ticket_ref: str, attachment_id: str
) -> None:
    assert user.id is not None
    # The frontend may address the ticket by its ObjectId or its TKT- number.
    key = (
        {"_id": PydanticObjectId(ticket_ref)}
        if ObjectId.is_valid(ticket_ref)
        else {"ticketId": ticket_ref}
    )
    ticket: SupportTicket | None = await SupportTicket.owned_by(user.id, key).first_or_none()
    if ticket is None:
        raise NotFound(TICKET_NOT_FOUND)
    attachment = next((a for a in ticket.attachments if str(a.id) == attachment_id), None)
    if attachment is None:
        raise NotFound("Attachment not found")
    result = await ctx.storage.delete(attachment.filename)
    if not result.deleted and result.reason != "DeleteDisabled":
        log.error("tickets.attachment_delete_failed", key=attachment.filename, reason=result.reason)
        raise AppError("Failed to delete attachment")
    await SupportTicket.get_pymongo_collection().update_one(
        {"_id": ticket.id},
        {
            "$pull": {"attachments": {"_id": attachment.id}},
            "$set": {"updatedAt": utcnow(), "lastUpdatedBy": user.id},
        },
    )


# --------------------------------------------------------------------------- staff routes


class StaffListFilters(BaseModel):
    """Query parameters of the staff ticket lists (names as the frontend sends them)."""

    model_config = ConfigDict(extra="ignore")

    page: int | None = None
    limit: int | None = None
    status: str | None = None
    category: str | None = None
    priority: str | None = None
    assignedTo: str | None = None
    companyId: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None


async def staff_list(
    user: User, filters: StaffListFilters, *, default_limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    conditions = _list_conditions(
        status=filters.status,
        category=filters.category,
        priority=filters.priority,
        assigned_to=filters.assignedTo,
        company_id=filters.companyId,
    )
    query = StaffScope.of(user).filter(*conditions)
    paging = page_of(filters.page, filters.limit, default_limit)
    total = await SupportTicket.find(query).count()
    rows = (
        await SupportTicket.find(query)
        .sort(_sort(filters.sortBy, filters.sortOrder))
        .skip(paging.skip)
        .limit(paging.size)
        .to_list()
    )
    return await render_tickets(rows, for_staff=True), pagination(paging.number, paging.size, total)


_STATUS_STAMPS = {"Resolved": "resolvedAt", "Closed": "closedAt"}


async def _staff_set(
    actor: User, changes: Mapping[str, Any], allowed: frozenset[str]
) -> dict[str, Any]:
    """Validate a staff update against the route's field whitelist into a ``$set``."""
    now = utcnow()
    updates: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in allowed:
            continue
        if field == "status":
            updates["status"] = _choice(value, TICKET_STATUSES, "status")
            if (stamp := _STATUS_STAMPS.get(updates["status"])) is not None:
                updates[stamp] = now
        elif field == "priority":
            updates["priority"] = _choice(value, TICKET_PRIORITIES, "priority")
        elif field == "assignedTo":
            assignee = _user_ref(value, "assignedTo")
            if assignee is not None and await User.find_one({"_id": assignee}) is None:
                raise BadRequest("Assigned user not found")
            updates["assignedTo"] = assignee
            updates["assignedAt"] = now if assignee is not None else None
        elif field in ("internalNotes", "resolution"):
            updates[field] = None if value is None else clean_text(value, 20_000)
        elif field == "estimatedResolutionTime":
            updates[field] = _optional_date(value, field)
        elif field == "escalationLevel":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise BadRequest("escalationLevel must be a whole number from 1 to 5")
            updates[field] = value
    updates["lastUpdatedBy"] = actor.id
    updates["updatedAt"] = now
    return updates


ADMIN_UPDATE_FIELDS = frozenset(
    {
        "status",
        "priority",
        "assignedTo",
        "internalNotes",
        "resolution",
        "estimatedResolutionTime",
        "escalationLevel",
    }
)
STAFF_TICKET_FIELDS = frozenset(
    {"status", "assignedTo", "internalNotes", "resolution", "estimatedResolutionTime"}
)
BULK_FIELDS = ADMIN_UPDATE_FIELDS


async def staff_update(
    actor: User, ticket_id: str, changes: Mapping[str, Any], allowed: frozenset[str]
) -> dict[str, Any]:
    object_id = parse_object_id(ticket_id)
    query = StaffScope.of(actor).filter({"_id": object_id})
    collection = SupportTicket.get_pymongo_collection()
    if await collection.count_documents(query, limit=1) == 0:
        raise NotFound(TICKET_NOT_FOUND)
    updates = await _staff_set(actor, changes, allowed)
    await collection.update_one(query, {"$set": updates})
    ticket = await SupportTicket.get(object_id)
    if ticket is None:
        raise NotFound(TICKET_NOT_FOUND)
    log.info("tickets.staff_update", ticket_id=ticket.ticketId, fields=sorted(updates))
    return await render_ticket(ticket, for_staff=True)


async def bulk_update(actor: User, ticket_ids: Any, changes: Any) -> tuple[int, int]:
    if not isinstance(ticket_ids, list) or not ticket_ids:
        raise BadRequest("Ticket IDs array is required")
    if len(ticket_ids) > MAX_BULK_IDS:
        raise BadRequest(f"At most {MAX_BULK_IDS} tickets can be updated at once")
    if not isinstance(changes, Mapping):
        raise BadRequest("updates must be an object")
    object_ids: list[PydanticObjectId] = []
    numbers: list[str] = []
    for ref in ticket_ids:
        if not isinstance(ref, str):
            raise BadRequest(INVALID_ID)
        if ObjectId.is_valid(ref):
            object_ids.append(PydanticObjectId(ref))
        else:
            numbers.append(ref)
    updates = await _staff_set(actor, changes, BULK_FIELDS)
    query = StaffScope.of(actor).filter(
        {"$or": [{"_id": {"$in": object_ids}}, {"ticketId": {"$in": numbers}}]}
    )
    result = await SupportTicket.get_pymongo_collection().update_many(query, {"$set": updates})
    log.info("tickets.bulk_update", modified=result.modified_count, requested=len(ticket_ids))
    return result.modified_count, len(ticket_ids)


async def fast_stats(*, now: datetime | None = None) -> dict[str, Any]:
    collection = SupportTicket.get_pymongo_collection()
    base = {"deleted": False}
    rows = await (
        await collection.aggregate(
            [{"$match": base}, {"$group": {"_id": "$status", "count": {"$sum": 1}}}]
        )
    ).to_list()
    breakdown = sorted(({"_id": r["_id"], "count": r["count"]} for r in rows), key=_by_count)
    critical = await collection.count_documents(
        {**base, "status": {"$in": ["Open", "In Progress"]}, "priority": "Critical"}
    )
    counts = {r["_id"]: r["count"] for r in breakdown}
    return {
        "totalTickets": sum(counts.values()),
        "openTickets": counts.get("Open", 0),
        "criticalTickets": critical,
        "statusBreakdown": breakdown,
        "timestamp": iso_utc(now or utcnow()),
    }


def _by_count(row: Mapping[str, Any]) -> tuple[int, str]:
    return (-int(row["count"]), str(row["_id"]))


def _range_start(time_range: str | None, now: datetime) -> datetime:
    if time_range == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = {"week": 7, "month": 30, "year": 365}.get(time_range or "", 30)
    return now - timedelta(days=days)


async def ticket_stats(
    actor: User, *, company_id: str | None, time_range: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Counts by status (with the mean priority, Low=0 … Critical=3), category
    and priority over the time range; company-admins always get their company."""
    moment = now or utcnow()
    conditions: list[dict[str, Any]] = [{"createdAt": {"$gte": _range_start(time_range, moment)}}]
    if company_id and actor.role != Role.COMPANY_ADMIN:
        conditions.append({"companyId": _user_ref(company_id, "companyId")})
    query = StaffScope.of(actor).filter(*conditions)
    collection = SupportTicket.get_pymongo_collection()
    rows = await (
        await collection.aggregate(
            [
                {"$match": query},
                {
                    "$group": {
                        "_id": {
                            "status": "$status",
                            "priority": "$priority",
                            "category": "$category",
                        },
                        "count": {"$sum": 1},
                    }
                },
            ]
        )
    ).to_list()
    by_status: dict[str, list[int]] = {}
    by_category: dict[str, int] = {}
    by_priority: dict[str, int] = {}
    for row in rows:
        key, count = row["_id"], int(row["count"])
        status, priority, category = key.get("status"), key.get("priority"), key.get("category")
        weight = TICKET_PRIORITIES.index(priority) if priority in TICKET_PRIORITIES else 1
        totals = by_status.setdefault(status, [0, 0])
        totals[0] += count
        totals[1] += weight * count
        by_category[category] = by_category.get(category, 0) + count
        by_priority[priority] = by_priority.get(priority, 0) + count
    status_stats = sorted(
        (
            {"_id": status, "count": c, "avgPriority": round(w / c, 2)}
            for status, (c, w) in by_status.items()
        ),
        key=_by_count,
    )
    overdue = await collection.count_documents(
        {
            "$and": [
                query,
                {"estimatedResolutionTime": {"$lt": moment}},
                {"status": {"$nin": ["Resolved", "Closed"]}},
            ]
        }
    )
    return {
        "statusStats": status_stats,
        "categoryStats": sorted(
            ({"_id": k, "count": v} for k, v in by_category.items()), key=_by_count
        ),
        "priorityStats": sorted(
            ({"_id": k, "count": v} for k, v in by_priority.items()), key=_by_count
        ),
        "overdueCount": overdue,
        "totalTickets": sum(c for c, _ in by_status.values()),
    }


async def search_tickets(
    user: User, q: Any, *, page: int | None, limit: int | None, staff_route: bool
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Literal, case-insensitive search over subject, description, ticketId and tags.
    Staff search their scope; everyone else only their own tickets."""
    if not isinstance(q, str) or len(q.strip()) < 2:
        raise BadRequest("Search query must be at least 2 characters long")
    pattern = re.escape(q.strip()[:200])
    match = {
        "$or": [
            {field: {"$regex": pattern, "$options": "i"}}
            for field in ("subject", "description", "ticketId", "tags")
        ]
    }
    staff = is_staff(user)
    if staff:
        query = StaffScope.of(user).filter(match)
    else:
        assert user.id is not None
        query = {"$and": [SupportTicket.owner_filter(user.id), match]}
    paging = page_of(page, limit, 20)
    total = await SupportTicket.find(query).count()
    rows = (
        await SupportTicket.find(query)
        .sort([("createdAt", SortDirection.DESCENDING)])
        .skip(paging.skip)
        .limit(paging.size)
        .to_list()
    )
    log.debug("tickets.search", staff_route=staff_route, results=len(rows))
    data = await render_tickets(rows, for_staff=staff)
    return data, pagination(paging.number, paging.size, total)


def export_filters(params: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """``filters[field]=value`` query pairs or ``filters=<JSON object>``, reduced to
    whitelisted fields with plain string values (no operators reach the query)."""
    raw: dict[str, Any] = {}
    for key, value in params:
        if key == "filters":
            try:
                decoded = json.loads(value) if value else {}
            except ValueError as exc:
                raise BadRequest("filters must be a JSON object") from exc
            if not isinstance(decoded, dict):
                raise BadRequest("filters must be a JSON object")
            raw.update(decoded)
        elif key.startswith("filters[") and key.endswith("]"):
            inner = key[len("filters[") : -1]
            if "[" in inner or "]" in inner:
                raise BadRequest("Unsupported export filter")
            raw[inner] = value
    conditions: list[dict[str, Any]] = []
    for field, value in raw.items():
        if field not in _EXPORT_FILTERS:
            raise BadRequest(f"Unsupported export filter: {clean_line(field, 50)}")
        if not isinstance(value, str):
            raise BadRequest("Export filter values must be text")
        if value in ("", "all"):
            continue
        if field in ("companyId", "assignedTo", "userId"):
            conditions.append({field: _user_ref(value, field)})
        else:
            allowed = {
                "status": TICKET_STATUSES,
                "category": TICKET_CATEGORIES,
                "priority": TICKET_PRIORITIES,
                "source": TICKET_SOURCES,
            }[field]
            conditions.append({field: _choice(value, allowed, field)})
    return conditions


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a leading =, +, -, @ would be evaluated.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _name(ref: Any, key: str) -> str:
    return str(ref.get(key) or "") if isinstance(ref, Mapping) else ""


async def export_tickets(
    actor: User, fmt: str | None, params: Sequence[tuple[str, str]]
) -> tuple[str, Any]:
    """``("json", rows)`` or ``("csv", text)``; an empty result is a header-only CSV."""
    kind = (fmt or "json").lower()
    if kind not in ("json", "csv"):
        raise BadRequest("Export format must be json or csv")
    query = StaffScope.of(actor).filter(*export_filters(params))
    rows = (
        await SupportTicket.find(query)
        .sort([("createdAt", SortDirection.DESCENDING)])
        .limit(MAX_EXPORT_ROWS)
        .to_list()
    )
    data = await render_tickets(rows, for_staff=True)
    if kind == "json":
        return "json", data
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_HEADER)
    for row in data:
        writer.writerow(
            [
                _csv_cell(row["ticketId"]),
                _csv_cell(row["subject"]),
                _csv_cell(row["category"]),
                _csv_cell(row["priority"]),
                _csv_cell(row["status"]),
                iso_utc(as_utc(row["createdAt"])),
                _csv_cell(_name(row.get("userId"), "email")),
                _csv_cell(_name(row.get("assignedTo"), "email")),
                _csv_cell(_name(row.get("companyId"), "name")),
            ]
        )
    return "csv", buffer.getvalue()
