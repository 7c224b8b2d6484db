"""Validation of what clients send over Socket.IO.

Every handler parses its arguments here first. Anything malformed or oversize
is dropped with a logged warning (never echoed, never half-applied); the
frontend gets no error for signaling events, exactly like the original, which
never acknowledged them. Relayed payloads are rebuilt from the validated
fields only, so a peer never receives keys the server did not check.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from app.core.logging import get_logger

log = get_logger(__name__)

KIB = 1024
MAX_SDP_BYTES = 64 * KIB
MAX_CANDIDATE_BYTES = 4 * KIB
MAX_OPAQUE_BYTES = 256 * KIB
MAX_CHAT_MESSAGE_CHARS = 5_000

# The call token is the UUID that GET /send-token issues. Accepting only that
# shape keeps clients out of every server-named room (admin-…, notifications-…,
# ticket-…, user-…, superadmin-room) and out of other sockets' private sid rooms.
_CALL_TOKEN_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_OBJECT_ID_RE = re.compile(r"^[0-9a-fA-F]{24}$")
MAX_EMAIL_CHARS = 254

Model = TypeVar("Model", bound=BaseModel)


def drop(event: str, sid: str, reason: str) -> None:
    log.warning("socket.payload_dropped", socket_event=event, sid=sid, reason=reason)


def call_token(value: Any) -> str | None:
    if isinstance(value, str) and _CALL_TOKEN_RE.match(value):
        return value
    return None


def object_id(value: Any) -> str | None:
    if isinstance(value, str) and _OBJECT_ID_RE.match(value):
        return value.lower()
    return None


def email(value: Any) -> str | None:
    if isinstance(value, str) and 3 <= len(value) <= MAX_EMAIL_CHARS and "@" in value:
        return value.strip().lower()
    return None


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def parse(model: type[Model], value: Any, *, max_bytes: int) -> Model | None:
    """Validate ``value`` against ``model`` after a size check on its JSON form."""
    if not isinstance(value, dict):
        return None
    try:
        if json_size(value) > max_bytes:
            return None
        return model.model_validate(value)
    except (ValidationError, TypeError, ValueError):
        return None


def opaque(value: Any, *, max_bytes: int = MAX_OPAQUE_BYTES) -> dict[str, Any] | None:
    """A JSON object the server forwards without interpreting (meeting data, settings)."""
    if not isinstance(value, dict):
        return None
    try:
        return value if json_size(value) <= max_bytes else None
    except (TypeError, ValueError):
        return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class SessionDescription(_Strict):
    """RTCSessionDescriptionInit as JSON (offer / answer)."""

    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: str = Field(default="", max_length=MAX_SDP_BYTES)


class IceCandidate(_Strict):
    """RTCIceCandidateInit as JSON; ``candidate`` is empty for end-of-candidates."""

    candidate: str | None = Field(default=None, max_length=2 * KIB)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=1024)
    usernameFragment: str | None = Field(default=None, max_length=256)


class MouseEvent(_Strict):
    type: Literal["mousedown", "mousemove", "mouseup", "mouseleave", "click"]
    x: float | int | None = None
    y: float | int | None = None
    timestamp: float | int | None = None


class CameraZoom(_Strict):
    direction: Literal["in", "out"]
    timestamp: float | int | None = None


class CameraTorch(_Strict):
    enabled: StrictBool
    timestamp: float | int | None = None


class CameraRoom(BaseModel):
    model_config = ConfigDict(extra="ignore")

    roomId: str = Field(max_length=64)
    isAdmin: bool = False


class TicketRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ticketId: str = Field(max_length=24)


class JoinTicket(TicketRef):
    ticketInfo: dict[str, Any] | None = None


class TicketMessage(TicketRef):
    message: str = Field(default="", max_length=MAX_CHAT_MESSAGE_CHARS)
    media: dict[str, Any] | None = None


class MediaUpload(TicketRef):
    fileName: str | None = Field(default=None, max_length=255)
    fileType: str | None = Field(default=None, max_length=127)
    fileSize: int | float | None = None
    fileData: str | None = None


def session_description(value: Any) -> dict[str, Any] | None:
    parsed = parse(SessionDescription, value, max_bytes=MAX_SDP_BYTES + KIB)
    return parsed.model_dump() if parsed else None


def ice_candidate(value: Any) -> dict[str, Any] | None:
    parsed = parse(IceCandidate, value, max_bytes=MAX_CANDIDATE_BYTES)
    return parsed.model_dump() if parsed else None


def mouse_event(value: Any) -> dict[str, Any] | None:
    parsed = parse(MouseEvent, value, max_bytes=KIB)
    return parsed.model_dump(exclude_none=True) if parsed else None


def camera_zoom(value: Any) -> dict[str, Any] | None:
    parsed = parse(CameraZoom, value, max_bytes=KIB)
    return parsed.model_dump(exclude_none=True) if parsed else None


def camera_torch(value: Any) -> dict[str, Any] | None:
    parsed = parse(CameraTorch, value, max_bytes=KIB)
    return parsed.model_dump(exclude_none=True) if parsed else None
