"""Notification rooms and the pushes HTTP actions cause, through real sockets."""

from __future__ import annotations

import httpx

from app.models.meeting import Meeting
from app.models.upload import Upload
from app.models.user import Role
from tests.conftest import LiveServer
from tests.factories.users import make_user, token_for
from tests.sockets.conftest import PeerFactory
from tests.sockets.peers import call_token

VIEWED = "Your shared information has been viewed successfully!"


async def test_owner_receives_new_notification_after_mark_sent(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    owner = await make_user(role=Role.LANDLORD, email="owner@example.test")
    upload = Upload(accessCode="QX7P2L", email="Owner@Example.test")
    await upload.insert()
    dashboard = await peer_factory("dashboard", token=token_for(live.ctx, owner))
    await dashboard.emit("join-notification-room", "owner@example.test")
    await dashboard.barrier()

    async with httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post("/api/v1/uploads/notification/mark-sent/QX7P2L")
        assert response.status_code == 200
        second = await http.post("/api/v1/uploads/notification/mark-sent/QX7P2L")
        assert second.status_code == 200

    note = await dashboard.one("new-notification")
    assert set(note) == {"_id", "accessCode", "firstAccessedAt", "message"}
    assert note["_id"] == str(upload.id)
    assert note["accessCode"] == "QX7P2L"
    assert note["message"] == VIEWED
    assert note["firstAccessedAt"].endswith("Z")
    await dashboard.barrier()
    assert dashboard.pending("new-notification") == 0  # first time only

    await dashboard.emit("leave-notification-room", "owner@example.test")
    await dashboard.barrier()
    await live.ctx.notifier.new_notification("owner@example.test", {"accessCode": "AFTER"})
    await dashboard.barrier()
    assert dashboard.pending("new-notification") == 0


async def test_notification_room_of_someone_else_cannot_be_joined(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    victim = await make_user(email="victim@example.test")
    thief_user = await make_user(email="thief@example.test")
    thief = await peer_factory("thief", token=token_for(live.ctx, thief_user))
    anonymous = await peer_factory("anonymous")
    for peer in (thief, anonymous):
        await peer.emit("join-notification-room", victim.email)
        await peer.emit("join-notification-room", "VICTIM@example.test")
        await peer.emit("join-room", f"notifications-{victim.email}")
        await peer.barrier()
    await thief.emit("join-notification-room", thief_user.email)
    await thief.barrier()

    await live.ctx.notifier.new_notification(victim.email, {"accessCode": "SECRET"})
    await live.ctx.notifier.new_notification(thief_user.email, {"accessCode": "OWN"})
    # The thief's own notification was emitted later and arrives first.
    assert await thief.one("new-notification") == {"accessCode": "OWN"}
    await anonymous.barrier()
    assert not anonymous.received("new-notification")


async def test_meeting_update_over_http_reaches_the_call_room(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    landlord = await make_user(role=Role.LANDLORD)
    token = call_token()
    meeting = Meeting(meeting_id=token, name="Flat 4", owner=landlord.id, userId=landlord.id)
    await meeting.insert()
    resident = await peer_factory("resident")
    waiting = await peer_factory("waiting")
    await resident.join(token)
    await waiting.emit("admin-waiting", token)
    await waiting.barrier()

    cookies = {"token": token_for(live.ctx, landlord)}
    async with httpx.AsyncClient(base_url=live.url, cookies=cookies) as http:
        response = await http.put(f"/api/v1/meetings/{meeting.id}", json={"name": "Flat 5"})
    assert response.status_code == 200, response.text

    available = await resident.one("meeting-data-available")
    assert available["meeting_id"] == token
    updated = await waiting.one("meeting-data-updated")
    assert updated["meeting_id"] == token
