"""Online users and the superadmin feed, identity taken from the JWT only."""

from __future__ import annotations

from app.models.user import Role
from tests.conftest import LiveServer
from tests.factories.users import make_user, token_for
from tests.sockets.conftest import PeerFactory

USER_KEYS = {
    "userId",
    "email",
    "role",
    "company",
    "connectedAt",
    "lastActivity",
    "onlineDuration",
}


async def test_superadmin_feed_follows_sign_in_and_disconnect(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    boss = await make_user(role=Role.SUPERADMIN, email="boss@example.test")
    landlord = await make_user(role=Role.LANDLORD, email="ll@example.test", company="Acme")
    admin_socket = await peer_factory("superadmin", token=token_for(live.ctx, boss))
    await admin_socket.emit("user-authenticated", {"userId": "x", "role": "superadmin"})
    snapshot = await admin_socket.one("online-users-update")
    assert snapshot["totalOnline"] == 1
    assert snapshot["users"][0].keys() == USER_KEYS
    assert snapshot["users"][0]["email"] == "boss@example.test"
    assert snapshot["timestamp"].endswith("Z")

    landlord_socket = await peer_factory("landlord", token=token_for(live.ctx, landlord))
    # The payload's claims are ignored: identity comes from the token.
    await landlord_socket.emit(
        "user-authenticated", {"userId": "forged", "email": "x@y", "role": "superadmin"}
    )
    came = await admin_socket.one("user-came-online")
    assert came["userId"] == str(landlord.id)
    assert came["email"] == "ll@example.test"
    assert came["role"] == "landlord"
    assert came["company"] == "Acme"
    assert came["connectedAt"].endswith("Z")

    await landlord_socket.emit("get-online-users", {"role": "superadmin"})
    await landlord_socket.barrier()
    assert not landlord_socket.received("online-users-update")
    assert not landlord_socket.received("user-came-online")

    await admin_socket.emit("get-online-users", {"role": "superadmin"})
    listed = await admin_socket.one("online-users-update")
    assert sorted(u["email"] for u in listed["users"]) == ["boss@example.test", "ll@example.test"]

    await landlord_socket.emit("user-activity", str(landlord.id))
    await landlord_socket.close()
    gone = await admin_socket.one("user-went-offline")
    assert gone["userId"] == str(landlord.id)
    assert gone["disconnectedAt"].endswith("Z")


async def test_anonymous_socket_cannot_enter_presence(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    boss = await make_user(role=Role.SUPERADMIN)
    admin_socket = await peer_factory("superadmin", token=token_for(live.ctx, boss))
    await admin_socket.emit("user-authenticated", {})
    await admin_socket.one("online-users-update")
    anonymous = await peer_factory("anonymous")
    await anonymous.emit("user-authenticated", {"userId": "1", "role": "superadmin"})
    await anonymous.emit("get-online-users", {"role": "superadmin"})
    await anonymous.emit("join-room", "superadmin-room")
    await anonymous.barrier()
    assert not anonymous.received("online-users-update")
    snapshot = await live.ctx.presence.online_snapshot(0)
    assert [u["email"] for u in snapshot["users"]] == [boss.email]


async def test_second_tab_keeps_the_user_online(
    live: LiveServer, peer_factory: PeerFactory
) -> None:
    boss = await make_user(role=Role.SUPERADMIN)
    user = await make_user(role=Role.LANDLORD)
    admin_socket = await peer_factory("superadmin", token=token_for(live.ctx, boss))
    await admin_socket.emit("user-authenticated", {})
    await admin_socket.one("online-users-update")
    tabs = [await peer_factory(f"tab{n}", token=token_for(live.ctx, user)) for n in range(2)]
    for tab in tabs:
        await tab.emit("user-authenticated", {})
        await admin_socket.one("user-came-online")

    await tabs[0].close()
    refreshed = await admin_socket.one("online-users-update")
    assert [u["userId"] for u in refreshed["users"]].count(str(user.id)) == 1
    assert refreshed["totalOnline"] == 2
    assert not admin_socket.received("user-went-offline")
    await tabs[1].close()
    assert (await admin_socket.one("user-went-offline"))["userId"] == str(user.id)
