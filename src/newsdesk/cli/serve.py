"""``newsdesk serve``: the REST service under uvicorn."""

from __future__ import annotations

from typing import Annotated

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
) -> None:
    """Run the REST service (API docs at /docs; keys from `newsdesk keys create`)."""
    settings = state(ctx).settings
    try:
        import uvicorn

        from newsdesk.api import create_app
    except ImportError as exc:
        raise MissingDependency(exc.name or "uvicorn", "api", "newsdesk serve") from None
    uvicorn.run(
        create_app(settings),
        host=host or settings.api.host,
        port=port or settings.api.port,
        log_level="info",
    )
