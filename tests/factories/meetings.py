"""Meetings and the data URLs the frontend sends."""

from __future__ import annotations

import base64
import itertools
import os
import uuid
from typing import Any

from app.models.meeting import Meeting, Recording, Screenshot
from app.models.user import User
from app.services.context import AppContext
from app.services.media import media_key

_counter = itertools.count(1)

PNG_HEADER = b"\x89PNG\r\n\x1a\n"
WEBM_HEADER = b"\x1aE\xdf\xa3"


def data_url(mime_header: str, payload: bytes) -> str:
    return f"data:{mime_header};base64,{base64.b64encode(payload).decode()}"


def png_data_url(size: int = 256) -> str:
    return data_url("image/png", PNG_HEADER + os.urandom(max(0, size - len(PNG_HEADER))))


def webm_data_url(size: int = 1024, *, codecs: bool = True) -> str:
    header = "video/webm;codecs=vp8,opus" if codecs else "video/webm"
    return data_url(header, WEBM_HEADER + os.urandom(max(0, size - len(WEBM_HEADER))))


def new_meeting_id() -> str:
    return str(uuid.uuid4())


async def make_meeting(owner: User | None, **fields: Any) -> Meeting:
    number = next(_counter)
    values: dict[str, Any] = {
        "meeting_id": new_meeting_id(),
        "name": f"Resident {number}",
        "first_name": "Jane",
        "last_name": f"Doe{number}",
        "reference": f"REF-{number}",
        "post_code": "SW1A 1AA",
    }
    if owner is not None:
        values.update(owner=owner.id, userId=owner.id, created_by=owner.id)
    values.update(fields)
    meeting = Meeting(**values)
    await meeting.insert()
    return meeting


async def stored_recording(
    ctx: AppContext, meeting_id: str, owner: User, size: int = 64
) -> Recording:
    """A recording whose object really exists in storage."""
    key = media_key("videodesk_recordings", meeting_id, str(owner.id), index=0, ext="webm")
    stored = await ctx.storage.put_bytes(key, WEBM_HEADER + os.urandom(size), "video/webm")
    return Recording(url=stored.url, cloudinary_id=key, size=stored.size, content_type="video/webm")


async def stored_screenshot(
    ctx: AppContext, meeting_id: str, owner: User, size: int = 64
) -> Screenshot:
    key = media_key("videodesk_screenshots", meeting_id, str(owner.id), index=0, ext="png")
    stored = await ctx.storage.put_bytes(key, PNG_HEADER + os.urandom(size), "image/png")
    return Screenshot(url=stored.url, cloudinary_id=key, size=stored.size, content_type="image/png")
