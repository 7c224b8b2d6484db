"""Call rooms and WebRTC relays over a real uvicorn server and real Socket.IO clients."""

from __future__ import annotations

import time

import pytest
import socketio

from app.models.user import Role
from tests.conftest import LiveServer
from tests.factories.users import make_user, token_for
from tests.sockets.conftest import PeerFactory
from tests.sockets.peers import call_token

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}
ANSWER = {"type": "answer", "sdp": "v=0\r\no=- 7788 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}
CANDIDATE = {
    "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "EsEg",
}


async def test_two_peers_exchange_offer_answer_and_ice(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    landlord_user = await make_user(role=Role.LANDLORD)
    landlord = await peer_factory("landlord", token=token_for(live.ctx, landlord_user))
    resident = await peer_factory("resident")  # anonymous, like the real resident
    outsider = await peer_factory("outsider")
    room, other_room = call_token(), call_token()

    await landlord.join(room)
    await resident.join(room)
    await outsider.join(other_room)

    await landlord.emit("offer", OFFER, room)
    assert await resident.one("offer") == OFFER
    await resident.emit("answer", ANSWER, room)
    assert await landlord.one("answer") == ANSWER
    await landlord.emit("ice-candidate", CANDIDATE, room)
    assert await resident.one("ice-candidate") == CANDIDATE
    await resident.emit("ice-candidate", {**CANDIDATE, "sdpMid": "1"}, room)
    assert (await landlord.one("ice-candidate"))["sdpMid"] == "1"

    await landlord.emit("user-disconnected", room)
    assert await resident.next("user-disconnected") == ()

    # Never back to the sender, nothing to another room.
    await landlord.barrier()
    await outsider.barrier()
    for event in ("offer", "answer", "ice-candidate", "user-disconnected"):
        assert not outsider.received(event)
    assert not landlord.received("offer")
    assert not resident.received("answer")


async def test_relay_into_a_room_the_sender_has_not_joined_is_refused(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    victim_room, shared_room = call_token(), call_token()
    intruder = await peer_factory("intruder")
    victim = await peer_factory("victim")
    await victim.join(victim_room)
    await victim.join(shared_room)
    await intruder.join(shared_room)

    await intruder.emit("offer", {**OFFER, "sdp": "injected"}, victim_room)
    await intruder.emit("ice-candidate", CANDIDATE, victim_room)
    await intruder.emit("user-disconnected", victim_room)
    # A legitimate relay sent afterwards arrives first: the ones before were dropped.
    await intruder.emit("offer", OFFER, shared_room)
    assert await victim.one("offer") == OFFER
    await victim.barrier()
    assert victim.pending("offer") == 0
    assert not victim.received("ice-candidate")
    assert not victim.received("user-disconnected")


@pytest.mark.parametrize(
    "room",
    [
        "superadmin-room",
        "notifications-someone@example.test",
        "admin-3f1c1b5e-8a53-4a43-9f0f-0a1d3c2b4e5f",
        "ticket-65a1b2c3d4e5f6a7b8c9d0e1",
        "",
        "x" * 5000,
    ],
)
async def test_join_room_accepts_only_call_tokens(
    live: LiveServer, peer_factory: PeerFactory, room: str
) -> None:
    peer = await peer_factory()
    await peer.emit("join-room", room)
    error = await peer.one("room-join-error")
    assert error == {"message": "Invalid room id"}
    assert not peer.received("joined-room")


async def test_join_room_refuses_another_sockets_private_room(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    victim = await peer_factory("victim")
    spy = await peer_factory("spy")
    await spy.emit("join-room", victim.sid)
    assert await spy.one("room-join-error") == {"message": "Invalid room id"}


async def test_invalid_and_oversize_payloads_are_dropped(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    room = call_token()
    sender = await peer_factory("sender")
    receiver = await peer_factory("receiver")
    await sender.join(room)
    await receiver.join(room)

    await sender.emit("offer", {"type": "offer", "sdp": "x" * (65 * 1024)}, room)
    await sender.emit("offer", {"type": "bogus", "sdp": "v=0"}, room)
    await sender.emit("offer", "not an object", room)
    await sender.emit("ice-candidate", {"candidate": 42}, room)
    await sender.emit("offer", OFFER)  # room id missing
    await sender.emit("answer", {**ANSWER, "extra": "stripped"}, room)
    assert await receiver.one("answer") == ANSWER
    await receiver.barrier()
    assert not receiver.received("offer")
    assert not receiver.received("ice-candidate")


async def test_call_room_is_capped(live: LiveServer, peer_factory: PeerFactory) -> None:
    room = call_token()
    for number in range(4):
        await (await peer_factory(f"p{number}")).join(room)
    late = await peer_factory("late")
    await late.emit("join-room", room)
    assert await late.one("room-join-error") == {"roomId": room, "message": "Room is full"}


async def test_mouse_events_follow_the_call_and_camera_needs_a_landlord(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    landlord_user = await make_user(role=Role.LANDLORD)
    room = call_token()
    landlord = await peer_factory("landlord", token=token_for(live.ctx, landlord_user))
    resident = await peer_factory("resident")
    await landlord.join(room)
    await resident.join(room)

    mouse = {"type": "mousemove", "x": 12.5, "y": 80, "timestamp": 1735689600000}
    await landlord.emit("mouse-event", mouse, room)
    assert await resident.one("mouse-event") == mouse
    await landlord.emit("mouse-event", {**mouse, "type": "mousedown"})  # no room: the call
    assert (await resident.one("mouse-event"))["type"] == "mousedown"

    # The anonymous resident cannot drive the landlord's camera; the landlord can.
    await resident.emit("camera-zoom", {"direction": "in", "timestamp": 1})
    await landlord.emit("camera-zoom", {"direction": "out", "timestamp": 2})
    await landlord.emit("camera-torch", {"enabled": True, "timestamp": 3})
    assert await resident.one("camera-zoom") == {"direction": "out", "timestamp": 2}
    assert await resident.one("camera-torch") == {"enabled": True, "timestamp": 3}
    await landlord.barrier()
    assert not landlord.received("camera-zoom")

    await landlord.emit("camera-ready", {"roomId": room})
    ready = await resident.one("camera-ready")
    assert ready["userId"] == landlord.sid
    assert ready["roomId"] == room
    assert isinstance(ready["timestamp"], int)


async def test_video_link_handshake_reaches_every_waiting_tab(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    token = call_token()
    first_tab = await peer_factory("tab1")
    second_tab = await peer_factory("tab2")
    resident_page = await peer_factory("resident-page")
    await first_tab.emit("admin-waiting", token)
    await second_tab.emit("admin-waiting", token)
    await first_tab.barrier()
    await second_tab.barrier()

    await resident_page.emit("user-opened-link", token)
    assert await first_tab.one("user-joined-room") == token
    assert await second_tab.one("user-joined-room") == token
    await resident_page.emit("user-started-session", token)
    assert await first_tab.one("user-started-session") == token

    # An unrelated token tells nobody.
    await resident_page.emit("user-opened-link", call_token())
    await first_tab.barrier()
    assert first_tab.pending("user-joined-room") == 0


async def test_meeting_data_from_a_call_member_reaches_the_waiting_landlord(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    token = call_token()
    waiting = await peer_factory("waiting")
    member = await peer_factory("member")
    stranger = await peer_factory("stranger")
    await waiting.emit("admin-waiting", token)
    await member.join(token)

    await stranger.emit("meeting-data-available", token, {"forged": True})
    await member.emit("meeting-data-available", token, {"name": "Flat 2"})
    assert await waiting.one("meeting-data-updated") == {"name": "Flat 2"}
    await member.emit("message-settings-updated", token, {"messageOption": "default"})
    assert await waiting.one("message-settings-updated") == {"messageOption": "default"}
    await waiting.barrier()
    assert waiting.pending("meeting-data-updated") == 0


async def test_disconnect_tells_the_call_peer(live: LiveServer, peer_factory: PeerFactory) -> None:
    room = call_token()
    leaving = await peer_factory("leaving")
    staying = await peer_factory("staying")
    await leaving.join(room)
    await staying.join(room)
    await leaving.close()
    assert await staying.next("user-disconnected") == ()
    assert await live.ctx.presence.call_members(room, time.time()) == [staying.sid]


async def test_polling_transport_and_auth_token_work(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    user = await make_user(role=Role.LANDLORD)
    polling = await peer_factory("polling", transports=["polling"])
    assert polling.client.transport() == "polling"
    await polling.barrier()
    via_auth = await peer_factory("auth", auth_token=token_for(live.ctx, user))
    await via_auth.emit("join-notification-room", user.email)
    await via_auth.barrier()
    await live.ctx.notifier.new_notification(user.email, {"accessCode": "ABC123"})
    assert await via_auth.one("new-notification") == {"accessCode": "ABC123"}
    # The aborted long-poll would otherwise hold uvicorn's graceful shutdown
    # for a whole ping interval.
    live.server.force_exit = True


async def test_foreign_origin_is_refused_on_websocket(live: LiveServer) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            live.url,
            headers={"Origin": "https://evil.example"},
            transports=["websocket"],
            wait_timeout=5,
        )
    await client.disconnect()
