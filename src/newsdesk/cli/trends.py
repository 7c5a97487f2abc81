"""``newsdesk trends``: what is rising now (topics, entities, keyphrases, stories) against its baseline."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.cli.context import state
from newsdesk.trends import story_labels, top_trends

__all__ = ["trends_command"]


def trends_command(
    ctx: typer.Context,
    window: Annotated[str, typer.Option("--window", help="The recent span: 24h, 3d, 1w.")] = "24h",
    baseline: Annotated[str, typer.Option("--baseline", help="The span before it to compare with.")] = "28d",
    kind: Annotated[
        str | None, typer.Option("--kind", help="topic, entity, keyphrase or story (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 10,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="End of the window: an ISO time, or 'latest' (the newest article)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Topics, entities, keyphrases and stories whose recent counts exceed their own baseline."""
    app = state(ctx)
    labels = story_labels(app.settings, app.store)
    report = top_trends(
        app.store, window=window, baseline=baseline, kind=kind, limit=limit, as_of=as_of, labels=labels
    )
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    table = Table(
        title=f"Trends in the {report.window_hours} h before {report.as_of.isoformat(timespec='minutes')} "
        f"({report.articles} articles; baseline {report.baseline_hours} h, {report.baseline_articles})"
    )
    for column in ("#", "kind", "trend", "count", "expected", "ratio", "surprise"):
        table.add_column(column)
    for i, t in enumerate(report.trends, start=1):
        table.add_row(
            str(i), t.kind, t.label, str(t.count), f"{t.expected:.1f}", f"{t.ratio:.1f}", f"{t.surprise:.1f}"
        )
    app.out.print(table)
    if not report.articles:
        app.out.print(
            "No dated, enriched articles in the window: trends count articles by published_at "
            "(try --as-of latest for an archive of older news).",
            highlight=False,
        )
    if report.empty_kinds:
        app.out.print(f"No stored values for: {', '.join(report.empty_kinds)}.", highlight=False)
