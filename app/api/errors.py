"""The single place errors become responses: always ``{"success": false, "message"}``."""

from __future__ import annotations

from typing import Any

from bson.errors import InvalidId
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.responses import AppJSONResponse
from app.core.errors import AppError, TooManyRequests, status_of
from app.core.logging import get_logger

log = get_logger(__name__)


def envelope(status: int, message: str, **extra: Any) -> AppJSONResponse:
    return AppJSONResponse({"success": False, "message": message, **extra}, status_code=status)


def validation_message(exc: RequestValidationError) -> str:
    """A readable one-line summary of the first validation problem."""
    errors = exc.errors()
    if not errors:
        return "Invalid request"
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "Malformed JSON body"
    location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(location)
    text = str(first.get("msg", "is invalid"))
    return f"Invalid {field}: {text}" if field else f"Invalid request: {text}"


def duplicate_message(exc: DuplicateKeyError) -> str:
    details = exc.details or {}
    keys = list((details.get("keyValue") or details.get("keyPattern") or {}).keys())
    return f"Duplicate {', '.join(keys) or 'key'} Entered"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> AppJSONResponse:
        response = AppJSONResponse(exc.body(), status_code=status_of(exc))
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> AppJSONResponse:
        return envelope(400, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> AppJSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "Not found"
        return envelope(exc.status_code, message)

    @app.exception_handler(InvalidId)
    async def invalid_id(_: Request, exc: InvalidId) -> AppJSONResponse:
        return envelope(400, "Resource not found. Invalid: _id")

    @app.exception_handler(DuplicateKeyError)
    async def duplicate(_: Request, exc: DuplicateKeyError) -> AppJSONResponse:
        return envelope(400, duplicate_message(exc))

    @app.exception_handler(ServerSelectionTimeoutError)
    @app.exception_handler(ConnectionFailure)
    async def database_down(request: Request, exc: Exception) -> AppJSONResponse:
        log.error("database.unavailable", path=request.url.path, error=str(exc)[:300])
        return envelope(503, "Database temporarily unavailable. Please try again shortly.")
