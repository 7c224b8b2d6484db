"""User administration and the superadmin dashboard counters (core-api.md §7).

All role rules live here, in :func:`ensure_admin` (who may call a verb) and
:func:`load_target` (which accounts the caller may act on); the routes only
name the verb and the action. Rules:

* ``admin`` and ``superadmin`` may use every ``/users/*`` route; anyone else
  gets the spec's 403 ``Access denied. Only superadmin and admin can <verb>.``
* An ``admin`` may not act on ``admin``/``superadmin`` accounts, and may not
  grant those roles (403); only a superadmin can (§17.11).
* Superadmin accounts cannot be trashed, deleted, frozen, suspended or have
  their role changed through these routes (the spec's 400 texts).

Decisions where the spec is silent: malformed ids answer 400 ``Invalid user
ID`` (the original answered 500); duplicate e-mails or invalid role/status
values in ``details`` answer 400 instead of 500; ``role`` in ``details`` for
oneself is refused only when it differs from the current role (the edit dialog
may send the unchanged value); ``PUT /users/:id`` behaves like ``details``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from app.core.errors import BadRequest, Forbidden, NotFound
from app.core.logging import get_logger
from app.models.base import as_utc, utcnow
from app.models.meeting import Meeting
from app.models.upload import Upload
from app.models.user import (
    ADMIN_ROLES,
    SECRET_FIELDS,
    Role,
    User,
    UserStatus,
    email_pattern,
)
from app.services.accounts import erase_user_leftovers, is_valid_email, normalise_email
from app.services.context import AppContext

log = get_logger(__name__)

ACTIVE_WINDOW_DAYS = 30
LISTED_ROLES = (Role.LANDLORD, Role.RESIDENT, Role.COMPANY_ADMIN)
_SECRET_PROJECTION = dict.fromkeys(SECRET_FIELDS, 0)

# Fallback sizes for upload items stored without a size (core-api.md §7).
IMAGE_FALLBACK_BYTES = 2 * 1024 * 1024
VIDEO_FALLBACK_BYTES = 50 * 1024 * 1024


class Verb:
    VIEW_ALL = "view all users"
    VIEW = "view user details"
    DELETE = "delete users"
    RESTORE = "restore users"
    PERMANENT = "permanently delete users"
    FREEZE = "freeze users"
    SUSPEND = "suspend users"
    ACTIVATE = "activate users"
    UPDATE = "update users"
    STATS = "view user statistics"


def ensure_admin(actor: User, verb: str) -> User:
    if actor.role not in ADMIN_ROLES:
        raise Forbidden(f"Access denied. Only superadmin and admin can {verb}.")
    return actor


def parse_user_id(user_id: str) -> ObjectId:
    try:
        return ObjectId(user_id)
    except (InvalidId, TypeError) as exc:
        raise BadRequest("Invalid user ID") from exc


async def load_target(
    actor: User,
    user_id: str,
    *,
    self_message: str | None = None,
    superadmin_message: str | None = None,
    not_found: str = "User not found.",
) -> User:
    """Fetch the account an admin acts on, applying the spec's checks in order:
    self → 404 → protected superadmin → admin-on-admin (403)."""
    oid = parse_user_id(user_id)
    if self_message and oid == actor.id:
        raise BadRequest(self_message)
    target = await User.get(oid)
    if target is None:
        raise NotFound(not_found)
    if superadmin_message and target.role == Role.SUPERADMIN:
        raise BadRequest(superadmin_message)
    if target.role in ADMIN_ROLES and actor.role != Role.SUPERADMIN and target.id != actor.id:
        raise Forbidden("Access denied. Only superadmins can manage admin accounts.")
    return target


def _computed_status(doc: dict[str, Any], now: datetime) -> str:
    stored = doc.get("status")
    if stored in (UserStatus.FROZEN, UserStatus.SUSPENDED):
        return str(stored)
    if stored in (None, UserStatus.ACTIVE):
        last = doc.get("currentLoginTime")
        if last is not None and (now - as_utc(last)).days < ACTIVE_WINDOW_DAYS:
            return "active"
        return "inactive"
    return str(stored)


def admin_view(doc: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """A raw user row as the admin screens see it: no secrets, computed status/lastLogin."""
    now = now or utcnow()
    view = {k: v for k, v in doc.items() if k not in SECRET_FIELDS}
    view["status"] = _computed_status(doc, now)
    view["lastLogin"] = doc.get("currentLoginTime") or doc.get("createdAt")
    return view


async def list_users(deleted: bool) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"role": {"$in": [str(r) for r in LISTED_ROLES]}}
    query["deleted"] = True if deleted else {"$ne": True}
    cursor = User.get_pymongo_collection().find(query, _SECRET_PROJECTION).sort("createdAt", -1)
    now = utcnow()
    return [admin_view(doc, now) async for doc in cursor]


async def get_user(user_id: str) -> dict[str, Any]:
    oid = parse_user_id(user_id)
    doc = await User.get_pymongo_collection().find_one({"_id": oid}, _SECRET_PROJECTION)
    if doc is None:
        raise NotFound("User not found")
    return admin_view(doc)


async def _update(target: User, fields: dict[str, Any]) -> None:
    await User.get_pymongo_collection().update_one(
        {"_id": target.id}, {"$set": {**fields, "updatedAt": utcnow()}}
    )


async def trash_user(actor: User, user_id: str, now: datetime | None = None) -> str:
    target = await load_target(
        actor,
        user_id,
        self_message="You cannot delete your own account.",
        superadmin_message="Superadmin accounts cannot be deleted.",
    )
    await _update(target, {"deleted": True, "deletedAt": now or utcnow()})
    log.info("user_admin.trashed", actor=str(actor.id), target=str(target.id))
    return str(target.id)


async def restore_user(actor: User, user_id: str) -> str:
    target = await load_target(actor, user_id)
    if not target.deleted:
        raise BadRequest("User is not in trash.")
    await _update(target, {"deleted": False, "deletedAt": None})
    log.info("user_admin.restored", actor=str(actor.id), target=str(target.id))
    return str(target.id)


async def delete_user_permanently(ctx: AppContext, actor: User, user_id: str) -> str:
    target = await load_target(
        actor,
        user_id,
        self_message="You cannot delete your own account.",
        superadmin_message="Superadmin accounts cannot be deleted.",
    )
    if not target.deleted:
        raise BadRequest("User must be in trash before permanent deletion.")
    await User.get_pymongo_collection().delete_one({"_id": target.id, "deleted": True})
    assert target.id is not None  # loaded from the database
    await erase_user_leftovers(
        ctx,
        target.id,
        [target.logo, target.landlordInfo.landlordLogo, target.landlordInfo.officerImage],
    )
    log.info("user_admin.deleted", actor=str(actor.id), target=str(target.id))
    return str(target.id)


async def set_status(actor: User, user_id: str, status: UserStatus) -> str:
    if status == UserStatus.ACTIVE:
        target = await load_target(actor, user_id)
    else:
        verb = "freeze" if status == UserStatus.FROZEN else "suspend"
        past = "frozen" if status == UserStatus.FROZEN else "suspended"
        target = await load_target(
            actor,
            user_id,
            self_message=f"You cannot {verb} your own account.",
            superadmin_message=f"Superadmin accounts cannot be {past}.",
        )
    # A blocked user's existing tokens stop working at once: the auth
    # dependency refuses frozen/suspended users on every request.
    await _update(target, {"status": str(status)})
    log.info("user_admin.status", actor=str(actor.id), target=str(target.id), status=str(status))
    return str(target.id)


async def update_details(actor: User, user_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """``PUT /users/:id/details``: e-mail, role, company, status (each optional)."""
    oid = parse_user_id(user_id)
    role = values.get("role")
    if role is not None:
        if not isinstance(role, str) or role not in {r.value for r in Role}:
            raise BadRequest("Invalid role")
        if oid == actor.id and role != actor.role:
            raise BadRequest("You cannot change your own role.")
    target = await load_target(actor, user_id)
    if target.role == Role.SUPERADMIN and role is not None and role != Role.SUPERADMIN:
        raise BadRequest("Superadmin role cannot be changed.")
    if role in ADMIN_ROLES and role != target.role and actor.role != Role.SUPERADMIN:
        raise Forbidden("Access denied. Only superadmins can grant admin roles.")

    fields: dict[str, Any] = {}
    if role is not None:
        fields["role"] = role
    if "email" in values and values["email"] is not None:
        email = values["email"]
        if not isinstance(email, str) or not is_valid_email(normalise_email(email)):
            raise BadRequest("Please provide a valid email address")
        email = normalise_email(email)
        other = await User.find_by_email(email)
        if other is not None and other.id != target.id:
            raise BadRequest("Duplicate email Entered")
        fields["email"] = email
    if "company" in values:
        company = values["company"]
        if company is not None and not isinstance(company, str):
            raise BadRequest("Invalid company")
        fields["company"] = company
    status = values.get("status")
    if status is not None:
        if not isinstance(status, str) or status not in {s.value for s in UserStatus}:
            raise BadRequest("Invalid status")
        if target.role == Role.SUPERADMIN and status != UserStatus.ACTIVE:
            raise BadRequest("Superadmin accounts cannot be frozen.")
        if oid == actor.id and status != UserStatus.ACTIVE:
            raise BadRequest("You cannot freeze your own account.")
        fields["status"] = status
    if fields:
        await _update(target, fields)
    doc = await User.get_pymongo_collection().find_one({"_id": target.id}, _SECRET_PROJECTION)
    if doc is None:
        raise NotFound("User not found.")
    log.info("user_admin.updated", actor=str(actor.id), target=str(target.id), fields=list(fields))
    return {k: v for k, v in doc.items() if k not in SECRET_FIELDS}


# --------------------------------------------------------------------------- statistics


def _size_unit(size: float) -> tuple[float, str]:
    mb = size / (1024 * 1024)
    if mb >= 1024:
        return round(mb / 1024, 2), "GB"
    if mb >= 1:
        return round(mb, 2), "MB"
    return round(size / 1024, 2), "KB"


def _days_since(value: datetime | None, now: datetime) -> int | None:
    if value is None:
        return None
    return max((now - as_utc(value)).days, 0)


def _activity_level(days: int | None) -> str:
    if days is None:
        return "Inactive"
    if days <= 1:
        return "Very Active"
    if days <= 7:
        return "Active"
    if days <= ACTIVE_WINDOW_DAYS:
        return "Moderate"
    return "Inactive"


def _sum_sizes(array: str) -> dict[str, Any]:
    """Sum of the items' ``size`` (missing sizes count 0), as an expression."""
    return {
        "$reduce": {
            "input": {"$ifNull": [array, []]},
            "initialValue": 0,
            "in": {"$add": ["$$value", {"$ifNull": ["$$this.size", 0]}]},
        }
    }


async def _meeting_totals(match: dict[str, Any]) -> dict[str, Any]:
    """Sums over the matched meetings in one aggregation."""
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {
            "$project": {
                "archived": {"$cond": [{"$eq": ["$archived", True]}, 1, 0]},
                "deleted": {"$cond": [{"$eq": ["$deleted", True]}, 1, 0]},
                "recordings": {"$size": {"$ifNull": ["$recordings", []]}},
                "screenshots": {"$size": {"$ifNull": ["$screenshots", []]}},
                "access": {"$ifNull": ["$total_access_count", 0]},
                "bytes": {"$add": [_sum_sizes("$recordings"), _sum_sizes("$screenshots")]},
            }
        },
        {
            "$group": {
                "_id": None,
                "total": {"$sum": 1},
                "deleted": {"$sum": "$deleted"},
                "archivedLive": {"$sum": {"$cond": [{"$eq": ["$deleted", 0]}, "$archived", 0]}},
                "recordings": {"$sum": {"$cond": [{"$eq": ["$deleted", 0]}, "$recordings", 0]}},
                "screenshots": {"$sum": {"$cond": [{"$eq": ["$deleted", 0]}, "$screenshots", 0]}},
                "access": {"$sum": {"$cond": [{"$eq": ["$deleted", 0]}, "$access", 0]}},
                "bytes": {"$sum": "$bytes"},
            }
        },
    ]
    rows = await Meeting.get_pymongo_collection().aggregate(pipeline)
    async for row in rows:
        return dict(row)
    return {
        "total": 0,
        "deleted": 0,
        "archivedLive": 0,
        "recordings": 0,
        "screenshots": 0,
        "access": 0,
        "bytes": 0,
    }


async def _upload_totals(match: dict[str, Any]) -> dict[str, Any]:
    pipeline: list[dict[str, Any]] = [
        {"$match": match},
        {
            "$project": {
                "deleted": {"$cond": [{"$eq": ["$deleted", True]}, 1, 0]},
                "images": {"$size": {"$ifNull": ["$images", []]}},
                "videos": {"$size": {"$ifNull": ["$videos", []]}},
                "access": {"$ifNull": ["$total_access_count", 0]},
                "imageBytes": _sum_sizes("$images"),
                "videoBytes": _sum_sizes("$videos"),
                "sizedImages": {
                    "$size": {
                        "$filter": {
                            "input": {"$ifNull": ["$images", []]},
                            "as": "i",
                            "cond": {"$gt": [{"$ifNull": ["$$i.size", 0]}, 0]},
                        }
                    }
                },
                "sizedVideos": {
                    "$size": {
                        "$filter": {
                            "input": {"$ifNull": ["$videos", []]},
                            "as": "v",
                            "cond": {"$gt": [{"$ifNull": ["$$v.size", 0]}, 0]},
                        }
                    }
                },
            }
        },
        {
            "$group": {
                "_id": None,
                "total": {"$sum": 1},
                "deleted": {"$sum": "$deleted"},
                "images": {"$sum": "$images"},
                "videos": {"$sum": "$videos"},
                "access": {"$sum": "$access"},
                "imageBytes": {"$sum": "$imageBytes"},
                "videoBytes": {"$sum": "$videoBytes"},
                "sizedImages": {"$sum": "$sizedImages"},
                "sizedVideos": {"$sum": "$sizedVideos"},
            }
        },
    ]
    rows = await Upload.get_pymongo_collection().aggregate(pipeline)
    async for row in rows:
        return dict(row)
    return dict.fromkeys(
        (
            "total",
            "deleted",
            "images",
            "videos",
            "access",
            "imageBytes",
            "videoBytes",
            "sizedImages",
            "sizedVideos",
        ),
        0,
    )


def _email_match(email: str) -> dict[str, Any]:
    return {"email": email_pattern(email)}


async def user_stats(user_id: str, now: datetime | None = None) -> dict[str, Any]:
    """``GET /users/:id/stats`` (shape of core-api.md §7; storage counts meetings
    owned by the user and uploads addressed to the user's e-mail)."""
    now = now or utcnow()
    oid = parse_user_id(user_id)
    user = await User.get(oid)
    if user is None:
        raise NotFound("User not found.")

    account_age = _days_since(user.createdAt, now) or 0
    last_activity = _days_since(user.currentLoginTime, now)
    meetings = await _meeting_totals(Meeting.owner_filter(user.id))  # type: ignore[arg-type]
    uploads = await _upload_totals(_email_match(user.email))

    stats: dict[str, Any] = {
        "userId": str(user.id),
        "role": str(user.role),
        "basicStats": {
            "accountAge": account_age,
            "lastActivity": last_activity,
            "profileComplete": bool(
                user.landlordInfo.landlordName or user.landlordInfo.landlordLogo
            ),
            "email": user.email,
            "company": user.company or "Unassigned",
            "status": str(user.status or "active"),
        },
    }
    live_meetings = meetings["total"] - meetings["deleted"]
    per_day = max(account_age, 1)
    if user.role == Role.LANDLORD:
        stats["landlordStats"] = {
            "totalMeetings": live_meetings,
            "activeMeetings": live_meetings - meetings["archivedLive"],
            "archivedMeetings": meetings["archivedLive"],
            "totalRecordings": meetings["recordings"],
            "totalScreenshots": meetings["screenshots"],
            "totalAccessCount": meetings["access"],
            "averageMeetingsPerDay": round(live_meetings / per_day, 2),
        }
    elif user.role == Role.RESIDENT:
        live_uploads = uploads["total"] - uploads["deleted"]
        stats["residentStats"] = {
            "totalUploads": live_uploads,
            "totalImages": uploads["images"],
            "totalVideos": uploads["videos"],
            "totalAccess": uploads["access"],
            "averageAccessPerUpload": round(uploads["access"] / live_uploads, 2)
            if live_uploads
            else 0,
            "trashedUploads": uploads["deleted"],
        }
    elif user.role == Role.COMPANY_ADMIN:
        stats["companyStats"] = await _company_stats(user, per_day)

    trash_items = meetings["deleted"] + uploads["deleted"]
    stats["archiveTrashStats"] = {
        "archivedItems": meetings["archivedLive"],
        "trashItems": trash_items,
        "totalDeleted": trash_items,
    }
    stats["mediaStats"] = _media_stats(meetings, uploads)
    stats["activityStats"] = {
        "lastLogin": user.currentLoginTime,
        "daysSinceLastLogin": last_activity,
        "isActive": last_activity is not None and last_activity <= ACTIVE_WINDOW_DAYS,
        "activityLevel": _activity_level(last_activity),
    }
    return stats


def _media_stats(meetings: dict[str, Any], uploads: dict[str, Any]) -> dict[str, Any]:
    screenshots = meetings["screenshots"] + uploads["images"]
    videos = meetings["recordings"] + uploads["videos"]
    files = screenshots + videos
    meetings_bytes = int(meetings["bytes"])
    uploads_bytes = int(
        uploads["imageBytes"]
        + uploads["videoBytes"]
        + (uploads["images"] - uploads["sizedImages"]) * IMAGE_FALLBACK_BYTES
        + (uploads["videos"] - uploads["sizedVideos"]) * VIDEO_FALLBACK_BYTES
    )
    total = meetings_bytes + uploads_bytes
    if total > 0:
        storage_used, storage_unit = _size_unit(total)
        average, average_unit = _size_unit(total / files) if files else (0.0, "KB")
    else:
        # The original's estimate when no sizes are known (2 MB per screenshot,
        # 50 MB per video), kept with its unit label.
        storage_used = round((screenshots * 2 + videos * 50) / 1024, 2)
        storage_unit = "MB"
        average, average_unit = 0.0, "KB"
    return {
        "totalScreenshots": screenshots,
        "totalVideos": videos,
        "storageUsed": storage_used,
        "storageUnit": storage_unit,
        "totalFileCount": files,
        "averageFileSize": average,
        "averageFileSizeUnit": average_unit,
        "storageBreakdown": {
            "meetingsStorage": meetings_bytes,
            "uploadsStorage": uploads_bytes,
        },
    }


async def _company_stats(user: User, per_day: int) -> dict[str, Any]:
    if not user.company:
        return {
            "companyUsers": 0,
            "companyMeetings": 0,
            "companyUploads": 0,
            "companyRevenue": 0,
            "averageUsersPerDay": 0,
        }
    members = User.get_pymongo_collection().find(
        {"company": user.company, "deleted": {"$ne": True}}, {"_id": 1, "email": 1}
    )
    ids: list[Any] = []
    emails: list[str] = []
    async for row in members:
        ids.append(row["_id"])
        emails.append(str(row.get("email", "")))
    meetings = await Meeting.get_pymongo_collection().count_documents(
        {
            "$or": [
                {"owner": {"$in": ids}},
                {"userId": {"$in": ids}},
                {"created_by": {"$in": ids}},
            ],
            "deleted": {"$ne": True},
        }
    )
    uploads = await Upload.get_pymongo_collection().count_documents(
        {"email": {"$in": emails}, "deleted": {"$ne": True}}
    )
    return {
        "companyUsers": len(ids),
        "companyMeetings": meetings,
        "companyUploads": uploads,
        "companyRevenue": 0,
        "averageUsersPerDay": round(len(ids) / per_day, 2),
    }


async def dashboard_stats(ctx: AppContext) -> dict[str, Any]:
    """``GET /dashboard/stats``: counts of documents not in the trash."""
    db = ctx.db.db
    not_deleted = {"deleted": {"$ne": True}}
    counts = {}
    for key, collection in (
        ("totalUsers", "users"),
        ("totalCompanies", "companies"),
        ("totalMeetings", "meetings"),
        ("totalUploads", "uploads"),
        ("totalTickets", "supporttickets"),
    ):
        counts[key] = await db[collection].count_documents(not_deleted)
    return {**counts, "systemHealth": "healthy", "timestamp": utcnow()}
