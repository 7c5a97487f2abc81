"""``newsdesk demo``: build the demo newsroom; with ``--serve``, serve it within seconds while the slow part
(enrichment and what depends on it) runs in a background worker (``newsdesk demo --worker``)."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from newsdesk.cli.context import AppState, state
from newsdesk.demo import build_demo, build_products, build_wire, demo_readers

__all__ = ["demo_command"]


def demo_command(
    ctx: typer.Context,
    enrich: Annotated[
        bool, typer.Option("--enrich/--no-enrich", help="Run the enrichment pipeline on the corpus.")
    ] = True,
    only: Annotated[
        str | None, typer.Option("--only", help="Comma-separated components to run (default: all).")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Ingest (seconds), print a reader and an admin key, then serve at once while enrichment "
            "and the rest run in a background worker (progress: newsdesk status, GET /enrich/status).",
        ),
    ] = False,
    host: Annotated[str | None, typer.Option("--host", help="With --serve: the interface.")] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="With --serve: the port.")
    ] = None,
    worker: Annotated[bool, typer.Option("--worker", hidden=True)] = False,
    parent: Annotated[int | None, typer.Option("--parent", hidden=True)] = None,
) -> None:
    """Build the demo newsroom from the bundled BBC News corpus (2,225 files, 2004-2005) and a day and a
    half of dated wire headlines (UCI News Aggregator, March 2014), enrich it, then find its stories,
    what is rising and its entity pages. With --serve, serve it at once and do the enriching in the
    background."""
    app = state(ctx)
    if worker:
        _worker(app, parent, only)
        return
    _ingest(app)
    if serve:
        _serve(ctx, app, host=host, port=port, enrich=enrich, only=only)
        return
    if enrich:
        from newsdesk.cli.enrich import enrich_command

        app.out.print(
            "enriching (the first run embeds and tags every article: about 20 minutes on 2 CPU cores, "
            "minutes on a GPU)"
        )
        enrich_command(ctx, only=only, since=None, workers=None, batch_size=None, list_=False, as_json=False)
        from newsdesk.search import Searcher

        stats, _ = Searcher(app.store, app.settings).rebuild()
        app.out.print(f"vector index: {stats.live} articles ({stats.kind}) in {stats.path}")
        build_products(app.settings, app.store, app.out.print)
    demo_readers(app.settings, app.store, app.out.print)
    app.out.print(
        "next: newsdesk articles show bbc:tech/001 | newsdesk search 'mobile phone sales' | "
        "newsdesk related bbc:tech/001 | newsdesk stories list |\n"
        "newsdesk trends --as-of latest --window 6h | "
        "newsdesk entities show person:tony-blair | newsdesk recommend demo-reader-0001 | newsdesk serve"
    )


def _ingest(app: AppState) -> None:
    report = build_demo(app.settings, app.store)
    app.out.print(
        f"demo newsroom at [bold]{app.settings.home}[/]: {report.inserted} inserted, "
        f"{report.unchanged} unchanged, {len(report.duplicates)} duplicates skipped, "
        f"{report.rejected} rejected"
    )
    wire = build_wire(app.settings, app.store)
    app.out.print(
        f"wire: {len(wire.records)} dated headlines "
        f"({sum(r.status == 'inserted' for r in wire.records)} new), {len(wire.rejections)} rejected"
    )
    sections = ", ".join(f"{name} {n}" for name, n in app.store.sections().items())
    app.out.print(f"{app.store.count()} articles stored; sections: {sections}")


def _serve(
    ctx: typer.Context, app: AppState, *, host: str | None, port: int | None, enrich: bool, only: str | None
) -> None:
    """Keys, the background worker, then the service (which stops the worker when it stops)."""
    import os

    from newsdesk.auth import create_key
    from newsdesk.cli.serve import serve_command
    from newsdesk.demo import start_worker, stop_worker
    from newsdesk.pipeline.progress import job_paths, job_status

    settings = app.settings
    base = f"http://{host or settings.api.host}:{port or settings.api.port}"
    _, reader = create_key(app.store, "reader", name="demo --serve")
    _, admin = create_key(app.store, "admin", name="demo --serve: web console")
    out = app.out
    out.print(f"reader key for the service (send it as the X-API-Key header): {reader}", highlight=False)
    out.print(f"admin key for the web console (sign in at {base}/): {admin}", highlight=False)
    out.print("  (printed once: the store keeps only their hashes; newsdesk keys create makes more)")
    process = start_worker(settings, parent=os.getpid(), only=only) if enrich else None
    if process is not None:
        _, _, log = job_paths(settings)
        out.print(
            f"enriching in the background (pid {process.pid}, log {log}; about 20 minutes on 2 CPU cores): "
            "search answers on full text now, by meaning as vectors arrive; stories, trends, entity pages "
            f"and recommendations follow. Progress: newsdesk --home {settings.home} status, or "
            "GET /enrich/status"
        )
    elif enrich:
        out.print(f"background enrichment already running (pid {job_status(settings).pid})")
    out.print(f"Serving the demo newsroom at {base}  (web console: {base}/, API docs: {base}/docs)")
    out.print(f"  try: curl -H 'X-API-Key: {reader}' '{base}/search?q=mobile+phone+sales'", highlight=False)
    sys.stdout.flush()
    app.close()  # the service opens its own store
    try:
        serve_command(ctx, host=host, port=port, workers=None)
    finally:
        if process is not None:
            code = stop_worker(process)
            status = job_status(settings)
            if code not in (0, None):
                out.print(
                    f"background worker stopped ({status.state}, at: {status.step}); "
                    "run the same command again to resume it"
                )


def _worker(app: AppState, parent: int | None, only: str | None) -> None:
    """The background part (see :func:`newsdesk.demo.finish_demo`), recording its progress."""
    from newsdesk.demo import finish_demo, lower_priority
    from newsdesk.pipeline.progress import JobRecorder, JobRunning

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    lower_priority()

    def say(line: str) -> None:
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {line}", flush=True)

    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    try:
        with JobRecorder(app.settings, parent=parent) as job:
            say(f"demo worker {job.state_file}: started")
            finish_demo(app.settings, app.store, say, job.step, only=names)
            say("demo worker: done")
    except JobRunning as exc:
        say(f"demo worker: not started: {exc}")
