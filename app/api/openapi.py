"""Response shapes for the OpenAPI document.

Routes return :class:`~app.api.responses.AppJSONResponse` directly, so FastAPI
never validates or reshapes a body; these models only describe the contract in
``/openapi.json`` (for client generators and for the schemathesis run in
``tests/resilience``). The document states what every route really answers:

* errors are ``{success: false, message, ...}`` with 400 (never FastAPI's 422,
  which the error handler turns into 400), 401, 403, 404, 408, 413, 429, 500,
  502 and 503;
* successes are an object with ``success`` (plus the route's keys), except for
  the few routes whose body the original shaped differently (``/send-token``,
  ``/validate-access-code``, the health checks, the CSV export...).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict


class ErrorEnvelope(BaseModel):
    """Every error: ``success`` is false and ``message`` says why (a few routes
    of the original put their text under ``data`` and ``message: null``)."""

    model_config = ConfigDict(extra="allow", title="ErrorEnvelope")

    success: Literal[False]
    message: Any


class SuccessEnvelope(BaseModel):
    """A successful answer: ``success`` plus the route's own keys."""

    model_config = ConfigDict(extra="allow", title="SuccessEnvelope")

    success: bool
    message: Any = None
    data: Any = None


ERROR_STATUSES: dict[int, str] = {
    400: "Invalid input",
    401: "Not signed in, or the token is invalid",
    403: "Not allowed for this user",
    404: "Not found (also someone else's object)",
    408: "Request timeout",
    413: "Body over MAX_FILE_SIZE",
    429: "Rate limit exceeded (Retry-After)",
    500: "Unexpected error",
    502: "Storage or another upstream failed",
    503: "Database or another dependency unavailable",
}

# Routes whose bodies are not the envelope (spec: core-api.md, meetings-uploads.md).
NON_ENVELOPE_PATHS = frozenset(
    {
        "/",
        "/health",
        "/ready",
        "/send-token",
        "/resend-token",
        "/api/v1/validate-access-code",
        "/api/v1/support-tickets/admin/export",
    }
)

_ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_SUCCESS_REF = {"$ref": "#/components/schemas/SuccessEnvelope"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def describe_responses(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite FastAPI's generic responses into the service's real ones."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorEnvelope"] = ErrorEnvelope.model_json_schema()
    schemas["SuccessEnvelope"] = SuccessEnvelope.model_json_schema()
    for schema_name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(schema_name, None)
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            responses.pop("422", None)
            if path in NON_ENVELOPE_PATHS:
                continue
            for code, response in responses.items():
                if code.startswith("2"):
                    content = response.setdefault("content", {})
                    current = content.get("application/json", {}).get("schema")
                    if not current:
                        content["application/json"] = {"schema": _SUCCESS_REF}
            for status, text in ERROR_STATUSES.items():
                error = {"description": text, "content": _json(_ERROR_REF)}
                responses.setdefault(str(status), error)
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the described document at ``/openapi.json`` (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = describe_responses(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
