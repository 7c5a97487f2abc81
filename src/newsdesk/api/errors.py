"""Every failure becomes one body, ``{"error": {"code", "message", "field"}}``, and library errors become
HTTP statuses here, in one place.

| library error | status | code |
|---|---|---|
| InvalidInput | 422 | invalid_input (``field`` names the field) |
| UnreadableSource | 422 | unreadable_source |
| UnknownFormat | 415 | unsupported_format |
| NotFound | 404 | not_found |
| GateFailed | 409 | gate_failed (the message lists every failed gate) |
| Conflict | 409 | conflict (the thing's state forbids it: an experiment already stopped) |
| PermissionDenied | 403 | forbidden |
| AuditTampered | 500 | audit_tampered |
| MissingDependency, NotFitted, StoreError | 503 | missing_dependency, not_fitted, store_unavailable |
| ProviderUnavailable | 504 | llm_unavailable (the model server cannot be reached or timed out) |
| ProviderFailed, ProviderRefused | 502 | llm_failed, llm_refused |
| any other NewsdeskError, any other exception | 500 | internal_error |

Request validation (FastAPI/pydantic) is a 422 naming the first bad field; unknown routes are 404, a body
over the size limit 413, a missing or bad API key 401 and a too-low role 403, all in the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsdesk.errors import (
    AuditTampered,
    Conflict,
    GateFailed,
    InvalidInput,
    MissingDependency,
    NewsdeskError,
    NotFitted,
    NotFound,
    PermissionDenied,
    ProviderFailed,
    ProviderRefused,
    ProviderUnavailable,
    StoreError,
    UnknownFormat,
    UnreadableSource,
)

__all__ = ["ApiError", "ErrorBody", "ErrorInfo", "error_response", "install", "responses", "status_for"]

log = logging.getLogger("newsdesk.api")


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable, machine-readable reason, e.g. 'invalid_input', 'not_found'.")
    message: str = Field(description="What went wrong, for people.")
    field: str | None = Field(default=None, description="The offending field or parameter, when one is.")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorInfo


class ApiError(StarletteHTTPException):
    """An HTTP error raised by the service itself, with its code (and field)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.field = field


# most specific first: the first matching class decides
_LIBRARY: list[tuple[type[NewsdeskError], int, str]] = [
    (InvalidInput, 422, "invalid_input"),
    (UnreadableSource, 422, "unreadable_source"),
    (UnknownFormat, 415, "unsupported_format"),
    (NotFound, 404, "not_found"),
    (GateFailed, 409, "gate_failed"),
    (Conflict, 409, "conflict"),
    (PermissionDenied, 403, "forbidden"),
    (AuditTampered, 500, "audit_tampered"),
    (MissingDependency, 503, "missing_dependency"),
    (NotFitted, 503, "not_fitted"),
    (StoreError, 503, "store_unavailable"),
    (ProviderUnavailable, 504, "llm_unavailable"),
    (ProviderFailed, 502, "llm_failed"),
    (ProviderRefused, 502, "llm_refused"),
]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_format",
    422: "invalid_input",
    500: "internal_error",
    503: "unavailable",
}


def status_for(exc: NewsdeskError) -> tuple[int, str]:
    """(HTTP status, error code) of a library error."""
    for cls, status, code in _LIBRARY:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers)


def _answer(
    request: Request,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error's response: the JSON body on the API, a page on the console's paths."""
    from newsdesk.web.errors import error_page, is_console_path

    if is_console_path(request.url.path):
        return error_page(request, status, code, message, field, headers)
    return error_response(status, code, message, field, headers=headers)


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NewsdeskError)
    status, code = status_for(exc)
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=status == 500)
    message = str(exc) if status != 500 else "internal error; the server log has the details"
    field = exc.field if isinstance(exc, InvalidInput) else None
    return _answer(request, status, code, message, field)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:  # pragma: no cover - pydantic always reports at least one
        return _answer(request, 422, "invalid_input", "the request is not valid")
    first = errors[0]
    field = _location(first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'invalid value')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return _answer(request, 422, "invalid_input", message, field)


def _location(loc: Any) -> str:
    """``('query', 'limit')`` -> ``'limit'``; ``('body', 'articles', 2)`` -> ``'articles[2]'``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        kind = parts.pop(0)
        if not parts:
            return str(kind)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "request"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = getattr(exc, "code", None) or _CODES.get(status) or _phrase(status)
    message = exc.detail if isinstance(exc.detail, str) else _phrase(status).replace("_", " ")
    if status == 404 and not isinstance(exc, ApiError) and exc.detail == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    return _answer(request, status, code, message, getattr(exc, "field", None), headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("%s %s failed", request.method, request.url.path)
    return _answer(request, 500, "internal_error", "internal error; the server log has the details")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one body shape."""
    app.add_exception_handler(NewsdeskError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


_DESCRIPTIONS = {
    401: "No API key, or an unknown or revoked one.",
    403: "The key's role is too low for this route.",
    404: "Not found.",
    413: "The request body is over the size limit.",
    415: "Unsupported format.",
    422: "Invalid input: `field` names the first bad field or parameter.",
    503: "A dependency (the store, a model) is not available.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the error responses a route may give, all with :class:`ErrorBody`."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS.get(status, _phrase(status))}
        for status in statuses
    }
