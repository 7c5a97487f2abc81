"""Errors on console pages answer as pages: the API's handlers (:mod:`newsdesk.api.errors`) hand every error
on a console path here, so a person sees a page with what went wrong and a way on, never a JSON body."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

__all__ = ["error_page", "is_console_path"]

_TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Refused",
    413: "Too large",
    422: "Check the form",
    500: "Something went wrong",
    503: "Not available yet",
}


def is_console_path(path: str) -> bool:
    return path == "/" or path == "/console" or path.startswith("/console/")


def error_page(
    request: Request,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The console's answer to an error: a redirect for a 303 (sign in), else the error page."""
    if status in (301, 302, 303, 307) and headers and "Location" in headers:
        return RedirectResponse(headers["Location"], status_code=303)
    from newsdesk.web.deps import respond, viewer_of

    try:
        viewer = viewer_of(request)
    except Exception:  # the store itself may be what failed
        viewer = None
    out = respond(
        request,
        "error.html",
        viewer,
        status=status,
        title=_TITLES.get(status, "Error"),
        status_code=status,
        code=code,
        message=message,
        field=field,
    )
    if headers:
        for name, value in headers.items():
            if name.lower() != "www-authenticate":
                out.headers[name] = value
    return out
