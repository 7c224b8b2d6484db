"""Chat history routes: the swapped envelope, per-user isolation, bounds (core-api.md §8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from bson import ObjectId

from app.core.config import Settings
from app.models.base import utcnow
from app.models.chat import ChatHistory
from app.services.context import AppContext
from tests.conftest import make_client, running_app
from tests.factories.chat import make_chat
from tests.factories.users import cookies_for, make_user

HEX24 = r"^[0-9a-f]{24}$"


def fail(text: str) -> dict[str, Any]:
    return {"success": False, "message": None, "data": text}


def new_session_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sessionId": "sess-1",
        "title": "Mould in the bathroom",
        "preview": "How do I treat black mould?",
        "messages": [
            {"id": 1717000000001, "type": "user", "text": "How do I treat black mould?"},
            {
                "id": 1717000000002,
                "type": "bot",
                "text": "Start by ventilating the room.",
                "timestamp": "2025-06-01T10:00:00.000Z",
            },
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def landlord(ctx: AppContext) -> tuple[Any, dict[str, str]]:
    user = await make_user()
    return user, cookies_for(ctx, user)


# --- authentication -------------------------------------------------------


CHAT_ROUTES = [
    ("GET", "/api/v1/chat/sessions"),
    ("POST", "/api/v1/chat/sessions"),
    ("GET", "/api/v1/chat/sessions/s1"),
    ("DELETE", "/api/v1/chat/sessions/s1"),
    ("PUT", "/api/v1/chat/sessions/s1/title"),
    ("PUT", "/api/v1/chat/sessions/s1/messages/1/feedback"),
]


async def test_every_chat_route_requires_sign_in(client: httpx.AsyncClient) -> None:
    for method, path in CHAT_ROUTES:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, path
        assert response.json() == {"success": False, "message": "Unauthorize user"}


# --- list -----------------------------------------------------------------


async def test_empty_list_still_sends_the_empty_array(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    response = await client.get("/api/v1/chat/sessions", cookies=cookies)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": {"chatSessions": []},
        "data": "Chat sessions retrieved successfully",
    }


async def test_list_is_newest_first_capped_at_50_and_only_the_callers(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    other = await make_user()
    await make_chat(other, session_id="foreign")
    base = utcnow() - timedelta(days=1)
    chats = [
        await make_chat(user, session_id=f"s{n:02d}", updated_at=base + timedelta(minutes=n))
        for n in range(52)
    ]
    response = await client.get("/api/v1/chat/sessions", cookies=cookies)
    sessions = response.json()["message"]["chatSessions"]
    assert len(sessions) == 50
    assert [s["sessionId"] for s in sessions] == [f"s{n:02d}" for n in range(51, 1, -1)]
    newest = chats[-1]
    assert sessions[0] == {
        "id": str(newest.id),
        "sessionId": "s51",
        "title": newest.title,
        "preview": newest.preview,
        "timestamp": newest.updatedAt.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    assert "foreign" not in {s["sessionId"] for s in sessions}


# --- save (create / update) -----------------------------------------------


async def test_create_returns_the_full_document_in_the_swapped_envelope(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    response = await client.post("/api/v1/chat/sessions", json=new_session_body(), cookies=cookies)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == "Chat session saved successfully"
    chat = body["message"]["chatSession"]
    assert set(chat) == {
        "_id",
        "userId",
        "sessionId",
        "title",
        "preview",
        "messages",
        "createdAt",
        "updatedAt",
    }
    assert chat["userId"] == str(user.id)
    assert chat["sessionId"] == "sess-1"
    assert chat["title"] == "Mould in the bathroom"
    assert chat["preview"] == "How do I treat black mould?"
    first, second = chat["messages"]
    assert ObjectId.is_valid(first["_id"])
    assert first["id"] == 1717000000001
    assert first["type"] == "user"
    assert first["feedback"] is None
    assert first["timestamp"].endswith("Z")
    assert second["timestamp"] == "2025-06-01T10:00:00.000Z"
    stored = await ChatHistory.find_one({"userId": user.id, "sessionId": "sess-1"})
    assert stored is not None
    assert [m.text for m in stored.messages] == [
        "How do I treat black mould?",
        "Start by ventilating the room.",
    ]


async def test_save_existing_replaces_preview_and_messages_and_keeps_title(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    chat = await make_chat(user, session_id="sess-1", title="Original", messages=3)
    response = await client.post(
        "/api/v1/chat/sessions",
        json={
            "sessionId": "sess-1",
            "preview": "new preview",
            "messages": [{"id": 9, "type": "bot", "text": "only one now"}],
        },
        cookies=cookies,
    )
    assert response.status_code == 200
    saved = response.json()["message"]["chatSession"]
    assert saved["_id"] == str(chat.id)
    assert saved["title"] == "Original"
    assert saved["preview"] == "new preview"
    assert [m["text"] for m in saved["messages"]] == ["only one now"]
    assert await ChatHistory.find({"userId": user.id}).count() == 1

    renamed = await client.post(
        "/api/v1/chat/sessions",
        json=new_session_body(title="Renamed"),
        cookies=cookies,
    )
    assert renamed.json()["message"]["chatSession"]["title"] == "Renamed"


async def test_echoed_message_ids_are_kept(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    created = await client.post("/api/v1/chat/sessions", json=new_session_body(), cookies=cookies)
    messages = created.json()["message"]["chatSession"]["messages"]
    again = await client.post(
        "/api/v1/chat/sessions",
        json=new_session_body(messages=messages),
        cookies=cookies,
    )
    assert [m["_id"] for m in again.json()["message"]["chatSession"]["messages"]] == [
        m["_id"] for m in messages
    ]


async def test_same_session_id_for_two_users_are_two_conversations(
    client: httpx.AsyncClient, ctx: AppContext, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    other = await make_user()
    await make_chat(other, session_id="sess-1", title="Theirs")
    response = await client.post(
        "/api/v1/chat/sessions", json=new_session_body(title="Mine"), cookies=cookies
    )
    assert response.status_code == 200
    theirs = await ChatHistory.find_one({"userId": other.id, "sessionId": "sess-1"})
    assert theirs is not None
    assert theirs.title == "Theirs"
    mine = await ChatHistory.find_one({"userId": user.id, "sessionId": "sess-1"})
    assert mine is not None
    assert mine.title == "Mine"


async def test_save_without_required_fields_is_400(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    missing: list[dict[str, Any]] = [
        {"sessionId": None},
        {"sessionId": ""},
        {"preview": None},
        {"preview": ""},
        {"messages": None},
    ]
    for overrides in missing:
        body = {k: v for k, v in new_session_body(**overrides).items() if v is not None}
        response = await client.post("/api/v1/chat/sessions", json=body, cookies=cookies)
        assert response.status_code == 400
        assert response.json() == fail("Missing required fields")
    assert await ChatHistory.count() == 0


async def test_new_session_without_title_is_400(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    body = new_session_body()
    del body["title"]
    response = await client.post("/api/v1/chat/sessions", json=body, cookies=cookies)
    assert response.status_code == 400
    assert response.json() == fail("Title is required for new chat sessions")
    assert await ChatHistory.count() == 0


async def test_malformed_input_is_a_swapped_400_and_nothing_is_saved(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    malformed: list[dict[str, Any]] = [
        {"sessionId": {"$ne": None}},
        {"messages": [{"id": 1, "type": "system", "text": "x"}]},
        {"messages": [{"id": "abc", "type": "user", "text": "x"}]},
        {"messages": [{"id": 1, "type": "user"}]},
        {"messages": [{"id": 1, "type": "user", "text": "x", "feedback": "meh"}]},
        {"messages": "not a list"},
    ]
    for overrides in malformed:
        response = await client.post(
            "/api/v1/chat/sessions", json=new_session_body(**overrides), cookies=cookies
        )
        assert response.status_code == 400, overrides
        body = response.json()
        assert body["success"] is False
        assert body["message"] is None
        assert body["data"].startswith("Invalid")
    assert await ChatHistory.count() == 0


async def test_malformed_json_is_a_swapped_400(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    response = await client.post(
        "/api/v1/chat/sessions",
        content=b'{"sessionId": ',
        headers={"content-type": "application/json"},
        cookies=cookies,
    )
    assert response.status_code == 400
    assert response.json() == fail("Malformed JSON body")


async def test_messages_array_is_bounded(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(CHAT_MAX_MESSAGES=3, CHAT_MAX_MESSAGE_CHARS=20)
    async with running_app(settings) as app, make_client(app) as http:
        user = await make_user()
        cookies = cookies_for(app.state.ctx, user)
        await make_chat(user, session_id="sess-1", title="Kept", messages=1)
        messages = [{"id": n, "type": "user", "text": "hi"} for n in range(4)]
        too_many = await http.post(
            "/api/v1/chat/sessions",
            json=new_session_body(messages=messages),
            cookies=cookies,
        )
        assert too_many.status_code == 413
        assert too_many.json() == fail("A chat session can hold at most 3 messages")

        too_long = await http.post(
            "/api/v1/chat/sessions",
            json=new_session_body(messages=[{"id": 1, "type": "user", "text": "x" * 21}]),
            cookies=cookies,
        )
        assert too_long.status_code == 413
        assert too_long.json() == fail("A chat message can be at most 20 characters long")

        stored = await ChatHistory.find_one({"userId": user.id})
        assert stored is not None
        assert stored.title == "Kept"
        assert len(stored.messages) == 1

        at_limit = await http.post(
            "/api/v1/chat/sessions",
            json=new_session_body(
                title="t",
                preview="p",
                messages=[{"id": n, "type": "bot", "text": "x" * 20} for n in range(3)],
            ),
            cookies=cookies,
        )
        assert at_limit.status_code == 200


# --- get / delete -----------------------------------------------------------


async def test_get_returns_the_selected_fields(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    chat = await make_chat(user, session_id="sess-1", messages=2)
    response = await client.get("/api/v1/chat/sessions/sess-1", cookies=cookies)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == "Chat session retrieved successfully"
    session = body["message"]["chatSession"]
    assert set(session) == {"sessionId", "title", "preview", "messages", "createdAt", "updatedAt"}
    assert session["title"] == chat.title
    assert [m["id"] for m in session["messages"]] == [1, 2]
    assert set(session["messages"][0]) == {"_id", "id", "type", "text", "timestamp", "feedback"}


async def test_foreign_and_missing_sessions_are_404(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    _, cookies = landlord
    other = await make_user()
    await make_chat(other, session_id="theirs")
    for path in ("/api/v1/chat/sessions/theirs", "/api/v1/chat/sessions/nope"):
        response = await client.get(path, cookies=cookies)
        assert response.status_code == 404
        assert response.json() == fail("Chat session not found")
    deleted = await client.delete("/api/v1/chat/sessions/theirs", cookies=cookies)
    assert deleted.status_code == 404
    assert deleted.json() == fail("Chat session not found")
    renamed = await client.put(
        "/api/v1/chat/sessions/theirs/title", json={"title": "pwned"}, cookies=cookies
    )
    assert renamed.status_code == 404
    feedback = await client.put(
        "/api/v1/chat/sessions/theirs/messages/1/feedback",
        json={"feedback": "thumbsUp"},
        cookies=cookies,
    )
    assert feedback.status_code == 404
    theirs = await ChatHistory.find_one({"userId": other.id, "sessionId": "theirs"})
    assert theirs is not None
    assert theirs.title != "pwned"
    assert theirs.messages[0].feedback is None


async def test_delete_removes_the_conversation(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    await make_chat(user, session_id="sess-1")
    response = await client.delete("/api/v1/chat/sessions/sess-1", cookies=cookies)
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "message": None,
        "data": "Chat session deleted successfully",
    }
    assert await ChatHistory.count() == 0
    again = await client.get("/api/v1/chat/sessions/sess-1", cookies=cookies)
    assert again.status_code == 404


# --- title ------------------------------------------------------------------


async def test_update_title(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    chat = await make_chat(user, session_id="sess-1", title="Old")
    response = await client.put(
        "/api/v1/chat/sessions/sess-1/title", json={"title": "New title"}, cookies=cookies
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == "Chat session title updated successfully"
    assert body["message"]["chatSession"]["_id"] == str(chat.id)
    assert body["message"]["chatSession"]["title"] == "New title"
    stored = await ChatHistory.get(chat.id)
    assert stored is not None
    assert stored.title == "New title"


async def test_update_title_without_title_is_400(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    await make_chat(user, session_id="sess-1")
    for payload in ({}, {"title": ""}, None):
        if payload is None:
            response = await client.put("/api/v1/chat/sessions/sess-1/title", cookies=cookies)
        else:
            response = await client.put(
                "/api/v1/chat/sessions/sess-1/title", json=payload, cookies=cookies
            )
        assert response.status_code == 400
        assert response.json() == fail("Session ID and title are required")


# --- feedback ---------------------------------------------------------------


async def test_message_feedback_is_stored(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    chat = await make_chat(user, session_id="sess-1", messages=3)
    response = await client.put(
        "/api/v1/chat/sessions/sess-1/messages/2/feedback",
        json={"feedback": "thumbsDown"},
        cookies=cookies,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == "Message feedback updated successfully"
    message = body["message"]["message"]
    assert message["_id"] == str(chat.messages[1].oid)
    assert message["id"] == 2
    assert message["feedback"] == "thumbsDown"
    stored = await ChatHistory.get(chat.id)
    assert stored is not None
    assert [m.feedback for m in stored.messages] == [None, "thumbsDown", None]


async def test_invalid_feedback_value_is_400(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    await make_chat(user, session_id="sess-1")
    for value in (None, "meh", 1, "THUMBSUP"):
        response = await client.put(
            "/api/v1/chat/sessions/sess-1/messages/1/feedback",
            json={"feedback": value},
            cookies=cookies,
        )
        assert response.status_code == 400
        assert response.json() == fail("Invalid feedback value")


async def test_unknown_message_is_404(
    client: httpx.AsyncClient, landlord: tuple[Any, dict[str, str]]
) -> None:
    user, cookies = landlord
    await make_chat(user, session_id="sess-1")
    for message_id in ("99", "abc", "1.5"):
        response = await client.put(
            f"/api/v1/chat/sessions/sess-1/messages/{message_id}/feedback",
            json={"feedback": "thumbsUp"},
            cookies=cookies,
        )
        assert response.status_code == 404
        assert response.json() == fail("Message not found")
