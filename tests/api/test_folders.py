"""Folders (core-api.md §6): sub-documents of the caller, cascading to the caller's own meetings."""

from __future__ import annotations

import httpx
import pytest
from bson import ObjectId

from app.models.meeting import Meeting
from app.models.user import User
from app.services import folders as folder_service
from app.services.context import AppContext
from tests.factories.meetings import make_meeting
from tests.factories.users import cookies_for, make_user


@pytest.fixture
async def owner(ctx: AppContext) -> tuple[User, dict[str, str]]:
    user = await make_user()
    return user, cookies_for(ctx, user)


async def create(client: httpx.AsyncClient, cookies: dict[str, str], name: str) -> str:
    response = await client.post("/api/v1/folders", json={"name": name}, cookies=cookies)
    assert response.status_code == 201, response.text
    folder_id: str = response.json()["folder"]["id"]
    return folder_id


async def test_create_list_update_and_delete(
    client: httpx.AsyncClient, owner: tuple[User, dict[str, str]]
) -> None:
    _, cookies = owner
    response = await client.post("/api/v1/folders", json={"name": " Repairs "}, cookies=cookies)
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Folder created successfully"
    assert set(body["folder"]) == {"id", "name", "createdAt"}
    assert body["folder"]["name"] == "Repairs"
    folder_id = body["folder"]["id"]
    assert folder_id.isdigit()

    second = await create(client, cookies, "Damp")
    assert second != folder_id

    dup = await client.post("/api/v1/folders", json={"name": "repairs"}, cookies=cookies)
    assert (dup.status_code, dup.json()) == (
        400,
        {"success": False, "message": "Folder with this name already exists"},
    )
    blank = await client.post("/api/v1/folders", json={"name": "  "}, cookies=cookies)
    assert (blank.status_code, blank.json()["message"]) == (400, "Folder name is required")

    listed = await client.get("/api/v1/folders", cookies=cookies)
    folders = listed.json()["folders"]
    assert [f["name"] for f in folders] == ["Repairs", "Damp"]
    assert set(folders[0]) == {"_id", "id", "name", "createdAt", "trashed"}
    assert folders[0]["trashed"] is False
    assert len(folders[0]["_id"]) == 24

    updated = await client.put(
        f"/api/v1/folders/{folder_id}", json={"name": "Repairs 2", "trashed": True}, cookies=cookies
    )
    assert updated.status_code == 200
    assert updated.json()["message"] == "Folder updated successfully"
    assert updated.json()["folder"]["name"] == "Repairs 2"
    assert updated.json()["folder"]["trashed"] is True
    clash = await client.put(f"/api/v1/folders/{folder_id}", json={"name": "DAMP"}, cookies=cookies)
    assert clash.status_code == 400
    missing = await client.put("/api/v1/folders/123", json={"name": "x"}, cookies=cookies)
    assert (missing.status_code, missing.json()) == (
        404,
        {"success": False, "message": "Folder not found"},
    )

    deleted = await client.delete(f"/api/v1/folders/{folder_id}", cookies=cookies)
    assert deleted.json() == {"success": True, "message": "Folder deleted successfully"}
    again = await client.delete(f"/api/v1/folders/{folder_id}", cookies=cookies)
    assert again.status_code == 404
    assert (await client.get("/api/v1/folders")).status_code == 401


async def test_folder_ids_are_unique_within_one_millisecond(
    owner: tuple[User, dict[str, str]],
) -> None:
    user, _ = owner
    ids = []
    for n in range(5):
        fresh = await User.get(user.id)
        assert fresh is not None
        ids.append((await folder_service.create_folder(fresh, f"F{n}")).id)
    assert len(set(ids)) == 5


async def test_trash_and_restore_cascade_to_own_meetings_only(
    client: httpx.AsyncClient, ctx: AppContext, owner: tuple[User, dict[str, str]]
) -> None:
    user, cookies = owner
    stranger = await make_user()
    mine = [await make_meeting(user) for _ in range(2)]
    theirs = await make_meeting(stranger)
    folder_id = await create(client, cookies, "Block A")

    for meeting in mine:
        response = await client.post(
            "/api/v1/folders/assign-meeting",
            json={"meetingId": str(meeting.id), "folderId": folder_id},
            cookies=cookies,
        )
        assert response.json() == {"success": True, "message": "Meeting assigned to folder"}
    foreign = await client.post(
        "/api/v1/folders/assign-meeting",
        json={"meetingId": str(theirs.id), "folderId": folder_id},
        cookies=cookies,
    )
    assert (foreign.status_code, foreign.json()["message"]) == (404, "Meeting not found")
    # A foreign id smuggled into the map directly is still never touched.
    await User.get_pymongo_collection().update_one(
        {"_id": user.id}, {"$set": {f"meetingFolders.{theirs.id}": folder_id}}
    )

    trashed = await client.put(f"/api/v1/folders/{folder_id}/trash", cookies=cookies)
    assert trashed.status_code == 200
    assert trashed.json() == {
        "success": True,
        "message": 'Folder "Block A" and 2 records moved to trash',
        "recordsAffected": 2,
    }
    for meeting in mine:
        stored = await Meeting.get(meeting.id)
        assert stored is not None
        assert stored.deleted is True
        assert stored.deletedAt is not None
    untouched = await Meeting.get(theirs.id)
    assert untouched is not None
    assert untouched.deleted is False
    listed = (await client.get("/api/v1/folders", cookies=cookies)).json()["folders"]
    assert listed[0]["trashed"] is True

    restored = await client.put(f"/api/v1/folders/{folder_id}/restore", cookies=cookies)
    assert restored.json() == {
        "success": True,
        "message": 'Folder "Block A" and 2 records restored successfully',
        "recordsAffected": 2,
    }
    for meeting in mine:
        stored = await Meeting.get(meeting.id)
        assert stored is not None
        assert stored.deleted is False
        assert stored.deletedAt is None
    assert (await client.put("/api/v1/folders/999/trash", cookies=cookies)).status_code == 404
    assert (await client.put("/api/v1/folders/999/restore", cookies=cookies)).status_code == 404


async def test_assignments_listing_removal_and_delete_cascade(
    client: httpx.AsyncClient, owner: tuple[User, dict[str, str]]
) -> None:
    user, cookies = owner
    meeting = await make_meeting(user)
    keep = await make_meeting(user)
    folder_id = await create(client, cookies, "One")
    other_id = await create(client, cookies, "Two")
    for m, f in ((meeting, folder_id), (keep, other_id)):
        await client.post(
            "/api/v1/folders/assign-meeting",
            json={"meetingId": str(m.id), "folderId": f},
            cookies=cookies,
        )
    listed = await client.get("/api/v1/folders/meeting-assignments", cookies=cookies)
    assert listed.json() == {
        "success": True,
        "meetingFolders": {str(meeting.id): folder_id, str(keep.id): other_id},
    }

    await client.delete(f"/api/v1/folders/{folder_id}", cookies=cookies)
    listed = await client.get("/api/v1/folders/meeting-assignments", cookies=cookies)
    assert listed.json()["meetingFolders"] == {str(keep.id): other_id}
    stored = await Meeting.get(meeting.id)
    assert stored is not None
    assert stored.deleted is False

    removed = await client.post(
        "/api/v1/folders/assign-meeting",
        json={"meetingId": str(keep.id), "folderId": None},
        cookies=cookies,
    )
    assert removed.json() == {"success": True, "message": "Meeting removed from folder"}
    listed = await client.get("/api/v1/folders/meeting-assignments", cookies=cookies)
    assert listed.json()["meetingFolders"] == {}


async def test_assign_meeting_validation(
    client: httpx.AsyncClient, owner: tuple[User, dict[str, str]]
) -> None:
    user, cookies = owner
    meeting = await make_meeting(user)
    url = "/api/v1/folders/assign-meeting"
    missing = await client.post(url, json={"folderId": "1"}, cookies=cookies)
    assert (missing.status_code, missing.json()) == (
        400,
        {"success": False, "message": "Meeting ID is required"},
    )
    bad = await client.post(url, json={"meetingId": "nope", "folderId": "1"}, cookies=cookies)
    assert bad.status_code == 400
    injected = await client.post(
        url, json={"meetingId": {"$ne": None}, "folderId": "1"}, cookies=cookies
    )
    assert injected.status_code == 400
    no_folder = await client.post(
        url, json={"meetingId": str(meeting.id), "folderId": "42"}, cookies=cookies
    )
    assert (no_folder.status_code, no_folder.json()["message"]) == (404, "Folder not found")
    unknown = await client.post(
        url, json={"meetingId": str(ObjectId()), "folderId": None}, cookies=cookies
    )
    assert unknown.status_code == 200
