"""JSON rendering with the original's conventions.

ObjectIds become 24-hex strings and datetimes ISO-8601 with milliseconds and
``Z`` (naive datetimes from MongoDB are UTC). Handlers return these responses
directly, so FastAPI's generic encoder never re-walks large documents.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
from bson import ObjectId
from pydantic import BaseModel
from starlette.responses import JSONResponse

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


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


class AppJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def ok(content: dict[str, Any], status_code: int = 200) -> AppJSONResponse:
    return AppJSONResponse(content, status_code=status_code)


def swapped(status_code: int, success: bool, payload: Any, text: str | None) -> AppJSONResponse:
    """The original's "swapped" envelope: payload under ``message``, text under ``data``.

    Kept byte-for-byte where the frontend reads it (chat history): ``data`` is
    present only when the original's JavaScript truthiness would include it, so
    an empty list or object still appears (core-api.md §1.2).
    """
    body: dict[str, Any] = {"success": success, "message": payload}
    if _js_truthy(text):
        body["data"] = text
    return AppJSONResponse(body, status_code=status_code)


def _js_truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and value == 0:
        return False
    return not (isinstance(value, str) and value == "")
