"""``newsdesk export --format parquet --out DIR``"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from newsdesk.cli.articles import Section, Since, Source, Until, article_filter
from newsdesk.cli.context import state
from newsdesk.errors import InvalidInput
from newsdesk.store.parquet import export_parquet

__all__ = ["export_command"]


def export_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="A new or empty folder to write.")],
    format: Annotated[str, typer.Option("--format", help="parquet")] = "parquet",
    enrichments: Annotated[
        bool, typer.Option("--enrichments", help="Also write every article's enrichments.")
    ] = False,
    vectors: Annotated[bool, typer.Option("--vectors", help="Also write the stored vectors.")] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=1_000_000, help="Rows per row group.")
    ] = 10_000,
    section: Section = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON report.")] = False,
) -> None:
    """Write the archive as Parquet: OUT/articles/part-*.parquet (ingestable: `newsdesk ingest OUT` gives the
    same ids), with --enrichments OUT/enrichments/, with --vectors OUT/vectors/<model>/, and a manifest
    OUT/_newsdesk.json. JSON Lines and ninjs: `newsdesk articles export`."""
    app = state(ctx)
    if format != "parquet":
        raise InvalidInput("--format", format, "parquet (JSON Lines and ninjs: newsdesk articles export)")
    report = export_parquet(
        app.store,
        out,
        filt=article_filter(section, source, since, until),
        enrichments=enrichments,
        vectors=vectors,
        batch_size=batch_size,
        rows_per_file=max(1_000_000, batch_size),
    )
    if as_json:
        app.out.print_json(json.dumps(report.to_dict()))
        return
    models = ", ".join(f"{m} ({n})" for m, n in report.vectors.items())
    app.out.print(
        f"exported {report.articles} articles"
        + (f", {report.enrichments} enrichments" if enrichments else "")
        + (f", vectors: {models or 'none'}" if vectors else "")
        + f" to {out} in {report.seconds:.1f}s ({len(report.files)} files)"
    )
