"""``newsdesk search``, ``newsdesk related`` and ``newsdesk index rebuild|status``."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.cli.articles import Section, Since, Source, Until, _date
from newsdesk.cli.context import state
from newsdesk.search import Searcher, SearchQuery, related

__all__ = ["index_app", "related_command", "search_command"]

index_app = typer.Typer(
    help="The vector index and full-text mirror behind search and related articles.", no_args_is_help=True
)

_MARK = re.compile(r"</?mark>")


def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    section: Section = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="IPTC Media Topic qcode (or 8 digits).")
    ] = None,
    entity: Annotated[
        str | None, typer.Option("--entity", help="Canonical entity id, e.g. person:tim-cook.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 10,
    offset: Annotated[int, typer.Option("--offset", min=0, max=1000)] = 0,
    mode: Annotated[str, typer.Option("--mode", help="hybrid, text or vector.")] = "hybrid",
    collapse: Annotated[
        bool, typer.Option("--collapse/--no-collapse", help="Fold near-duplicate copies under the best one.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Hybrid search (full text + meaning) over the archive."""
    app = state(ctx)
    searcher = Searcher(app.store, app.settings)
    page = searcher.search(
        SearchQuery(
            query,
            section=section,
            source=source,
            since=_date("--since", since),
            until=_date("--until", until),
            topic=topic,
            entity=entity,
            limit=limit,
            offset=offset,
            mode=mode,  # type: ignore[arg-type]  # validated by the query
            collapse=collapse,
        )
    )
    if as_json:
        print(json.dumps(page.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{page.total} results for {query!r} ({', '.join(page.retrievers) or 'none'})")
    for column in ("#", "id", "headline", "score", "why"):
        table.add_column(column)
    for i, hit in enumerate(page.results, start=page.offset + 1):
        why = []
        if hit.why.matched_terms:
            why.append("words: " + ", ".join(hit.why.matched_terms))
        if hit.why.semantic_score is not None:
            why.append(f"meaning: {hit.why.semantic_score:.2f}")
        table.add_row(str(i), hit.id, hit.headline, f"{hit.score:.4f}", "; ".join(why))
    app.out.print(table)
    for hit in page.results[:3]:
        app.out.print(f"[bold]{hit.id}[/bold]: {_MARK.sub('', hit.snippet)}", highlight=False)


def related_command(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(help="Article id.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=50)] = 5,
    diversity: Annotated[float, typer.Option("--diversity", min=0.0, max=1.0)] = 0.3,
    recency: Annotated[
        float | None, typer.Option("--recency", help="Prefer newer articles: half-life in days.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Articles related to one article (nearest neighbours, shared entities and topics, diversified)."""
    app = state(ctx)
    hits = related(
        Searcher(app.store, app.settings),
        article_id,
        limit=limit,
        diversity=diversity,
        recency_half_life_days=recency,
    )
    if as_json:
        print(json.dumps({"id": article_id, "results": [h.to_dict() for h in hits]}, ensure_ascii=False))
        return
    table = Table(title=f"Related to {article_id}")
    for column in ("id", "headline", "score", "similarity", "shared"):
        table.add_column(column)
    for h in hits:
        shared = ", ".join([*h.shared_entities[:3], *h.shared_topics[:2]])
        table.add_row(h.id, h.headline, f"{h.score:.3f}", f"{h.similarity:.3f}", shared)
    app.out.print(table)


@index_app.command("rebuild")
def rebuild_command(ctx: typer.Context) -> None:
    """Rebuild the vector index (every stored article vector) and the full-text mirror."""
    app = state(ctx)
    searcher = Searcher(app.store, app.settings)
    stats, text = searcher.rebuild()
    app.out.print(f"indexed {stats.live} vectors ({stats.model}, {stats.kind}) in {stats.path}")
    if text is not None:
        app.out.print(f"indexed the text of {text.live} articles ({text.terms} terms) in {text.path}")


@index_app.command("status")
def status_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Bring the index in sync with the store and show its size."""
    app = state(ctx)
    searcher = Searcher(app.store, app.settings)
    added, removed = searcher.sync()
    stats = searcher.index.stats()
    info = {
        "model": stats.model,
        "kind": stats.kind,
        "vectors": stats.live,
        "tombstones": stats.tombstones,
        "dim": stats.dim,
        "path": stats.path,
        "synced": {"added": added, "removed": removed},
    }
    if searcher.text_index is not None:
        text = searcher.text_index.stats()
        info["text"] = {
            "articles": text.live,
            "terms": text.terms,
            "postings": text.postings,
            "path": text.path,
        }
    if as_json:
        print(json.dumps(info))
    else:
        for key, value in info.items():
            app.out.print(f"{key}: {value}", highlight=False)
