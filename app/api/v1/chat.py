"""Chat history routes (core-api.md §8).

Every answer of these routes, errors included, uses the original's *swapped*
envelope ``{success, message: <payload|null>, data: <text>}``: the chatbot UI
reads ``response.message.chatSessions`` / ``response.message.chatSession``.
Only the sign-in check keeps the standard ``{success:false, message}`` 401, as
the original's auth middleware ran before the controller.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, ClassVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.deps import Ctx, CurrentUser
from app.api.errors import validation_message
from app.api.responses import AppJSONResponse, swapped
from app.core.errors import AppError, TooManyRequests, Unauthorized, status_of
from app.core.logging import get_logger
from app.services import chat as chat_service
from app.services.chat import ChatMessageIn

log = get_logger(__name__)


class SwappedErrorRoute(APIRoute):
    """Renders a route's errors in the swapped envelope (``message: null``).

    Also used by ``POST /request-demo`` (invites), whose controller in the
    original answered the same way. ``failure_texts`` maps an endpoint name
    to the original's text for unexpected (500) failures.
    """

    failure_texts: ClassVar[dict[str, str]] = {
        "list_chat_sessions": "Failed to fetch chat sessions",
        "save_chat_session": "Failed to save chat session",
        "get_chat_session": "Failed to fetch chat session",
        "delete_chat_session": "Failed to delete chat session",
        "update_chat_session_title": "Failed to update chat session title",
        "update_message_feedback": "Failed to update message feedback",
    }

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        failure_text = self.failure_texts.get(self.name, "Internal Server Error")

        async def swapped_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except (Unauthorized, TooManyRequests, ConnectionFailure):
                raise
            except AppError as exc:
                return swapped(status_of(exc), False, None, exc.message)
            except RequestValidationError as exc:
                return swapped(400, False, None, validation_message(exc))
            except StarletteHTTPException as exc:
                # FastAPI's own 400 for a body it cannot decode (e.g. not UTF-8).
                text = exc.detail if isinstance(exc.detail, str) else "Invalid request"
                return swapped(exc.status_code, False, None, text)
            except Exception:
                log.exception("api.unexpected_error", route=self.name)
                return swapped(500, False, None, failure_text)

        return swapped_errors


router = APIRouter(route_class=SwappedErrorRoute)
# Routes the frontend calls at the server root, outside /api/v1.
root_router = APIRouter()


class SaveChatSessionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sessionId: str | None = None
    title: str | None = None
    preview: str | None = None
    messages: list[ChatMessageIn] | None = None


class TitleBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = None


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Checked by the service so that null and unknown values get the spec's text.
    feedback: Any = None


@router.get("/chat/sessions")
async def list_chat_sessions(user: CurrentUser) -> AppJSONResponse:
    sessions = await chat_service.list_sessions(user.id)  # type: ignore[arg-type]
    return swapped(
        200,
        True,
        {"chatSessions": [session.as_dict() for session in sessions]},
        "Chat sessions retrieved successfully",
    )


@router.post("/chat/sessions")
async def save_chat_session(
    ctx: Ctx, user: CurrentUser, body: SaveChatSessionBody
) -> AppJSONResponse:
    chat = await chat_service.save_session(
        ctx.settings,
        user.id,  # type: ignore[arg-type]
        session_id=body.sessionId,
        title=body.title,
        preview=body.preview,
        messages=body.messages,
    )
    return swapped(
        200,
        True,
        {"chatSession": chat_service.full_document(chat)},
        "Chat session saved successfully",
    )


@router.get("/chat/sessions/{sessionId}")
async def get_chat_session(user: CurrentUser, sessionId: str) -> AppJSONResponse:
    chat = await chat_service.get_session(user.id, sessionId)  # type: ignore[arg-type]
    return swapped(
        200,
        True,
        {"chatSession": chat_service.session_view(chat)},
        "Chat session retrieved successfully",
    )


@router.delete("/chat/sessions/{sessionId}")
async def delete_chat_session(user: CurrentUser, sessionId: str) -> AppJSONResponse:
    await chat_service.delete_session(user.id, sessionId)  # type: ignore[arg-type]
    return swapped(200, True, None, "Chat session deleted successfully")


@router.put("/chat/sessions/{sessionId}/title")
async def update_chat_session_title(
    ctx: Ctx, user: CurrentUser, sessionId: str, body: TitleBody | None = None
) -> AppJSONResponse:
    chat = await chat_service.update_title(
        ctx.settings,
        user.id,  # type: ignore[arg-type]
        sessionId,
        body.title if body else None,
    )
    return swapped(
        200,
        True,
        {"chatSession": chat_service.full_document(chat)},
        "Chat session title updated successfully",
    )


@router.put("/chat/sessions/{sessionId}/messages/{messageId}/feedback")
async def update_message_feedback(
    user: CurrentUser, sessionId: str, messageId: str, body: FeedbackBody | None = None
) -> AppJSONResponse:
    message = await chat_service.set_message_feedback(
        user.id,  # type: ignore[arg-type]
        sessionId,
        messageId,
        body.feedback if body else None,
    )
    return swapped(
        200,
        True,
        {"message": message.model_dump(by_alias=True)},
        "Message feedback updated successfully",
    )
