"""The app factory: one FastAPI app per call, built from the settings it is given.

Nothing is built at import time. Run the service with ``newsdesk serve``, or with uvicorn's factory mode::

    uvicorn --factory newsdesk.api:create_service_app      # settings from NEWSDESK_* variables

A product's routes live in one router module each (``newsdesk/api/routers/``); :data:`ROUTERS` names them
in the order they are mounted, so adding a product is one module and one line here.

>>> import tempfile, pathlib
>>> from fastapi.testclient import TestClient
>>> from newsdesk.settings import Settings
>>> app = create_app(Settings(home=pathlib.Path(tempfile.mkdtemp())))
>>> TestClient(app).get("/healthz").json()["status"]
'ok'
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from newsdesk import __version__
from newsdesk.api import errors
from newsdesk.api.limits import BodyLimitMiddleware
from newsdesk.api.metrics import Metrics, MetricsMiddleware
from newsdesk.api.state import ServiceState
from newsdesk.settings import Settings

__all__ = ["ROUTERS", "create_app", "create_service_app"]

ROUTERS: list[str] = [
    "newsdesk.api.routers.health",
    "newsdesk.api.routers.search",  # before articles: /articles/{id}/related beats /articles/{id:path}
    "newsdesk.api.routers.monitor",  # before articles too: /articles/{id}/feedback
    "newsdesk.api.routers.recommend",  # before articles too: /articles/{id}/also-read
    "newsdesk.api.routers.articles",
    "newsdesk.api.routers.enrich",
    "newsdesk.api.routers.taxonomy",
    "newsdesk.api.routers.trends",
    "newsdesk.api.routers.models",
    "newsdesk.api.routers.write",
    "newsdesk.api.routers.experiments",
    "newsdesk.api.routers.entities",
    "newsdesk.api.routers.stories",
    "newsdesk.api.routers.events",
    "newsdesk.api.routers.readers",
]
"""Modules whose ``router`` (an ``APIRouter``) the app mounts, in order."""

_DESCRIPTION = """\
newsdesk's archive, enrichments and taxonomy over HTTP.

Send an API key (`newsdesk keys create --role reader|editor|admin`) in the `X-API-Key` header or as
`Authorization: Bearer <key>`. Readers read and search, editors also write and enrich, admins may do
everything. Every error has the body `{"error": {"code", "message", "field"}}`.
"""


def create_app(
    settings: Settings | None = None, *, routers: list[str] | None = None, service_process: bool = False
) -> FastAPI:
    """A new service app for ``settings`` (read from the environment when not given).

    ``routers`` replaces :data:`ROUTERS` (module names, each with a ``router`` attribute).

    ``service_process`` is for a process that serves this one app, as ``newsdesk serve``'s do:

    - once the startup preload is done, every object then alive is moved out of the garbage collector's
      reach (:func:`gc.freeze`). The indexes, the model and the libraries are half a million tracked
      objects, and a full collection walking them paused the process for 280 ms, which showed as the
      slowest responses of a busy service. Objects made later are collected as usual; the frozen ones are
      freed by reference counting only, so an app built and dropped many times (tests) leaves it off;
    - uvicorn's log lines are written by a background thread (:mod:`newsdesk.api.logs`), so a slow log
      stream never holds up a response.
    """
    settings = settings if settings is not None else Settings()
    metrics = Metrics(settings.monitor_dir)
    state = ServiceState(settings=settings, metrics=metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api.threads
        if settings.api.preload:
            try:
                await run_in_threadpool(state.preload)
            except Exception as exc:  # a broken store must not stop the service: /readyz says why
                logging.getLogger(__name__).warning("preload skipped: %s: %s", type(exc).__name__, exc)
        logs = None
        if service_process:
            from newsdesk.api.logs import queue_logs

            logs = queue_logs()
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            state.close()
            if logs is not None:
                logs.restore()

    app = FastAPI(
        title="newsdesk",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.newsdesk = state
    errors.install(app)
    modules = list(routers if routers is not None else ROUTERS)
    if settings.web.enabled and routers is None:
        from newsdesk.web.pages import PAGES

        modules += PAGES
        _mount_static(app)
    for module in modules:
        router = importlib.import_module(module).router
        assert isinstance(router, APIRouter), f"{module}.router is not an APIRouter"
        app.include_router(router)
    # added last = outermost: metrics see every response, the 413s of the body limit included
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_request_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def _mount_static(app: FastAPI) -> None:
    """The console's stylesheet and script, at ``/console/static``."""
    from importlib.resources import files

    from fastapi.staticfiles import StaticFiles

    folder = files("newsdesk.web").joinpath("static")
    app.mount("/console/static", StaticFiles(directory=str(folder)), name="console-static")


def create_service_app() -> FastAPI:
    """The app of a service process (``newsdesk serve``): settings from the environment, heap frozen after
    the startup preload, log lines written off the event loop (see :func:`create_app`)."""
    return create_app(service_process=True)
