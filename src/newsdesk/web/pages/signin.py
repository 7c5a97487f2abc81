"""Signing in and out of the console (:mod:`newsdesk.web.session` says how the cookie and tokens work)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from newsdesk.api.state import service_state
from newsdesk.auth import verify_key
from newsdesk.web import session as sessions
from newsdesk.web.deps import Viewer, check_form, page, page_router, respond, viewer_of

__all__ = ["router"]

router = page_router()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no ``//host``): an open redirect would help phishing."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(request: Request, next_: str, error: str | None = None, status: int = 200) -> Response:
    token = request.cookies.get(sessions.LOGIN_COOKIE) or secrets.token_urlsafe(24)
    out = respond(
        request,
        "login.html",
        None,
        status=status,
        title="Sign in",
        login_token=token,
        next=next_,
        error=error,
    )
    settings = service_state(request).settings
    out.set_cookie(
        sessions.LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.web.secure_cookie,
        path="/console/login",
    )
    return out


@router.get("/console/login", summary="The console's sign-in page")
async def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    viewer = await run_in_threadpool(viewer_of, request)
    if viewer is not None and viewer.via != "header":
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, _safe_next(next))


@router.post("/console/login", summary="Sign in with an API key (sets the session cookie)")
def login(
    request: Request,
    api_key: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    expected = request.cookies.get(sessions.LOGIN_COOKIE)
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            _safe_next(next),
            "The sign-in form expired or came from elsewhere: please try again.",
            status=403,
        )
    state = service_state(request)
    key = verify_key(state.store(), api_key.strip())
    if key is None:
        return _login_page(request, _safe_next(next), "That API key is unknown or revoked.", status=401)
    settings = state.settings
    out = RedirectResponse(_safe_next(next), status_code=303)
    out.set_cookie(
        sessions.COOKIE,
        sessions.issue(settings, key.id),
        max_age=int(settings.web.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=settings.web.secure_cookie,
        path="/",
    )
    out.delete_cookie(sessions.LOGIN_COOKIE, path="/console/login")
    return out


@router.post("/console/logout", summary="Sign out (clears the session cookie)")
def logout(
    request: Request,
    viewer: Annotated[Viewer, page()],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_form(request, viewer, csrf_token)
    out = RedirectResponse("/console/login?notice=signed-out", status_code=303)
    out.delete_cookie(sessions.COOKIE, path="/")
    return out
