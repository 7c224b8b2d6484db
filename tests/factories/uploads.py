"""Share-code uploads, staged-session payloads and small media data URLs."""

from __future__ import annotations

import base64
import itertools
from typing import Any

from app.models.upload import Upload

_counter = itertools.count(1000)

# A 1x1 PNG and a few bytes standing in for a video: storage never parses them.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
WEBM_BYTES = b"\x1a\x45\xdf\xa3" + b"fake-webm-payload" * 8


def data_url(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode()}"


def png_data_url() -> str:
    return data_url("image/png", PNG_BYTES)


def webm_data_url() -> str:
    # The recording header shape browsers produce: a comma inside the MIME part.
    return f"data:video/webm;codecs=vp9,opus;base64,{base64.b64encode(WEBM_BYTES).decode()}"


def next_code() -> str:
    return str(next(_counter))


def resident_details(**overrides: Any) -> dict[str, Any]:
    """The body the resident page sends to ``POST /upload/session``."""
    body: dict[str, Any] = {
        "first_name": "Rita",
        "last_name": "Resident",
        "house_name_number": "12",
        "flat_apartment_room": "Flat 3",
        "street_road": "High Street",
        "city": "Leeds",
        "country": "United Kingdom",
        "postCode": "REF-77",
        "actualPostCode": "LS11AA",
        "phoneNumber": "07700900123",
        "email": "rita@example.test",
        "accessCode": next_code(),
        "totalImages": 1,
        "totalVideos": 1,
    }
    body.update(overrides)
    return body


async def make_upload(
    *, email: str = "rita@example.test", accessCode: str | None = None, **fields: Any
) -> Upload:
    values: dict[str, Any] = {
        "first_name": "Rita",
        "last_name": "Resident",
        "house_name_number": "12",
        "flat_apartment_room": "Flat 3",
        "actualPostCode": "LS11AA",
        "postCode": "REF-77",
        "email": email,
        "accessCode": accessCode or next_code(),
    }
    values.update(fields)
    upload = Upload(**values)
    await upload.insert()
    return upload
