"""The REST service: a FastAPI app factory, one router per product, API-key auth, one error shape.

Needs the ``api`` extra (``pip install 'newsdesk[api]'``). Build an app with :func:`create_app`; run it with
``newsdesk serve`` or ``uvicorn --factory newsdesk.api:create_service_app``.
"""

from __future__ import annotations

from newsdesk.errors import MissingDependency

try:
    import fastapi  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise MissingDependency(exc.name or "fastapi", "api", "the newsdesk service") from None

from newsdesk.api.app import ROUTERS, create_app, create_service_app

__all__ = ["ROUTERS", "create_app", "create_service_app"]
