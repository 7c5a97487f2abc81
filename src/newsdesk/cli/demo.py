"""``newsdesk demo``"""

from __future__ import annotations

from typing import Annotated

import typer

from newsdesk.cli.context import state
from newsdesk.demo import build_demo

__all__ = ["demo_command"]


def demo_command(
    ctx: typer.Context,
    enrich: Annotated[
        bool, typer.Option("--enrich/--no-enrich", help="Run the enrichment pipeline on the corpus.")
    ] = True,
    only: Annotated[
        str | None, typer.Option("--only", help="Comma-separated components to run (default: all).")
    ] = None,
) -> None:
    """Build the demo newsroom from the bundled BBC News corpus (2,225 files, 2004-2005) and enrich it."""
    app = state(ctx)
    report = build_demo(app.settings, app.store)
    app.out.print(
        f"demo newsroom at [bold]{app.settings.home}[/]: {report.inserted} inserted, "
        f"{report.unchanged} unchanged, {len(report.duplicates)} duplicates skipped, "
        f"{report.rejected} rejected"
    )
    sections = ", ".join(f"{name} {n}" for name, n in app.store.sections().items())
    app.out.print(f"{app.store.count()} articles stored; sections: {sections}")
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
    app.out.print(
        "next: newsdesk articles show bbc:tech/001 | newsdesk search 'mobile phone sales' | "
        "newsdesk related bbc:tech/001 | newsdesk serve"
    )
