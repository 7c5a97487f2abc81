"""``newsdesk entities``: the archive's entity pages (``list``, ``show``) and editors' corrections
(``merge``, ``split``, ``rename``; kept as ``entity-page`` feedback, so later builds respect them)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from newsdesk.cli.context import state

__all__ = ["entities_app"]

entities_app = typer.Typer(
    help="Entity pages: people, organisations and places across the archive; merge, split, rename.",
    no_args_is_help=True,
)

Actor = Annotated[str | None, typer.Option("--actor", envvar="NEWSDESK_ACTOR", help="Who.")]
AsJson = Annotated[bool, typer.Option("--json")]


def _actor(actor: str | None) -> str:
    from newsdesk.lifecycle.audit import default_actor

    return actor or default_actor()


def _print_page(ctx: typer.Context, page: Any, as_json: bool, articles: list[str] | None = None) -> None:
    out = state(ctx).out
    data = page.to_dict()
    if articles is not None:
        data["article_ids"] = articles
    if as_json:
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    out.print(f"[bold]{escape(page.name)}[/bold]  {page.id}  ({page.type})")
    seen = f"; seen {page.first_seen} .. {page.last_seen}" if page.first_seen else " (undated articles)"
    out.print(f"articles {page.articles}, mentions {page.mentions}{seen}")
    out.print("aliases: " + escape(", ".join(page.aliases[:15]) or "-"))
    out.print("members: " + ", ".join(page.members))
    if page.cooccurring:
        out.print("with: " + escape(", ".join(f"{c['name']} ({c['articles']})" for c in page.cooccurring)))
    if page.timeline:
        out.print("timeline: " + ", ".join(f"{k} {v}" for k, v in page.timeline.items()))
    if articles:
        out.print("latest articles: " + ", ".join(articles[:10]))


@entities_app.command("list")
def list_command(
    ctx: typer.Context,
    type_: Annotated[str | None, typer.Option("--type", help="person, organisation or place.")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Name or alias contains.")] = None,
    min_articles: Annotated[int, typer.Option("--min-articles", min=1)] = 1,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    as_json: AsJson = False,
) -> None:
    """Entities by article count, most first."""
    from newsdesk.entities import build_entity_pages

    app = state(ctx)
    pages = build_entity_pages(app.settings, app.store).list(
        type=type_, query=query, min_articles=min_articles, limit=limit
    )
    if as_json:
        app.out.print_json(json.dumps([p.to_dict() for p in pages], ensure_ascii=False))
        return
    table = Table("id", "name", "type", "articles", "mentions", "aliases")
    for p in pages:
        table.add_row(
            p.id, escape(p.name), p.type, str(p.articles), str(p.mentions), escape(", ".join(p.aliases[:4]))
        )
    app.out.print(table)


@entities_app.command("show")
def show_command(
    ctx: typer.Context,
    entity_id: Annotated[str, typer.Argument(metavar="ID", help="A canonical id, or an id it groups.")],
    period: Annotated[str, typer.Option("--period", help="The timeline's buckets: month or week.")] = "month",
    as_json: AsJson = False,
) -> None:
    """One entity's page: aliases, counts, first and last seen, co-occurring entities, timeline."""
    from newsdesk.entities import build_entity_pages

    app = state(ctx)
    pages = build_entity_pages(app.settings, app.store, period=period)
    _print_page(ctx, pages.get(entity_id), as_json, pages.article_ids(entity_id))


@entities_app.command("merge")
def merge_command(
    ctx: typer.Context,
    entity_id: Annotated[str, typer.Argument(metavar="ID")],
    into: Annotated[str, typer.Argument(metavar="INTO", help="The entity it is one with.")],
    actor: Actor = None,
    as_json: AsJson = False,
) -> None:
    """Record that two entities are one; later builds keep them merged."""
    from newsdesk.entities import merge_entities

    app = state(ctx)
    _print_page(ctx, merge_entities(app.settings, app.store, entity_id, into, actor=_actor(actor)), as_json)


@entities_app.command("split")
def split_command(
    ctx: typer.Context,
    entity_id: Annotated[str, typer.Argument(metavar="ID")],
    member: Annotated[str, typer.Argument(metavar="MEMBER", help="The grouped id that is another entity.")],
    actor: Actor = None,
    as_json: AsJson = False,
) -> None:
    """Record that MEMBER is not this entity; later builds keep it apart. Shows MEMBER's own page."""
    from newsdesk.entities import split_entity

    app = state(ctx)
    _print_page(ctx, split_entity(app.settings, app.store, entity_id, member, actor=_actor(actor)), as_json)


@entities_app.command("rename")
def rename_command(
    ctx: typer.Context,
    entity_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Argument(metavar="NAME")],
    actor: Actor = None,
    as_json: AsJson = False,
) -> None:
    """Record the name an entity is shown with (its id stays)."""
    from newsdesk.entities import rename_entity

    app = state(ctx)
    _print_page(ctx, rename_entity(app.settings, app.store, entity_id, name, actor=_actor(actor)), as_json)
