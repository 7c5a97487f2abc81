"""``newsdesk ingest PATH...``"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsdesk.articles.ninjs import check_version
from newsdesk.cli.context import state
from newsdesk.cli.errors import EXIT_REJECTED
from newsdesk.errors import InvalidInput
from newsdesk.ingest import IngestReport, ingest
from newsdesk.ingest.enrichments import EnrichmentImport, import_enrichments
from newsdesk.ingest.readers import FORMATS
from newsdesk.store.parquet import is_export

__all__ = ["ingest_command"]


def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    format: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")] = "auto",
    strict: Annotated[
        bool, typer.Option("--strict", help="Store nothing if any record is rejected.")
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Source name for records that carry none.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping FIELD=COLUMN (CSV/JSONL), repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report.")] = False,
    ninjs_version: Annotated[
        str,
        typer.Option(
            "--ninjs-version",
            metavar="X.Y",
            help="Validate ninjs documents against this one schema version (e.g. 2.1); 'auto': the version "
            "a document declares, else its detected generation.",
        ),
    ] = "auto",
    with_enrichments: Annotated[
        bool,
        typer.Option(
            "--with-enrichments",
            help="Also import the enrichments and vectors of Parquet export folders (newsdesk export).",
        ),
    ] = False,
) -> None:
    """Read articles, validate them, store the good ones and report every rejected or skipped record.

    Skipped records (valid, but not articles: ninjs pictures, items without text) do not change the exit
    code; rejected ones do, as do rejected enrichment rows with --with-enrichments.
    """
    app = state(ctx)
    if format not in FORMATS:
        raise InvalidInput("--format", format, f"one of {', '.join(FORMATS)}")
    exports = [p for p in paths if is_export(p)] if with_enrichments else []
    if with_enrichments and not exports:
        raise InvalidInput(
            "PATH", ", ".join(map(str, paths)),
            "with --with-enrichments, a folder written by newsdesk export --format parquet",
        )
    check_version(ninjs_version, "--ninjs-version")
    column_map = _column_map(map_ or [])
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=app.err,
        transient=True,
        disable=not app.err.is_terminal,
    ) as bar:
        task = bar.add_task("ingesting", total=None)

        def progress(name: str, read: int) -> None:
            bar.update(task, completed=read, description=f"ingesting {Path(name).name}")

        report = ingest(
            paths,
            app.store,
            settings=app.settings,
            format=format,
            strict=strict,
            source=source,
            column_map=column_map,
            progress=progress,
            ninjs_version=ninjs_version,
        )
    imports = [import_enrichments(p, app.store) for p in exports] if report.stored else []
    if as_json:
        data = report.to_dict()
        if with_enrichments:
            data["enrichments"] = [i.to_dict() for i in imports]
        app.out.print_json(json.dumps(data))
    else:
        _print_report(app.out, report)
        for done in imports:
            _print_import(app.out, done)
    if report.rejected or any(i.rejected for i in imports):
        raise typer.Exit(EXIT_REJECTED)


def _column_map(pairs: list[str]) -> dict[str, str]:
    """``headline=title`` (article field = column in the file) -> ``{"title": "headline"}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise InvalidInput("--map", pair, "FIELD=COLUMN, e.g. headline=title")
        mapping[column.strip()] = field.strip()
    return mapping


def _print_report(console: object, report: IngestReport) -> None:
    from rich.console import Console

    assert isinstance(console, Console)
    console.print(
        f"read {report.read}: [green]{report.inserted} inserted[/], {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.duplicates)} duplicates, "
        f"{report.skipped} skipped, "
        f"[{'red' if report.rejected else 'green'}]{report.rejected} rejected[/] "
        f"in {report.seconds:.1f}s"
    )
    if report.validated:
        counts = ", ".join(f"{schema} ({n})" for schema, n in report.schemas().items())
        console.print(f"validated against: {counts}")
    if not report.stored:
        console.print("[red]--strict: records were rejected, so nothing was stored.[/]")
    _table(
        console, "Rejected records", ("source", "location", "field", "value", "reason"),
        [(Path(e.source).name, e.location, e.field or "", e.value or "", e.message) for e in report.errors],
    )
    _table(
        console, "Skipped records (valid, not archived)", ("source", "location", "reason"),
        [(Path(s.source).name, s.location, s.reason) for s in report.skipped_records],
    )
    _table(
        console, "Notes", ("source", "location", "note"),
        [(Path(n.source).name, n.location, n.note) for n in report.notes],
    )


def _print_import(console: Any, done: EnrichmentImport) -> None:
    models = ", ".join(f"{m} ({n})" for m, n in done.vectors.items()) or "none"
    console.print(
        f"enrichments: {done.enrichments} imported, vectors: {models}; "
        f"{done.missing} articles not in the store, "
        f"[{'red' if done.rejected else 'green'}]{done.rejected} rejected[/]"
    )
    _table(
        console, "Rejected enrichment rows", ("file", "location", "field", "value", "reason"),
        [(e.source, e.location, e.field or "", e.value or "", e.message) for e in done.errors],
    )


def _table(console: Any, title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """The first 50 rows as a table, and how many more there are."""
    if not rows:
        return
    table = Table(*columns, title=title)
    for row in rows[:50]:
        table.add_row(*row)
    console.print(table)
    if len(rows) > 50:
        console.print(f"... and {len(rows) - 50} more (use --json for all)")
