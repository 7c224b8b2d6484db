"""The one error hierarchy of the service.

Services raise these; a single handler in ``app.api.errors`` renders every one
of them into the frontend's envelope ``{"success": false, "message": ...}``.
``extra`` carries the few additional keys the original put beside ``message``
(for example ``details`` on the 413 or ``timeout_duration`` on the 408).
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status_code: ClassVar[int] = 500
    default_message: ClassVar[str] = "Internal Server Error"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {"success": False, "message": self.message, **self.extra}


class BadRequest(AppError):
    status_code = 400
    default_message = "Bad request"


class Unauthorized(AppError):
    status_code = 401
    default_message = "Unauthorize user"


class Forbidden(AppError):
    status_code = 403
    default_message = "Forbidden"


class NotFound(AppError):
    status_code = 404
    default_message = "Not found"


class Conflict(AppError):
    status_code = 409
    default_message = "Conflict"


class RequestTimeout(AppError):
    status_code = 408
    default_message = "Upload timeout. Please try with smaller files or check your connection."


class PayloadTooLarge(AppError):
    status_code = 413
    default_message = "File too large. Please choose a smaller file."


class TooManyRequests(AppError):
    status_code = 429
    default_message = "Too many requests. Please wait a moment and try again."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class BadGateway(AppError):
    status_code = 502
    default_message = "An upstream service failed. Please try again."


class ServiceUnavailable(AppError):
    status_code = 503
    default_message = "Service temporarily unavailable. Please try again shortly."


class ResponseBody(AppError):
    """An error whose body is not the standard envelope (e.g. ``{error: ...}``, ``{valid: false}``).

    A few routes of the original answer with their own shapes; the frontend
    reads them, so they are kept exactly.
    """

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message") or body.get("error") or "error"))
        self._status = status_code
        self._body = body

    @property
    def status(self) -> int:
        return self._status

    def body(self) -> dict[str, Any]:
        return self._body


def status_of(error: AppError) -> int:
    return error.status if isinstance(error, ResponseBody) else error.status_code
