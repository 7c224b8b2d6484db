"""JSON rendering with the original's conventions.

ObjectIds become 24-hex strings and datetimes ISO-8601 with milliseconds and
``Z`` (naive datetimes from MongoDB are UTC). Handlers return these responses
directly, so FastAPI's generic encoder never re-walks large documents.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from app.core.jsonenc import dumps, iso

__all__ = ["AppJSONResponse", "dumps", "iso", "ok", "swapped"]


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
