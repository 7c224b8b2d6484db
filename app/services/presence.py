"""Real-time presence state shared by every worker: online users, waiting landlords,
call-room membership and ticket-chat members.

The original kept these in process-local ``Map``s (signaling.md §3), so a second
worker or host never saw them. Here every entry lives in an *expiring set*: a
named set of members (socket ids), each with a small JSON record and an expiry
time. Two back-ends implement it behind one interface:

- :class:`RedisSets` when ``REDIS_URL`` is set: one hash (member → record) and one
  sorted set (member → expiry, epoch seconds) per set, so every process reads the
  same picture;
- :class:`MemorySets` otherwise (exactly one process serves sockets).

With Redis, :class:`FallbackSets` keeps a local copy of this process's entries
and serves it while Redis is unreachable (Redis-down policy in the README).

A process only writes entries for sockets it holds, remembers them, and
:meth:`PresenceService.heartbeat` pushes their expiry forward periodically. When a
worker dies without cleaning up, its entries simply expire (``ENTRY_TTL_SECONDS``),
so a crash never leaves ghosts in the online list or fills call rooms for good.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.core.errors import ResponseBody
from app.core.jsonenc import iso_from_epoch
from app.core.logging import get_logger

log = get_logger(__name__)

# Entries of a live socket are refreshed every HEARTBEAT_SECONDS; three missed
# beats (a dead worker) and they are gone.
HEARTBEAT_SECONDS = 30.0
ENTRY_TTL_SECONDS = 90.0
REDIS_PREFIX = "videodesk:rt:"

ONLINE = "online"
WAITING = "waiting"


def call_set(room_id: str) -> str:
    return f"call:{room_id}"


def ticket_set(ticket_id: str) -> str:
    return f"ticket:{ticket_id}"


def iso_ms(epoch_seconds: float) -> str:
    """``JSON.stringify(new Date())`` style: milliseconds and ``Z``."""
    return iso_from_epoch(epoch_seconds)


Record = dict[str, Any]
T = TypeVar("T")


class ExpiringSets(Protocol):
    async def put(self, name: str, member: str, record: Record, expires_at: float) -> None: ...

    async def pop(self, name: str, member: str) -> Record | None: ...

    async def get(self, name: str, member: str, now: float) -> Record | None: ...

    async def items(self, name: str, now: float) -> dict[str, Record]: ...

    async def extend(self, name: str, members: list[str], expires_at: float) -> None: ...


class MemorySets:
    """Single-process back-end: plain dicts, same expiry semantics as Redis."""

    def __init__(self) -> None:
        self._sets: dict[str, dict[str, tuple[float, Record]]] = {}

    async def put(self, name: str, member: str, record: Record, expires_at: float) -> None:
        self._sets.setdefault(name, {})[member] = (expires_at, dict(record))

    async def pop(self, name: str, member: str) -> Record | None:
        entries = self._sets.get(name)
        if not entries or member not in entries:
            return None
        _, record = entries.pop(member)
        if not entries:
            del self._sets[name]
        return record

    async def get(self, name: str, member: str, now: float) -> Record | None:
        entry = self._sets.get(name, {}).get(member)
        return dict(entry[1]) if entry and entry[0] > now else None

    async def items(self, name: str, now: float) -> dict[str, Record]:
        entries = self._sets.get(name, {})
        for member in [m for m, (exp, _) in entries.items() if exp <= now]:
            del entries[member]
        return {member: dict(record) for member, (_, record) in entries.items()}

    async def extend(self, name: str, members: list[str], expires_at: float) -> None:
        entries = self._sets.get(name, {})
        for member in members:
            if member in entries:
                entries[member] = (expires_at, entries[member][1])


class RedisSets:
    """Shared back-end: ``<prefix><name>`` hash of records + ``…:exp`` sorted set."""

    def __init__(self, redis: Redis, prefix: str = REDIS_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    def _keys(self, name: str) -> tuple[str, str]:
        base = self._prefix + name
        return base, base + ":exp"

    async def put(self, name: str, member: str, record: Record, expires_at: float) -> None:
        data_key, exp_key = self._keys(name)
        key_ttl = int(ENTRY_TTL_SECONDS * 2)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(data_key, member, json.dumps(record))
            pipe.zadd(exp_key, {member: expires_at})
            # The keys themselves also expire, so an abandoned set cannot linger.
            pipe.expire(data_key, key_ttl)
            pipe.expire(exp_key, key_ttl)
            await pipe.execute()

    async def pop(self, name: str, member: str) -> Record | None:
        data_key, exp_key = self._keys(name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hget(data_key, member)
            pipe.hdel(data_key, member)
            pipe.zrem(exp_key, member)
            raw, _, _ = await pipe.execute()
        return _decode(raw)

    async def get(self, name: str, member: str, now: float) -> Record | None:
        data_key, exp_key = self._keys(name)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zscore(exp_key, member)
            pipe.hget(data_key, member)
            expires_at, raw = await pipe.execute()
        if expires_at is None or float(expires_at) <= now:
            return None
        return _decode(raw)

    async def items(self, name: str, now: float) -> dict[str, Record]:
        data_key, exp_key = self._keys(name)
        expired = await self._redis.zrangebyscore(exp_key, "-inf", now)
        if expired:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hdel(data_key, *expired)
                pipe.zremrangebyscore(exp_key, "-inf", now)
                await pipe.execute()
        raw = await self._redis.hgetall(data_key)
        result: dict[str, Record] = {}
        for member, value in raw.items():
            record = _decode(value)
            if record is not None:
                result[_text(member)] = record
        return result

    async def extend(self, name: str, members: list[str], expires_at: float) -> None:
        if not members:
            return
        data_key, exp_key = self._keys(name)
        key_ttl = int(ENTRY_TTL_SECONDS * 2)
        async with self._redis.pipeline(transaction=True) as pipe:
            # xx: only members that still exist (a concurrent pop wins).
            pipe.zadd(exp_key, dict.fromkeys(members, expires_at), xx=True)
            pipe.expire(data_key, key_ttl)
            pipe.expire(exp_key, key_ttl)
            await pipe.execute()


class FallbackSets:
    """Redis first and, while Redis is unreachable, this process's own view.

    Every write also lands in a local :class:`MemorySets`, so during a Redis
    outage the process still knows the sockets it holds: signaling on a single
    worker keeps working (rooms, capacity, waiting landlords), while entries of
    other workers are invisible until Redis answers again. Reads come from
    Redis whenever it answers. The outage is logged once, as is the recovery.
    """

    def __init__(self, primary: RedisSets) -> None:
        self._primary = primary
        self._local = MemorySets()
        self._down = False

    async def _attempt(self, op: str, call: Callable[[], Awaitable[T]]) -> tuple[bool, T | None]:
        try:
            result = await call()
        except (RedisError, OSError) as exc:
            if not self._down:
                self._down = True
                log.warning("presence.redis_unavailable", op=op, error=str(exc))
            return False, None
        if self._down:
            self._down = False
            log.info("presence.redis_recovered")
        return True, result

    async def put(self, name: str, member: str, record: Record, expires_at: float) -> None:
        await self._local.put(name, member, record, expires_at)
        await self._attempt("put", lambda: self._primary.put(name, member, record, expires_at))

    async def pop(self, name: str, member: str) -> Record | None:
        local = await self._local.pop(name, member)
        reached, record = await self._attempt("pop", lambda: self._primary.pop(name, member))
        return record if reached else local

    async def get(self, name: str, member: str, now: float) -> Record | None:
        reached, record = await self._attempt("get", lambda: self._primary.get(name, member, now))
        return record if reached else await self._local.get(name, member, now)

    async def items(self, name: str, now: float) -> dict[str, Record]:
        reached, records = await self._attempt("items", lambda: self._primary.items(name, now))
        if reached and records is not None:
            return records
        return await self._local.items(name, now)

    async def extend(self, name: str, members: list[str], expires_at: float) -> None:
        await self._local.extend(name, members, expires_at)
        await self._attempt("extend", lambda: self._primary.extend(name, members, expires_at))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode(raw: bytes | str | None) -> Record | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class SocketUser:
    """The identity of an authenticated socket, derived from its JWT at connect."""

    user_id: str
    email: str
    role: str
    company: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "email": self.email,
            "role": self.role,
            "company": self.company,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SocketUser:
        return cls(
            user_id=str(data["userId"]),
            email=str(data["email"]),
            role=str(data["role"]),
            company=data.get("company"),
        )


class PresenceService:
    """Presence state over an :class:`ExpiringSets` back-end.

    Methods take ``now`` (epoch seconds) so tests inject time instead of sleeping.
    """

    def __init__(self, sets: ExpiringSets, *, shared: bool) -> None:
        self._sets = sets
        self.shared = shared
        # name → members this process wrote and must keep alive.
        self._held: dict[str, set[str]] = {}

    @classmethod
    def in_memory(cls) -> PresenceService:
        return cls(MemorySets(), shared=False)

    @classmethod
    def on_redis(cls, redis: Redis) -> PresenceService:
        return cls(FallbackSets(RedisSets(redis)), shared=True)

    # ---- bookkeeping ------------------------------------------------------------------

    async def _put(self, name: str, member: str, record: Record, now: float) -> None:
        await self._sets.put(name, member, record, now + ENTRY_TTL_SECONDS)
        self._held.setdefault(name, set()).add(member)

    async def _pop(self, name: str, member: str) -> Record | None:
        held = self._held.get(name)
        if held is not None:
            held.discard(member)
            if not held:
                del self._held[name]
        return await self._sets.pop(name, member)

    async def heartbeat(self, now: float | None = None) -> None:
        """Keep this process's entries alive (called every ``HEARTBEAT_SECONDS``)."""
        expires_at = (now or time.time()) + ENTRY_TTL_SECONDS
        for name, members in list(self._held.items()):
            await self._sets.extend(name, sorted(members), expires_at)

    # ---- online users (signaling.md §4.1) ---------------------------------------------

    async def user_online(self, sid: str, user: SocketUser, now: float) -> dict[str, Any]:
        """Record one socket of a signed-in user; returns the ``user-came-online`` body."""
        existing = await self._sets.get(ONLINE, sid, now)
        connected_at = float(existing["connectedAt"]) if existing else now
        record = {**user.as_dict(), "connectedAt": connected_at, "lastActivity": now}
        await self._put(ONLINE, sid, record, now)
        return {**user.as_dict(), "connectedAt": iso_ms(connected_at)}

    async def touch(self, sid: str, now: float) -> None:
        record = await self._sets.get(ONLINE, sid, now)
        if record is not None:
            record["lastActivity"] = now
            await self._put(ONLINE, sid, record, now)

    async def user_offline(self, sid: str) -> SocketUser | None:
        record = await self._pop(ONLINE, sid)
        return SocketUser.from_dict(record) if record else None

    async def is_user_online(self, user_id: str, now: float) -> bool:
        records = await self._sets.items(ONLINE, now)
        return any(r.get("userId") == user_id for r in records.values())

    async def online_snapshot(self, now: float) -> dict[str, Any]:
        """The ``online-users-update`` payload: one entry per socket, oldest first."""
        records = sorted(
            (await self._sets.items(ONLINE, now)).values(),
            key=lambda r: float(r.get("connectedAt", 0)),
        )
        users = [
            {
                "userId": r.get("userId"),
                "email": r.get("email"),
                "role": r.get("role"),
                "company": r.get("company"),
                "connectedAt": iso_ms(float(r["connectedAt"])),
                "lastActivity": iso_ms(float(r["lastActivity"])),
                "onlineDuration": max(0, int(now - float(r["connectedAt"]))),
            }
            for r in records
        ]
        return {"totalOnline": len(users), "users": users, "timestamp": iso_ms(now)}

    # ---- landlords waiting for the resident (signaling.md §4.2) -----------------------

    async def admin_waiting(self, token: str, sid: str, now: float) -> None:
        await self._put(WAITING, f"{token}|{sid}", {"token": token, "sid": sid, "at": now}, now)

    async def admin_stopped_waiting(self, token: str, sid: str) -> None:
        await self._pop(WAITING, f"{token}|{sid}")

    async def waiting_for(self, token: str, now: float) -> list[str]:
        records = await self._sets.items(WAITING, now)
        return [str(r["sid"]) for r in records.values() if r.get("token") == token]

    async def waiting_rooms(self, now: float) -> list[dict[str, Any]]:
        """``adminWaitingRooms`` for the socket-status route (one row per waiting socket)."""
        records = sorted((await self._sets.items(WAITING, now)).values(), key=lambda r: r["at"])
        return [
            {"token": r["token"], "adminSocketId": r["sid"], "timestamp": iso_ms(float(r["at"]))}
            for r in records
        ]

    # ---- call rooms ------------------------------------------------------------------

    async def join_call(self, room_id: str, sid: str, now: float, capacity: int) -> bool:
        """Admit ``sid`` to a call room unless it already holds ``capacity`` sockets.

        Check-then-add is not atomic across workers; two sockets racing for the
        last seat may both get in, which only loosens a soft cap.
        """
        members = await self._sets.items(call_set(room_id), now)
        if sid not in members and len(members) >= capacity:
            return False
        await self._put(call_set(room_id), sid, {"at": now}, now)
        return True

    async def leave_call(self, room_id: str, sid: str) -> None:
        await self._pop(call_set(room_id), sid)

    async def call_members(self, room_id: str, now: float) -> list[str]:
        return sorted(await self._sets.items(call_set(room_id), now))

    # ---- ticket chat (signaling.md §4.5) -----------------------------------------------

    async def join_ticket(self, ticket_id: str, sid: str, user: SocketUser, now: float) -> None:
        existing = await self._sets.get(ticket_set(ticket_id), sid, now)
        record = {
            "userId": user.user_id,
            "userEmail": user.email,
            "userRole": user.role,
            "connectedAt": existing["connectedAt"] if existing else now,
            "lastActivity": now,
        }
        await self._put(ticket_set(ticket_id), sid, record, now)

    async def touch_ticket(self, ticket_id: str, sid: str, now: float) -> None:
        record = await self._sets.get(ticket_set(ticket_id), sid, now)
        if record is not None:
            record["lastActivity"] = now
            await self._put(ticket_set(ticket_id), sid, record, now)

    async def leave_ticket(self, ticket_id: str, sid: str) -> None:
        await self._pop(ticket_set(ticket_id), sid)

    async def ticket_users(self, ticket_id: str, now: float) -> list[dict[str, Any]]:
        records = sorted(
            (await self._sets.items(ticket_set(ticket_id), now)).values(),
            key=lambda r: float(r["connectedAt"]),
        )
        return [
            {
                "userId": r["userId"],
                "userEmail": r["userEmail"],
                "userRole": r["userRole"],
                "connectedAt": iso_ms(float(r["connectedAt"])),
                "lastActivity": iso_ms(float(r["lastActivity"])),
            }
            for r in records
        ]


def build_presence(redis: Redis | None) -> PresenceService:
    return PresenceService.on_redis(redis) if redis is not None else PresenceService.in_memory()


async def online_users(presence: PresenceService, now: float | None = None) -> dict[str, Any]:
    """``GET /users/online``: the same snapshot the superadmin feed receives."""
    try:
        return await presence.online_snapshot(now or time.time())
    except RedisError as exc:
        log.error("presence.read_failed", error=str(exc))
        raise ResponseBody(
            500, {"success": False, "message": "Error fetching online users"}
        ) from exc


async def socket_status(presence: PresenceService, now: float | None = None) -> dict[str, Any]:
    """``GET /debug/socket-status``: the landlords waiting for a resident to open a link."""
    moment = now or time.time()
    try:
        waiting = await presence.waiting_rooms(moment)
    except RedisError as exc:
        log.error("presence.read_failed", error=str(exc))
        raise ResponseBody(
            500, {"success": False, "message": "Error fetching socket status"}
        ) from exc
    return {"adminWaitingRooms": waiting, "timestamp": iso_ms(moment)}
