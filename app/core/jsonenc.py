"""JSON the way the original's clients read it, for HTTP responses and socket pushes alike.

ObjectIds become 24-hex strings; datetimes become ISO-8601 with milliseconds
and ``Z`` (what JavaScript's ``toISOString`` writes); naive datetimes from
MongoDB are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
from bson import ObjectId
from pydantic import BaseModel

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def iso_from_epoch(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))


def _default(value: Any) -> Any:
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(content: Any) -> bytes:
    return orjson.dumps(content, default=_default, option=_OPTIONS)


def json_safe(data: Any) -> Any:
    """Plain JSON types only (for encoders that know nothing of ObjectIds or dates)."""
    return orjson.loads(dumps(data))
