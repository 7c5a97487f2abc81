"""``newsdesk stories``: build stories from the archive (``build``), list them (``list``), show one
(``show``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.cli.context import state

__all__ = ["stories_app"]

stories_app = typer.Typer(help="Stories: articles about the same news event, grouped.", no_args_is_help=True)


@stories_app.command("build")
def build_command(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-cluster the archive from scratch.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add the archive's new articles to stories (incrementally; re-clusters when the version changed)."""
    from newsdesk.stories.build import build_stories

    app = state(ctx)
    summary = build_stories(app.settings, app.store, rebuild=rebuild).to_dict()
    if as_json:
        print(json.dumps(summary))
        return
    app.out.print(
        f"{summary['added']} articles added; {summary['stories']} stories ({summary['changed']} changed, "
        f"{summary['merges']} merges, {summary['splits']} splits) under story@{summary['version']} "
        f"in {summary['seconds']} s"
    )


@stories_app.command("list")
def list_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="A duration back from now (24h, 7d) or an ISO date.")
    ] = None,
    section: Annotated[str | None, typer.Option("--section")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Stories, most recently seen first."""
    from newsdesk.stories.service import list_stories

    app = state(ctx)
    found = list_stories(app.settings, app.store, since=since, section=section, limit=limit)
    if as_json:
        print(json.dumps(found))
        return
    table = Table("id", "label", "articles", "section", "first seen", "last seen")
    for s in found:
        table.add_row(
            s["id"],
            s["label"][:70],
            str(s["size"]),
            s["section"] or "",
            s["first_seen"][:16],
            s["last_seen"][:16],
        )
    app.out.print(table)


@stories_app.command("show")
def show_command(
    ctx: typer.Context,
    story_id: Annotated[str, typer.Argument(help="The story's id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The story: label, summary, entities, topics, its timeline and its merges and splits."""
    from newsdesk.stories.service import show_story

    app = state(ctx)
    s = show_story(app.settings, app.store, story_id)
    if as_json:
        print(json.dumps(s))
        return
    out = app.out
    out.print(
        f"[bold]{s['label']}[/] ({s['id']}, {s['size']} articles, "
        f"{s['first_seen'][:16]} .. {s['last_seen'][:16]})"
    )
    out.print(s["summary"])
    if s["entities"] or s["topics"]:
        out.print(f"entities: {', '.join(s['entities'])}; topics: {', '.join(s['topics'])}")
    table = Table("at", "source", "headline")
    for a in s["articles"]:
        table.add_row(a["at"][:16], a["source"] or "", (a["headline"] or a["id"])[:90])
    out.print(table)
    for e in s["events"]:
        out.print(
            f"{e['at'][:16]} {e['action']} {e['story_id']} <- {', '.join(e['others'])} "
            f"({len(e['articles'])} articles)"
        )
