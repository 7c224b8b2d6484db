"""Helpers shared by the resilience suites: database snapshots and envelope checks."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from app.services.context import AppContext

# Bookkeeping that legitimately changes on every request (rate-limit counters,
# job leases); everything else must be byte-for-byte unchanged after a refused call.
VOLATILE_COLLECTIONS = frozenset({"ratelimits", "joblocks"})


async def snapshot(ctx: AppContext) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection, ordered by ``_id``."""
    database = ctx.db.db
    names = sorted(set(await database.list_collection_names()) - VOLATILE_COLLECTIONS)
    state: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        state[name] = [doc async for doc in database[name].find({}).sort("_id", 1)]
    return state


def assert_envelope(body: Any, *, status: int) -> None:
    """An error body in the frontend's envelope: ``success`` false and a ``message`` key."""
    assert isinstance(body, dict), f"{status}: not a JSON object: {body!r}"
    assert body.get("success") is False, f"{status}: {body!r}"
    assert "message" in body, f"{status}: {body!r}"


def s3_keys(s3: Any, bucket: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def multipart_uploads(s3: Any, bucket: str) -> list[str]:
    listing = s3.list_multipart_uploads(Bucket=bucket)
    return [item["Key"] for item in listing.get("Uploads", [])]


class EventLog(logging.Handler):
    """Collects structlog event dicts that reach the root logger.

    ``configure_logging`` (called by every ``create_app``) replaces the root
    handlers, pytest's ``caplog`` included, so tests attach this one after the
    app exists.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, dict):
            self.events.append(dict(record.msg))

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("event") == name]


@contextlib.contextmanager
def log_events() -> Iterator[EventLog]:
    handler = EventLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
