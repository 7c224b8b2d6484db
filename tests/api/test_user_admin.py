"""User administration (core-api.md §7): role rules, swapped envelopes, stats."""

from __future__ import annotations

from datetime import timedelta

import httpx
from bson import ObjectId

from app.models.base import utcnow
from app.models.chat import ChatHistory
from app.models.upload import Upload
from app.models.user import Role, User, UserStatus
from app.services.context import AppContext
from tests.factories.chat import make_chat
from tests.factories.meetings import make_meeting
from tests.factories.users import cookies_for, make_user

SECRETS = {"password", "OTP", "resetPasswordToken", "resetPasswordExpire", "otpHash"}


async def as_role(ctx: AppContext, role: Role) -> tuple[User, dict[str, str]]:
    user = await make_user(role=role)
    return user, cookies_for(ctx, user)


async def test_non_admins_get_the_verb_specific_403(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, cookies = await as_role(ctx, Role.LANDLORD)
    target = await make_user()
    tid = str(target.id)
    cases = [
        ("GET", "/api/v1/users/all", "view all users"),
        ("GET", f"/api/v1/users/{tid}", "view user details"),
        ("DELETE", f"/api/v1/users/{tid}", "delete users"),
        ("PUT", f"/api/v1/users/restore/{tid}", "restore users"),
        ("DELETE", f"/api/v1/users/permanent/{tid}", "permanently delete users"),
        ("PUT", f"/api/v1/users/{tid}/freeze", "freeze users"),
        ("PUT", f"/api/v1/users/{tid}/suspend", "suspend users"),
        ("PUT", f"/api/v1/users/{tid}/activate", "activate users"),
        ("PUT", f"/api/v1/users/{tid}/details", "update users"),
        ("GET", f"/api/v1/users/{tid}/stats", "view user statistics"),
    ]
    for method, path, verb in cases:
        response = await client.request(method, path, cookies=cookies)
        assert response.status_code == 403, path
        assert response.json() == {
            "success": False,
            "message": f"Access denied. Only superadmin and admin can {verb}.",
        }
        assert (await client.request(method, path)).status_code == 401


async def test_list_users_with_computed_status(client: httpx.AsyncClient, ctx: AppContext) -> None:
    _, cookies = await as_role(ctx, Role.ADMIN)
    recent = await make_user(currentLoginTime=utcnow() - timedelta(days=2))
    stale = await make_user(role=Role.RESIDENT, currentLoginTime=utcnow() - timedelta(days=90))
    frozen = await make_user(status=UserStatus.FROZEN)
    binned = await make_user(deleted=True, deletedAt=utcnow())
    await make_user(role=Role.SUPERADMIN)

    response = await client.get("/api/v1/users/all", cookies=cookies)
    assert response.status_code == 200
    body = response.json()
    by_id = {u["_id"]: u for u in body["users"]}
    assert body["count"] == len(body["users"]) == 3
    assert by_id[str(recent.id)]["status"] == "active"
    assert by_id[str(stale.id)]["status"] == "inactive"
    assert by_id[str(frozen.id)]["status"] == "frozen"
    assert by_id[str(recent.id)]["lastLogin"] == by_id[str(recent.id)]["currentLoginTime"]
    assert by_id[str(frozen.id)]["lastLogin"] == by_id[str(frozen.id)]["createdAt"]
    for user in body["users"]:
        assert not SECRETS & set(user)

    trash = await client.get("/api/v1/users/all?deleted=true", cookies=cookies)
    assert [u["_id"] for u in trash.json()["users"]] == [str(binned.id)]


async def test_get_user_by_id(client: httpx.AsyncClient, ctx: AppContext) -> None:
    _, cookies = await as_role(ctx, Role.SUPERADMIN)
    target = await make_user()
    response = await client.get(f"/api/v1/users/{target.id}", cookies=cookies)
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["_id"] == str(target.id)
    assert not SECRETS & set(user)
    missing = await client.get(f"/api/v1/users/{ObjectId()}", cookies=cookies)
    assert (missing.status_code, missing.json()) == (
        404,
        {"success": False, "message": "User not found"},
    )
    assert (await client.get("/api/v1/users/not-an-id", cookies=cookies)).status_code == 404


async def test_trash_restore_and_permanent_delete(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin, cookies = await as_role(ctx, Role.ADMIN)
    target = await make_user()
    target_cookies = cookies_for(ctx, target)
    tid = str(target.id)
    await make_chat(target)
    bystander_chat = await make_chat(admin)

    early = await client.delete(f"/api/v1/users/permanent/{tid}", cookies=cookies)
    assert (early.status_code, early.json()["message"]) == (
        400,
        "User must be in trash before permanent deletion.",
    )
    response = await client.delete(f"/api/v1/users/{tid}", cookies=cookies)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": {"userId": tid},
        "data": "User moved to trash successfully",
    }
    assert (await client.get("/api/v1/me", cookies=target_cookies)).status_code == 401

    restored = await client.put(f"/api/v1/users/restore/{tid}", cookies=cookies)
    assert restored.json() == {
        "success": True,
        "message": {"userId": tid},
        "data": "User restored successfully",
    }
    not_trashed = await client.put(f"/api/v1/users/restore/{tid}", cookies=cookies)
    assert (not_trashed.status_code, not_trashed.json()["message"]) == (
        400,
        "User is not in trash.",
    )
    await client.delete(f"/api/v1/users/{tid}", cookies=cookies)
    gone = await client.delete(f"/api/v1/users/permanent/{tid}", cookies=cookies)
    assert gone.json() == {
        "success": True,
        "message": {"userId": tid},
        "data": "User permanently deleted",
    }
    assert await User.get(target.id) is None
    # The account's chatbot history goes with it; other users' stays.
    assert await ChatHistory.find({"userId": target.id}).count() == 0
    assert await ChatHistory.get(bystander_chat.id) is not None

    own = await client.delete(f"/api/v1/users/{admin.id}", cookies=cookies)
    assert (own.status_code, own.json()["message"]) == (400, "You cannot delete your own account.")
    missing = await client.delete(f"/api/v1/users/{ObjectId()}", cookies=cookies)
    assert (missing.status_code, missing.json()["message"]) == (404, "User not found.")


async def test_superadmins_are_protected_and_admins_cannot_touch_admins(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, admin_cookies = await as_role(ctx, Role.ADMIN)
    super_user, super_cookies = await as_role(ctx, Role.SUPERADMIN)
    other_super = await make_user(role=Role.SUPERADMIN)
    other_admin = await make_user(role=Role.ADMIN)

    for method, path, message in (
        ("DELETE", f"/api/v1/users/{other_super.id}", "Superadmin accounts cannot be deleted."),
        ("PUT", f"/api/v1/users/{other_super.id}/freeze", "Superadmin accounts cannot be frozen."),
        (
            "PUT",
            f"/api/v1/users/{other_super.id}/suspend",
            "Superadmin accounts cannot be suspended.",
        ),
    ):
        response = await client.request(method, path, cookies=super_cookies)
        assert (response.status_code, response.json()["message"]) == (400, message)

    for method, path in (
        ("DELETE", f"/api/v1/users/{other_admin.id}"),
        ("PUT", f"/api/v1/users/{other_admin.id}/freeze"),
        ("PUT", f"/api/v1/users/{other_admin.id}/details"),
    ):
        response = await client.request(method, path, cookies=admin_cookies)
        assert response.status_code == 403, path
    # A superadmin may act on admins.
    frozen = await client.put(f"/api/v1/users/{other_admin.id}/freeze", cookies=super_cookies)
    assert frozen.status_code == 200
    own_freeze = await client.put(f"/api/v1/users/{super_user.id}/freeze", cookies=super_cookies)
    assert own_freeze.json()["message"] == "You cannot freeze your own account."


async def test_freeze_suspend_activate(client: httpx.AsyncClient, ctx: AppContext) -> None:
    _, cookies = await as_role(ctx, Role.ADMIN)
    target = await make_user()
    target_cookies = cookies_for(ctx, target)
    for verb, status, text in (
        ("freeze", "frozen", "User account frozen successfully"),
        ("suspend", "suspended", "User account suspended successfully"),
        ("activate", "active", "User account activated successfully"),
    ):
        response = await client.put(f"/api/v1/users/{target.id}/{verb}", cookies=cookies)
        assert response.status_code == 200
        assert response.json() == {
            "success": True,
            "message": {"userId": str(target.id), "status": status},
            "data": text,
        }
        me = await client.get("/api/v1/me", cookies=target_cookies)
        assert me.status_code == (200 if status == "active" else 401)


async def test_details_update_and_role_escalation_rules(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    admin, admin_cookies = await as_role(ctx, Role.ADMIN)
    _, super_cookies = await as_role(ctx, Role.SUPERADMIN)
    target = await make_user()
    taken = await make_user(role=Role.RESIDENT)
    url = f"/api/v1/users/{target.id}/details"

    response = await client.put(
        url,
        json={"email": "Renamed@Example.test", "company": "c-1", "status": "inactive"},
        cookies=admin_cookies,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["data"] == "User updated successfully"
    assert body["user"] == body["message"]["user"]
    assert body["user"]["email"] == "renamed@example.test"
    assert body["user"]["company"] == "c-1"
    assert not SECRETS & set(body["user"])

    for role in ("admin", "superadmin"):
        denied = await client.put(url, json={"role": role}, cookies=admin_cookies)
        assert denied.status_code == 403
    stored = await User.get(target.id)
    assert stored is not None
    assert stored.role == Role.LANDLORD
    granted = await client.put(url, json={"role": "admin"}, cookies=super_cookies)
    assert granted.json()["user"]["role"] == "admin"

    bad_role = await client.put(
        f"/api/v1/users/{taken.id}/details", json={"role": "god"}, cookies=super_cookies
    )
    assert bad_role.status_code == 400
    duplicate = await client.put(
        f"/api/v1/users/{taken.id}/details",
        json={"email": "renamed@example.test"},
        cookies=super_cookies,
    )
    assert (duplicate.status_code, duplicate.json()["message"]) == (400, "Duplicate email Entered")
    own = await client.put(
        f"/api/v1/users/{admin.id}/details", json={"role": "landlord"}, cookies=admin_cookies
    )
    assert (own.status_code, own.json()["message"]) == (400, "You cannot change your own role.")
    # PUT /users/:id is the same update.
    plain = await client.put(
        f"/api/v1/users/{taken.id}", json={"company": None}, cookies=admin_cookies
    )
    assert plain.status_code == 200
    assert plain.json()["user"]["company"] is None


async def test_superadmin_role_cannot_be_changed(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, cookies = await as_role(ctx, Role.SUPERADMIN)
    other = await make_user(role=Role.SUPERADMIN)
    response = await client.put(
        f"/api/v1/users/{other.id}/details", json={"role": "landlord"}, cookies=cookies
    )
    assert (response.status_code, response.json()["message"]) == (
        400,
        "Superadmin role cannot be changed.",
    )


async def test_landlord_and_resident_stats(client: httpx.AsyncClient, ctx: AppContext) -> None:
    _, cookies = await as_role(ctx, Role.ADMIN)
    landlord = await make_user(
        currentLoginTime=utcnow() - timedelta(days=3), createdAt=utcnow() - timedelta(days=10)
    )
    await make_meeting(
        landlord,
        recordings=[{"url": "u", "cloudinary_id": "k", "size": 3 * 1024 * 1024}],
        screenshots=[{"url": "u", "cloudinary_id": "k2", "size": 1024 * 1024}],
        total_access_count=4,
    )
    await make_meeting(landlord, archived=True)
    await make_meeting(landlord, deleted=True, deletedAt=utcnow())

    response = await client.get(f"/api/v1/users/{landlord.id}/stats", cookies=cookies)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User statistics retrieved successfully"
    stats = body["data"]["stats"]
    assert stats["userId"] == str(landlord.id)
    assert stats["basicStats"]["accountAge"] == 10
    assert stats["basicStats"]["company"] == "Unassigned"
    assert stats["landlordStats"] == {
        "totalMeetings": 2,
        "activeMeetings": 1,
        "archivedMeetings": 1,
        "totalRecordings": 1,
        "totalScreenshots": 1,
        "totalAccessCount": 4,
        "averageMeetingsPerDay": 0.2,
    }
    assert stats["archiveTrashStats"] == {"archivedItems": 1, "trashItems": 1, "totalDeleted": 1}
    assert stats["mediaStats"]["storageUsed"] == 4.0
    assert stats["mediaStats"]["storageUnit"] == "MB"
    assert stats["mediaStats"]["storageBreakdown"]["meetingsStorage"] == 4 * 1024 * 1024
    assert stats["activityStats"]["activityLevel"] == "Active"
    assert stats["activityStats"]["isActive"] is True

    resident = await make_user(role=Role.RESIDENT, email="Res.Stats@example.test")
    await Upload(
        email="res.stats@example.test",
        accessCode="ABC123",
        images=[{"url": "i"}],
        videos=[{"url": "v", "size": 1024}],
        total_access_count=3,
    ).insert()
    response = await client.get(f"/api/v1/users/{resident.id}/stats", cookies=cookies)
    stats = response.json()["data"]["stats"]
    assert stats["residentStats"] == {
        "totalUploads": 1,
        "totalImages": 1,
        "totalVideos": 1,
        "totalAccess": 3,
        "averageAccessPerUpload": 3.0,
        "trashedUploads": 0,
    }
    assert stats["mediaStats"]["storageBreakdown"]["uploadsStorage"] == 2 * 1024 * 1024 + 1024
    assert stats["activityStats"]["activityLevel"] == "Inactive"

    missing = await client.get(f"/api/v1/users/{ObjectId()}/stats", cookies=cookies)
    assert missing.status_code == 404


async def test_dashboard_stats_is_superadmin_only(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, admin_cookies = await as_role(ctx, Role.ADMIN)
    denied = await client.get("/api/v1/dashboard/stats", cookies=admin_cookies)
    assert (denied.status_code, denied.json()) == (
        403,
        {"success": False, "message": "Only superadmins can access dashboard stats"},
    )
    super_user, cookies = await as_role(ctx, Role.SUPERADMIN)
    await make_user(deleted=True, deletedAt=utcnow())
    await make_meeting(super_user)
    response = await client.get("/api/v1/dashboard/stats", cookies=cookies)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["totalUsers"] == 2
    assert data["totalMeetings"] == 1
    assert data["totalCompanies"] == 0
    assert data["totalUploads"] == 0
    assert data["totalTickets"] == 0
    assert data["systemHealth"] == "healthy"
    assert data["timestamp"].endswith("Z")


async def test_users_online_is_not_shadowed_by_the_id_route(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    _, cookies = await as_role(ctx, Role.ADMIN)
    response = await client.get("/api/v1/users/online", cookies=cookies)
    assert response.json()["message"] == "Only superadmins can access online users"
