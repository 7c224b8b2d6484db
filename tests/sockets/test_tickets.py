"""Support-ticket chat over real sockets: membership from the DB, identity from the JWT."""

from __future__ import annotations

import base64

from bson import ObjectId

from app.models.user import Role
from tests.conftest import LiveServer
from tests.factories.users import make_user, token_for
from tests.sockets.conftest import PeerFactory

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).decode()


async def insert_ticket(live: LiveServer, owner_id: ObjectId | None) -> str:
    result = await live.ctx.db.db["supporttickets"].insert_one(
        {
            "ticketId": "TKT-20250101-ABCDE",
            "userId": owner_id,
            "deleted": False,
            "chatMessages": [],
            "subject": "Leak",
            "description": "Water",
            "category": "Tech",
        }
    )
    return str(result.inserted_id)


async def test_owner_and_admin_chat_in_a_ticket(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    owner = await make_user(role=Role.LANDLORD, email="owner@example.test")
    admin = await make_user(role=Role.ADMIN, email="admin@example.test")
    ticket_id = await insert_ticket(live, owner.id)
    owner_socket = await peer_factory("owner", token=token_for(live.ctx, owner))
    admin_socket = await peer_factory("admin", token=token_for(live.ctx, admin))

    await owner_socket.emit(
        "join-ticket-chat", {"ticketId": ticket_id, "ticketInfo": {"title": "Leak"}}
    )
    joined = await owner_socket.one("ticket-chat-joined")
    assert joined["message"] == "Joined ticket chat for: Leak"
    await admin_socket.emit("join-ticket-chat", {"ticketId": ticket_id, "userRole": "resident"})
    await admin_socket.one("ticket-chat-joined")
    arrival = await owner_socket.one("user-joined-ticket")
    assert arrival["userEmail"] == "admin@example.test"
    assert arrival["userRole"] == "admin"

    await owner_socket.emit(
        "send-ticket-message",
        {"ticketId": ticket_id, "message": "Hello", "senderId": "forged", "senderRole": "admin"},
    )
    for peer in (owner_socket, admin_socket):  # the room, sender included
        message = await peer.one("new-ticket-message")
        assert message["message"] == "Hello"
        assert message["senderId"] == str(owner.id)
        assert message["senderEmail"] == "owner@example.test"
        assert message["senderRole"] == "landlord"
        assert message["media"] is None
        assert message["id"].endswith(owner_socket.sid[-6:])
    stored = await live.ctx.db.db["supporttickets"].find_one({"_id": ObjectId(ticket_id)})
    assert stored is not None
    assert [m["message"] for m in stored["chatMessages"]] == ["Hello"]
    assert stored["chatMessages"][0]["senderId"] == owner.id

    await owner_socket.emit(
        "upload-media",
        {
            "ticketId": ticket_id,
            "fileName": "a.png",
            "fileType": "image/png",
            "fileSize": 72,
            "fileData": f"data:image/png;base64,{PNG}",
        },
    )
    success = await owner_socket.one("media-upload-success")
    assert success["fileName"] == "a.png"
    assert success["fileSize"] == 72
    media_message = await admin_socket.one("new-ticket-message")
    assert media_message["media"]["type"] == "image"
    assert media_message["media"]["data"].startswith("http")

    await admin_socket.emit("get-ticket-info", {"ticketId": ticket_id})
    info = await admin_socket.one("ticket-info")
    assert info["totalUsers"] == 2
    await owner_socket.emit("get-ticket-info", {"ticketId": ticket_id})

    await admin_socket.emit("leave-ticket-chat", {"ticketId": ticket_id})
    left = await owner_socket.one("user-left-ticket")
    assert left["userId"] == str(admin.id)
    await owner_socket.barrier()
    assert not owner_socket.received("ticket-info")


async def test_strangers_cannot_join_or_send(live: LiveServer, peer_factory: PeerFactory) -> None:
    owner = await make_user(role=Role.LANDLORD)
    stranger = await make_user(role=Role.LANDLORD)
    ticket_id = await insert_ticket(live, owner.id)
    stranger_socket = await peer_factory("stranger", token=token_for(live.ctx, stranger))
    anonymous = await peer_factory("anonymous")
    for peer in (stranger_socket, anonymous):
        await peer.emit("join-ticket-chat", {"ticketId": ticket_id, "userRole": "superadmin"})
        assert await peer.one("chat-error") == {
            "message": "Not authorized to join this ticket chat"
        }
        await peer.emit("send-ticket-message", {"ticketId": ticket_id, "message": "spam"})
        assert await peer.one("chat-error") == {
            "message": "Not authorized to send message in this ticket"
        }
        await peer.emit("join-room", f"ticket-{ticket_id}")
        await peer.emit("upload-media", {"ticketId": ticket_id, "fileType": "image/png"})
        assert await peer.one("chat-error") == {
            "message": "Not authorized to upload media in this ticket"
        }
    await stranger_socket.emit("join-ticket-chat", {"ticketId": "not-an-id"})
    assert await stranger_socket.one("chat-error") == {
        "message": "Not authorized to join this ticket chat"
    }
