"""``newsdesk demo``"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from newsdesk.cli.context import state
from newsdesk.demo import build_demo, build_wire

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
    """Build the demo newsroom from the bundled BBC News corpus (2,225 files, 2004-2005) and a day and a
    half of dated wire headlines (UCI News Aggregator, March 2014), enrich it, then find its stories,
    what is rising and its entity pages."""
    app = state(ctx)
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
        _products(app)
    _readers(app)
    app.out.print(
        "next: newsdesk articles show bbc:tech/001 | newsdesk search 'mobile phone sales' | "
        "newsdesk related bbc:tech/001 | newsdesk stories list |\n"
        "newsdesk trends --as-of latest --window 6h | "
        "newsdesk entities show person:tony-blair | newsdesk recommend demo-reader-0001 | newsdesk serve"
    )


def _products(app: Any) -> None:
    """Stories, trends and the biggest entity pages of the enriched demo."""
    from newsdesk.entities import build_entity_pages
    from newsdesk.stories import build_stories
    from newsdesk.trends import story_labels, top_trends

    built = build_stories(app.settings, app.store)
    app.out.print(
        f"stories: {built.stories} ({built.added} articles added, {built.merges} merges, "
        f"{built.splits} splits)"
    )
    labels = story_labels(app.settings, app.store)
    rising = top_trends(app.store, as_of="latest", window="6h", limit=5, labels=labels)
    if rising.trends:
        app.out.print("rising in the wire's last 6 hours: " + "; ".join(t.label for t in rising.trends))
    pages = build_entity_pages(app.settings, app.store).list(type="person", limit=3)
    if pages:
        app.out.print("entity pages: " + ", ".join(f"{p.name} ({p.articles} articles)" for p in pages))


def _readers(app: Any) -> None:
    """Simulated readers for the recommendations, then one new reader's session through the service's
    routes (in process): three clicks posted to POST /events change what GET /readers/{id}/recommendations
    returns next."""
    from datetime import UTC, datetime

    from newsdesk.recommend.demo import simulate_readers

    made = simulate_readers(app.settings, app.store)
    if made["accepted"]:
        app.out.print(f"readers: {made['accepted']} simulated events (impressions and clicks of 300 readers)")
    try:
        from fastapi.testclient import TestClient
    except ImportError:  # the service's extra is not installed: nothing to show
        return
    from newsdesk.api import create_app
    from newsdesk.recommend.demo import reader_session

    local = app.settings.model_copy(deep=True)
    local.api.auth_enabled = False  # in process, no keys
    local.api.preload = False
    with TestClient(create_app(local)) as client:

        def get(path: str) -> Any:
            return client.get(path).raise_for_status().json()

        def post(path: str, body: Any) -> Any:
            return client.post(path, json=body).raise_for_status().json()

        visitor = f"demo-visitor-{datetime.now(UTC):%Y%m%d%H%M%S}"  # a new reader each run
        session = reader_session(get, post, reader=visitor, section="tech", clicks=3)
    before, after = session["share_before"], session["share_after"]
    app.out.print(
        f"reader session through the API: a new reader's slate was {before:.0%} tech; after clicking "
        f"{len(session['clicked'])} tech stories (POST /events) the next one is {after:.0%} tech, without "
        f"them (GET /readers/{visitor}/recommendations, {session['after']['model']})"
    )
