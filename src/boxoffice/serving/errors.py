"""Every error leaves as ``{"error": {status, type, message, details[]}}``; never a traceback."""

from __future__ import annotations

import logging
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from boxoffice.core.request_errors import is_unparsable, readable

log = logging.getLogger("boxoffice.api")


class ApiError(Exception):
    """Raised by routes; turned into the common error shape."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


def error_envelope(
    status: int, kind: str, message: str, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The one error shape, for the exception handlers and the middleware alike."""
    body = {"status": status, "type": kind, "message": message, "details": details or []}
    return {"error": body}


def error_response(
    status: int, kind: str, message: str, details: list[dict[str, str]] | None = None
) -> JSONResponse:
    return JSONResponse(error_envelope(status, kind, message, details), status_code=status)


# Each handler is registered for one exception class (see install), hence the casts.
async def _validation(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    # Set by the app factory from the model's signature (withheld fields, date range).
    notes: dict[tuple[str, str], str] = getattr(request.app.state, "field_notes", {})
    errors = exc.errors()
    details = readable(errors, notes)
    first = details[0] if details else {"field": "body", "problem": "invalid"}
    if any(is_unparsable(e) for e in errors):  # the body itself, as documented
        return error_response(400, "invalid_json", f"body: {first['problem']}", details)
    return error_response(422, "validation_error", f"{first['field']}: {first['problem']}", details)


async def _api(_: Request, exc: Exception) -> JSONResponse:
    exc = cast(ApiError, exc)
    return error_response(exc.status, exc.kind, exc.message)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's body reading: bytes no JSON parser got to, as its other bad bodies are
        problem = "invalid JSON: the body is not UTF-8 text"
        details = [{"field": "body", "problem": problem}]
        return error_response(400, "invalid_json", f"body: {problem}", details)
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The last line of defence: log the trace server-side, tell the client nothing internal.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
