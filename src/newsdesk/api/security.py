"""API-key authentication: ``require(Role.EDITOR)`` is the dependency a route declares.

The key comes in the ``X-API-Key`` header or as ``Authorization: Bearer <key>``. No key, or an unknown or
revoked one, is a 401; a valid key whose role is too low is a 403. Both are raised while FastAPI resolves
the route's dependencies, before the route runs, so a refused request writes nothing. Keys are checked by
:func:`newsdesk.auth.verify_key` against their stored SHA-256 hashes and never logged.

The check is ``async``: once the store is open it is one indexed read, done on the event loop (a plain
function dependency would cost a thread hop on every request); opening the store and the once-a-minute
``last_used_at`` write go to the thread pool.

With ``settings.api.auth_enabled`` off (local development only) every caller is an admin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from newsdesk.api.errors import ApiError
from newsdesk.api.state import service_state
from newsdesk.auth import ApiKey, Role, hash_secret, record_use, use_is_stale, verify_key

__all__ = ["LOCAL_DEVELOPER", "require"]

_HEADER = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `newsdesk keys create`.",
)
_BEARER = HTTPBearer(
    auto_error=False, scheme_name="Bearer", description="The same API key, as `Authorization: Bearer <key>`."
)

LOCAL_DEVELOPER = ApiKey(
    id="local", name="auth disabled", role=Role.ADMIN, created_at=datetime(2000, 1, 1, tzinfo=UTC)
)
"""The caller when ``settings.api.auth_enabled`` is off."""

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="newsdesk"'}


def require(role: Role) -> Any:
    """A dependency admitting keys of ``role`` or higher; it returns the caller's :class:`ApiKey`."""

    async def check(
        request: Request,
        header: Annotated[str | None, Security(_HEADER)] = None,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
    ) -> ApiKey:
        state = service_state(request)
        if not state.settings.api.auth_enabled:
            request.state.api_key = LOCAL_DEVELOPER
            return LOCAL_DEVELOPER
        secret = header or (bearer.credentials if bearer is not None else None)
        if not secret:
            raise ApiError(
                401,
                "unauthorized",
                "an API key is required: send it in the X-API-Key header or as Authorization: Bearer <key>",
                headers=_CHALLENGE,
            )
        store = state.opened_store()
        if store is None:
            store = await run_in_threadpool(state.store)
        # a store on the network (PostgreSQL) answers on the loop only from its in-memory cache
        cached = getattr(store, "has_cached_key", None)
        if cached is None or cached(hash_secret(secret)):
            key = verify_key(store, secret)
        else:
            key = await run_in_threadpool(verify_key, store, secret)
        if key is None:
            raise ApiError(401, "unauthorized", "the API key is unknown or revoked", headers=_CHALLENGE)
        if not key.allows(role):
            raise ApiError(
                403, "forbidden", f"this needs the {role.label} role; the key '{key.id}' is {key.role.label}"
            )
        if use_is_stale(key):
            await run_in_threadpool(record_use, store, key)
        request.state.api_key = key
        return key

    check.__name__ = f"require_{role.label}"
    return Depends(check)
