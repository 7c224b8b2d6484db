"""Shared pieces of the Beanie documents.

Collections and field names are the original's (Mongoose) so data written by
the Express backend stays readable: ``extra="allow"`` keeps unknown keys such as
``__v`` on a round trip, ``createdAt``/``updatedAt`` are maintained on writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from beanie import (
    Document,
    Insert,
    PydanticObjectId,
    Replace,
    Save,
    SaveChanges,
    Update,
    before_event,
)
from pydantic import BaseModel, ConfigDict, Field


def as_utc(value: datetime) -> datetime:
    """MongoDB hands back naive UTC datetimes (the client runs with
    ``tz_aware=False``); make them comparable with ``utcnow()``."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def utcnow() -> datetime:
    """Now in UTC, truncated to milliseconds like MongoDB stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class SubDocument(BaseModel):
    """An array item that, like a Mongoose sub-document, carries its own ``_id``."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: PydanticObjectId = Field(default_factory=PydanticObjectId, alias="_id")


class TimestampedDocument(Document):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    createdAt: datetime = Field(default_factory=utcnow)
    updatedAt: datetime = Field(default_factory=utcnow)

    @before_event(Insert)
    def _stamp_insert(self) -> None:
        now = utcnow()
        self.createdAt = self.createdAt or now
        self.updatedAt = now

    @before_event(Replace, Save, SaveChanges, Update)
    def _stamp_update(self) -> None:
        self.updatedAt = utcnow()


def dump(model: BaseModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """Serialise a document with Mongo field names (``_id``), leaving ObjectIds and
    datetimes for the JSON renderer (24-hex strings, ISO-8601 with ms and ``Z``)."""
    return model.model_dump(by_alias=True, exclude=exclude, mode="python")
