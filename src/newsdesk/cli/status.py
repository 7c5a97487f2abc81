"""``newsdesk status``: how far the workspace's enrichment is, its background job, the features ready."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.cli.context import state

__all__ = ["status_command"]


def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Enrichment progress per component (articles done / total), the background job (newsdesk demo
    --serve's worker: state, pid, heartbeat, current step) and the features ready to use."""
    from newsdesk.pipeline.progress import enrich_status

    app = state(ctx)
    status = enrich_status(app.settings, app.store)
    if as_json:
        print(json.dumps(status.to_dict()))
        return
    job = status.job
    line = f"background job: [bold]{job.state}[/]"
    if job.state != "not_started":
        line += f" (pid {job.pid}, step: {job.step or '-'}"
        if job.heartbeat_at:
            line += f", last heartbeat {job.heartbeat_at:%H:%M:%S} UTC"
        line += ")"
    app.out.print(line)
    if job.error:
        app.out.print(f"[red]error:[/] {job.error}")
    if job.log:
        app.out.print(f"log: {job.log}", highlight=False)
    table = Table("component", "done", "total", "ready", title=f"{status.articles} articles")
    for c in status.components:
        table.add_row(c.name, str(c.done), str(c.total), "yes" if c.ready else "")
    app.out.print(table)
    ready = [name for name, on in status.features.items() if on]
    waiting = [name for name, on in status.features.items() if not on]
    app.out.print(f"ready: {', '.join(ready) or '-'}; not yet: {', '.join(waiting) or '-'}")
