"""``newsdesk serve``: the REST service under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from newsdesk.cli.context import state
from newsdesk.errors import MissingDependency

__all__ = ["serve_command"]


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Interface (default settings.api.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port (default settings.api.port, 8000).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, max=64, help="Server processes (default settings.api.workers, 1)."
        ),
    ] = None,
) -> None:
    """Run the REST service (API docs at /docs; keys from `newsdesk keys create`)."""
    settings = state(ctx).settings
    try:
        import uvicorn

        from newsdesk.api import create_app
    except ImportError as exc:
        raise MissingDependency(exc.name or "uvicorn", "api", "newsdesk serve") from None
    host, port = host or settings.api.host, port or settings.api.port
    workers = workers or settings.api.workers
    options: dict[str, Any] = {"log_level": "info", "access_log": settings.api.access_log}
    if workers == 1:
        uvicorn.run(create_app(settings, service_process=True), host=host, port=port, **options)
        return
    # Several processes: each builds its app from the environment, so the workspace chosen here (--home)
    # travels as NEWSDESK_HOME.
    os.environ["NEWSDESK_HOME"] = str(settings.home)
    from newsdesk.api.workers import reuseport_supported, serve_workers

    if reuseport_supported():  # one socket per worker: connections spread evenly (see api.workers)
        code = serve_workers(host, port, workers, options)
        if code:
            raise typer.Exit(code)
        return
    uvicorn.run(
        "newsdesk.api.app:create_service_app", factory=True, host=host, port=port, workers=workers, **options
    )
