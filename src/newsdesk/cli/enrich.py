"""``newsdesk enrich`` and ``newsdesk eval``"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from newsdesk.cli.context import state
from newsdesk.errors import InvalidInput

__all__ = ["enrich_command", "eval_command"]


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from newsdesk.ingest.validate import _datetime

    parsed = _datetime("--since", value, "UTC")
    if parsed is None:
        raise InvalidInput("--since", value, "an ISO 8601 date such as 2005-01-31")
    return parsed


def enrich_command(
    ctx: typer.Context,
    only: Annotated[
        str | None,
        typer.Option("--only", help="Comma-separated components (default: all). See --list."),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only articles published on or after DATE.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes for parallel-safe components.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Articles per batch.")] = None,
    engine: Annotated[
        str | None,
        typer.Option("--engine", help="Executor: serial, local (processes) or spark. Default: settings."),
    ] = None,
    master: Annotated[
        str | None, typer.Option("--master", help="Spark master for --engine spark, e.g. local[2] or yarn.")
    ] = None,
    refit: Annotated[
        bool, typer.Option("--refit", help="Fit components that keep a fitted state between runs again.")
    ] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the components and exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report.")] = False,
) -> None:
    """Bring every article's enrichments up to date (resumable: a second run does only what is left)."""
    from newsdesk.nlp import component_class, component_names
    from newsdesk.pipeline import enrich

    app = state(ctx)
    if list_:
        for name in component_names():
            cls = component_class(name)
            app.out.print(f"{name:<16} requires {', '.join(cls.requires)}; assigns {', '.join(cls.assigns)}")
        return
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    settings = app.settings
    if master is not None:
        pipeline = settings.pipeline.model_copy(update={"spark_master": master})
        settings = settings.model_copy(update={"pipeline": pipeline})
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=app.err,
        transient=True,
        disable=not app.err.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        report = enrich(
            app.store,
            settings,
            only=names,
            since=_since(since),
            workers=workers,
            batch_size=batch_size,
            engine=engine,
            refit=refit,
            progress=progress,
        )
    if as_json:
        app.out.print_json(json.dumps(report.to_dict()))
        return
    table = Table("component", "version", "stale", "enriched", "art/s", "note")
    for c in report.components:
        table.add_row(
            c.name, c.version, str(c.stale), str(c.processed), f"{c.per_second:.1f}", c.skipped or ""
        )
    app.out.print(table)
    app.out.print(f"{report.processed} outputs written in {report.seconds:.1f} s")


def eval_command(
    ctx: typer.Context,
    task: Annotated[
        str,
        typer.Argument(
            help="sections, iptc-zeroshot, ner, summaries, multilabel, duplicates, grounding, recommend"
        ),
    ],
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset",
            help="Dataset path (default: the task's folder under NEWSDESK_EVAL__DATA_DIR, else "
            "../shared/data or ./shared/data).",
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Use only the first N items.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON result.")] = False,
) -> None:
    """Evaluate a model on a real dataset beside a baseline computed in the same run."""
    from newsdesk.evaluate import run_eval

    app = state(ctx)
    result = run_eval(task, dataset, app.settings, limit=limit)
    if as_json:
        print(result.to_json(indent=None))
        return
    app.out.print(f"[bold]{result.task}[/] on {result.dataset} (n={result.n}, {result.seconds} s)")
    table = Table("metric", result.model, "baseline")
    for key in dict.fromkeys([*result.metrics, *result.baseline]):
        table.add_row(key, _fmt(result.metrics.get(key)), _fmt(result.baseline.get(key)))
    app.out.print(table)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)
