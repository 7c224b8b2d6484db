"""M2/M4 paths added for B2 (issue 8): ownership as separate index-bounded
queries, text filters applied in Python, pages fetched by ``_id``.

Kept apart from test_meetings.py so that these checks of the query split read
as one story; the route contract itself is tested there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from beanie import PydanticObjectId

from app.models.meeting import Meeting
from app.models.user import User
from app.services.context import AppContext
from tests.factories.meetings import make_meeting
from tests.factories.users import make_user, token_for

BASE = "/api/v1/meetings"
BASE_DAY = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


def auth(ctx: AppContext, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(ctx, user)}"}


@pytest.fixture
async def owner(ctx: AppContext) -> User:
    return await make_user(email="owner@example.test")


@pytest.fixture
async def other(ctx: AppContext) -> User:
    return await make_user(email="other@example.test")


async def search(
    client: httpx.AsyncClient, ctx: AppContext, user: User, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(f"{BASE}/search", headers=auth(ctx, user), json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def legacy_meeting(name: str, **fields: Any) -> Meeting:
    """A meeting with ownership fields set exactly as given (``owner`` included)."""
    meeting = await make_meeting(None, name=name)
    await meeting.set(fields)
    return meeting


def names(data: dict[str, Any]) -> list[str | None]:
    return [m["name"] for m in data["meetings"]]


async def test_legacy_meetings_found_through_user_id_or_created_by_only(
    client: httpx.AsyncClient, ctx: AppContext, owner: User, other: User
) -> None:
    assert owner.id is not None
    assert other.id is not None
    below = PydanticObjectId("0" * 23 + "1")
    above = PydanticObjectId("f" * 23 + "e")
    day = BASE_DAY
    await make_meeting(owner, name="Oak own", createdAt=day)
    await make_meeting(None, name="Oak userId only", userId=owner.id, createdAt=day + timedelta(1))
    await make_meeting(
        None, name="Oak created_by only", created_by=owner.id, createdAt=day + timedelta(2)
    )
    await legacy_meeting(
        "Oak owner null", owner=None, userId=owner.id, createdAt=day + timedelta(3)
    )
    # Owned by someone else, yet mine through userId / created_by (the $or).
    await legacy_meeting(
        "Oak owner below", owner=below, userId=owner.id, createdAt=day + timedelta(4)
    )
    await legacy_meeting(
        "Oak owner above", owner=above, created_by=owner.id, createdAt=day + timedelta(5)
    )
    # Matching the owner branch and both legacy ones: listed once.
    await make_meeting(owner, name="Oak all three", createdAt=day + timedelta(6))
    await make_meeting(other, name="Oak foreign", createdAt=day)
    await make_meeting(None, name="Oak foreign legacy", userId=other.id, createdAt=day)
    await legacy_meeting("Oak foreign creator", owner=other.id, created_by=other.id)

    data = await search(client, ctx, owner, {"name": "oak"})
    assert names(data) == [
        "Oak all three",
        "Oak owner above",
        "Oak owner below",
        "Oak owner null",
        "Oak created_by only",
        "Oak userId only",
        "Oak own",
    ]
    assert data["total_meetings"] == 7
    # The date range applies to every branch, not only the indexed owner one.
    data = await search(
        client, ctx, owner, {"name": "OAK", "date_from": "2024-05-12", "date_to": "2024-05-14"}
    )
    assert names(data) == ["Oak owner below", "Oak owner null", "Oak created_by only"]
    # The other user sees none of mine.
    data = await search(client, ctx, other, {"name": "oak"})
    assert set(names(data)) == {"Oak foreign", "Oak foreign creator", "Oak foreign legacy"}

    response = await client.get(f"{BASE}/all", headers=auth(ctx, owner))
    assert [m["name"] for m in response.json()["meetings"]] == names(
        await search(client, ctx, owner, {})
    )
    assert response.json()["total_meetings"] == 7


async def test_flags_apply_to_legacy_branches_in_list_and_search(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    await make_meeting(None, name="legacy archived", userId=owner.id, archived=True)
    await make_meeting(None, name="legacy trashed", created_by=owner.id, deleted=True)
    await make_meeting(None, name="legacy active", userId=owner.id)

    async def listed(query: str) -> set[str]:
        response = await client.get(f"{BASE}/all{query}", headers=auth(ctx, owner))
        assert response.status_code == 200
        return {m["name"] for m in response.json()["meetings"]}

    assert await listed("") == {"legacy archived", "legacy active"}
    assert await listed("?archived=true") == {"legacy archived"}
    assert await listed("?archived=false") == {"legacy active"}
    assert await listed("?deleted=true") == {"legacy trashed"}
    found = await search(client, ctx, owner, {"archived": True})
    assert names(found) == ["legacy archived"]
    found = await search(client, ctx, owner, {"deleted": "false", "name": "legacy"})
    assert set(names(found)) == {"legacy archived", "legacy active"}


async def test_text_filters_keep_the_regex_semantics(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    await make_meeting(
        owner,
        name="École Saint-Jean",
        work_details=[{"detail": "a", "target_time": "2 days"}, {"target_time": "10 Days"}],
        special_notes={"text": "kitchen"},
        street_road="Straße 5",
    )
    await make_meeting(owner, name="Elm [house]", special_notes="Kitchen tap")

    assert names(await search(client, ctx, owner, {"name": "ÉCOLE"})) == ["École Saint-Jean"]
    assert names(await search(client, ctx, owner, {"name": "[HOUSE]"})) == ["Elm [house]"]
    # Any element of the work_details array.
    found = await search(client, ctx, owner, {"work_details_target_time": "10 days"})
    assert names(found) == ["École Saint-Jean"]
    # A regex never matches inside an embedded document.
    assert names(await search(client, ctx, owner, {"special_notes": "kitchen"})) == ["Elm [house]"]
    # Simple case folding, like the database's regex: ß is not "ss".
    assert names(await search(client, ctx, owner, {"address": "strasse"})) == []
    assert names(await search(client, ctx, owner, {"address": "STRAẞE"})) == ["École Saint-Jean"]


async def test_pages_count_after_filtering_and_sort_missing_values_first(
    client: httpx.AsyncClient, ctx: AppContext, owner: User
) -> None:
    for i in range(7):
        await make_meeting(owner, name=f"Hit {i}", createdAt=BASE_DAY + timedelta(hours=i))
        await make_meeting(owner, name=f"Miss {i}", createdAt=BASE_DAY + timedelta(hours=i))
    data = await search(client, ctx, owner, {"name": "hit", "page": 2, "limit": 3})
    assert data["pagination"] == {"page": 2, "limit": 3, "total": 7, "pages": 3}
    assert names(data) == ["Hit 3", "Hit 2", "Hit 1"]
    data = await search(client, ctx, owner, {"name": "hit", "page": 4, "limit": 3})
    assert data["meetings"] == []
    assert data["total_meetings"] == 7

    nameless = await make_meeting(owner, name=None, reference="HIT-0")
    data = await search(client, ctx, owner, {"sort": "name", "limit": 2})
    assert next(m["meeting_id"] for m in data["meetings"]) == nameless.meeting_id
    assert names(data) == [None, "Hit 0"]
    data = await search(client, ctx, owner, {"sort": "-name", "limit": 1})
    assert names(data) == ["Miss 6"]
    stored = await Meeting.find_one({"meeting_id": nameless.meeting_id})
    assert stored is not None
    assert stored.name is None
