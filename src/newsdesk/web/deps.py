"""What every console page leans on: who is looking (:func:`page`), the CSRF check of forms that write
(:func:`form`), and rendering a page in the console's layout (:func:`respond`).

A console request is signed in either by the session cookie (:mod:`newsdesk.web.session`), or, for scripts
and the API's property-based tests, by an API key in ``X-API-Key`` / ``Authorization: Bearer`` as on the API.
A form posted with the cookie must carry the session's CSRF token; one posted with a key header needs none
(a header is not sent by a browser on another site's behalf). A page asked for without either redirects to
the sign-in page; a key whose role is too low gets a 403 page naming the role needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from newsdesk.api.errors import ApiError
from newsdesk.api.security import LOCAL_DEVELOPER
from newsdesk.api.state import ServiceState, service_state
from newsdesk.auth import ApiKey, Role, list_keys, verify_key
from newsdesk.web import session as sessions
from newsdesk.web.render import render

__all__ = ["NOTICES", "PAGE_RESPONSES", "Viewer", "check_form", "page", "page_router", "respond", "viewer_of"]

NOTICES = {
    "signed-out": "You are signed out.",
    "feedback": "Thank you: your feedback is recorded, and the live quality figures count it.",
    "promoted": "Promoted: the new champion serves from now on.",
    "rolled-back": "Rolled back to the previous champion.",
}
"""Messages a redirect may ask the next page to show (``?notice=<name>``); a name, so no other site can
make the console show text of its choosing."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in caller of a console page."""

    key: ApiKey
    via: str  # "session", "header" or "local" (auth disabled)
    csrf: str  # the token this viewer's forms carry ("" when signed in by header)

    @property
    def role(self) -> Role:
        return self.key.role

    def can(self, role: Role | str) -> bool:
        return self.key.allows(Role.parse(role))

    @property
    def actor(self) -> str:
        """Who did it, for feedback and the audit trail: the key's name, else its id."""
        return f"console:{self.key.name or self.key.id}"


def _header_secret(request: Request) -> str | None:
    secret = request.headers.get("x-api-key")
    if secret:
        return secret
    auth = request.headers.get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _key_by_id(state: ServiceState, key_id: str) -> ApiKey | None:
    for key in list_keys(state.store(), include_revoked=False):
        if key.id == key_id:
            return key
    return None


def viewer_of(request: Request) -> Viewer | None:
    """The request's signed-in viewer, or ``None`` (no key, an unknown or revoked one, a bad cookie)."""
    cached = getattr(request.state, "console_viewer", False)
    if cached is None or isinstance(cached, Viewer):
        return cached
    state = service_state(request)
    settings = state.settings
    found: Viewer | None = None
    if not settings.api.auth_enabled:
        local = sessions.Session(key_id=LOCAL_DEVELOPER.id, nonce="local", expires=float("inf"))
        found = Viewer(LOCAL_DEVELOPER, "local", sessions.csrf_token(settings, local))
    else:
        secret = _header_secret(request)
        if secret:
            key = verify_key(state.store(), secret)
            found = Viewer(key, "header", "") if key is not None else None
        else:
            session = sessions.read(settings, request.cookies.get(sessions.COOKIE))
            if session is not None:
                key = _key_by_id(state, session.key_id)
                if key is not None:
                    found = Viewer(key, "session", sessions.csrf_token(settings, session))
    request.state.console_viewer = found
    return found


def _sign_in_redirect(request: Request) -> ApiError:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return ApiError(
        303,
        "sign_in",
        "sign in to see this page",
        headers={"Location": f"/console/login?next={quote(target, safe='')}"},
    )


def page(role: Role = Role.READER) -> Any:
    """The dependency of a console page for ``role`` and above: the :class:`Viewer`."""

    async def check(request: Request) -> Viewer:
        viewer = await run_in_threadpool(viewer_of, request)
        if viewer is None:
            if request.method in ("GET", "HEAD"):
                raise _sign_in_redirect(request)
            raise ApiError(401, "unauthorized", "sign in first: the session has ended or was never started")
        if not viewer.can(role):
            raise ApiError(
                403,
                "forbidden",
                f"this page needs the {role.label} role; you are signed in as a {viewer.role.label}",
            )
        request.state.api_key = viewer.key
        return viewer

    check.__name__ = f"console_{role.label}"
    return Depends(check)


def check_form(request: Request, viewer: Viewer, token: str | None) -> None:
    """Refuse (403) a form posted with the session cookie whose CSRF token is missing or wrong."""
    if viewer.via == "header":
        return
    state = service_state(request)
    settings = state.settings
    if viewer.via == "local":
        session = sessions.Session(key_id=viewer.key.id, nonce="local", expires=float("inf"))
    else:
        found = sessions.read(settings, request.cookies.get(sessions.COOKIE))
        if found is None:
            raise ApiError(401, "unauthorized", "sign in first: the session has ended")
        session = found
    if not sessions.check_csrf(settings, session, token):
        raise ApiError(
            403,
            "csrf",
            "the form's CSRF token is missing or does not match this session: reload the page and try again",
            field="csrf_token",
        )


def respond(
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status: int = 200,
    title: str = "",
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered in the console layout, with the viewer, the page title and ``context``."""
    from newsdesk import __version__
    from newsdesk.web.pages import NAV

    html = render(
        template,
        request_path=request.url.path,
        viewer=viewer,
        title=title,
        Role=Role,
        nav=NAV,
        version=__version__,
        notice=context.pop("notice", None) or NOTICES.get(request.query_params.get("notice", "")),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "Not signed in, or the key is revoked (a page; a GET redirects to sign-in).",
        "content": {"text/html": {}},
    },
    403: {"description": "The viewer's role does not allow it (a page).", "content": {"text/html": {}}},
    422: {
        "description": "Bad input: a page naming the field, the value and what is allowed.",
        "content": {"text/html": {}},
    },
}
"""What every console route may answer besides its page, declared for the OpenAPI schema (as pages, not
the API's JSON error bodies)."""


def page_router() -> APIRouter:
    """A router for console pages: HTML by default, tagged ``console``, with :data:`PAGE_RESPONSES`."""
    return APIRouter(tags=["console"], default_response_class=HTMLResponse, responses=PAGE_RESPONSES)
