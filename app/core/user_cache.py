"""A few seconds of memory for the user behind a token.

Every authenticated request resolved its user with one MongoDB read; on the
benchmark machine that read cost more than the rest of ``GET /me`` together
(bench/README.md, B1). The cache keeps the raw user document per user id for
``USER_CACHE_TTL_SECONDS`` (default 2 s; 0 turns it off).

Correctness:

* Every write to ``users`` made through this process's MongoDB client (Beanie
  or raw PyMongo, any code path) empties the cache: a PyMongo command listener
  sees the command when it starts and again when it ends, so a read that raced
  the write cannot store the old document (fills carry the generation they
  started under and are dropped if a write began meanwhile).
* Writes from other processes (other workers, other hosts, admin scripts) are
  seen after at most the TTL: a logout, a password change, freezing or
  deleting an account revokes tokens everywhere within 2 s.
* A fresh model is built from the cached document for each request, so a
  handler that changes its ``user`` never changes another request's.
"""

from __future__ import annotations

import time
from typing import Any

from pymongo import monitoring

_WRITE_COMMANDS = frozenset({"insert", "update", "delete", "findAndModify"})
USERS_COLLECTION = "users"


class UserCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self.generation = 0
        self._entries: dict[Any, tuple[float, dict[str, Any]]] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, user_id: Any) -> dict[str, Any] | None:
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        stored_at, document = entry
        if time.monotonic() - stored_at >= self.ttl:
            self._entries.pop(user_id, None)
            return None
        return document

    def put(self, user_id: Any, document: dict[str, Any], generation: int) -> None:
        """Store a document read while ``generation`` was current, unless a
        write to ``users`` started since."""
        if generation != self.generation or not self.enabled:
            return
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[user_id] = (time.monotonic(), document)

    def invalidate(self) -> None:
        self.generation += 1
        self._entries.clear()


class UserWriteListener(monitoring.CommandListener):
    """Empties the cache when a write to ``users`` starts and when it ends."""

    def __init__(self, cache: UserCache) -> None:
        self.cache = cache
        self._pending: set[int] = set()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        # bulkWrite (client-level) names its collections elsewhere: treat it as a user write.
        if name == "bulkWrite" or (
            name in _WRITE_COMMANDS and event.command.get(name) == USERS_COLLECTION
        ):
            self._pending.add(event.request_id)
            self.cache.invalidate()

    def _finished(self, request_id: int) -> None:
        if request_id in self._pending:
            self._pending.discard(request_id)
            self.cache.invalidate()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._finished(event.request_id)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._finished(event.request_id)
