"""``newsdesk articles list|show|export``"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.table import Table

from newsdesk.articles.model import Article
from newsdesk.articles.ninjs import to_ninjs
from newsdesk.artifacts import publish
from newsdesk.cli.context import state
from newsdesk.errors import InvalidInput
from newsdesk.store import ArticleFilter

__all__ = ["articles_app"]

articles_app = typer.Typer(help="Browse and export stored articles.", no_args_is_help=True)

Section = Annotated[str | None, typer.Option("--section", help="Only this section.")]
Source = Annotated[str | None, typer.Option("--source", help="Only this source.")]
Since = Annotated[str | None, typer.Option("--since", help="Published on or after (ISO date).")]
Until = Annotated[str | None, typer.Option("--until", help="Published before (ISO date).")]


def article_filter(
    section: str | None, source: str | None, since: str | None, until: str | None
) -> ArticleFilter:
    """The filter of the --section, --source, --since and --until options."""
    return ArticleFilter(
        section=section, source=source, since=_date("--since", since), until=_date("--until", until)
    )


def _date(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(option, value, "an ISO date such as 2005-03-01") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


@articles_app.command("list")
def list_articles(
    ctx: typer.Context,
    section: Section = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 20,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Newest articles first."""
    app = state(ctx)
    filt = article_filter(section, source, since, until)
    rows = app.store.list_articles(filt, limit=limit, offset=offset)
    total = app.store.count(filt)
    if as_json:
        app.out.print_json(
            json.dumps(
                {
                    "total": total,
                    "articles": [
                        {
                            "id": a.id,
                            "headline": a.headline,
                            "section": a.section,
                            "source": a.source,
                            "published_at": a.published_at.isoformat() if a.published_at else None,
                        }
                        for a in rows
                    ],
                }
            )
        )
        return
    table = Table("id", "published", "section", "headline", title=f"{total} articles")
    for a in rows:
        table.add_row(
            a.id,
            a.published_at.date().isoformat() if a.published_at else "",
            a.section or "",
            a.headline[:90],
        )
    app.out.print(table)


@articles_app.command("show")
def show(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One article with its enrichments and revision history."""
    app = state(ctx)
    article = app.store.get(article_id)
    revisions = app.store.revisions(article_id)
    if as_json:
        data = article.model_dump(mode="json")
        data["revisions"] = [
            {
                "revision": r.revision,
                "content_hash": r.content_hash,
                "replaced_at": r.replaced_at.isoformat(),
            }
            for r in revisions
        ]
        app.out.print_json(json.dumps(data))
        return
    _print_article(app.out, article, len(revisions))


def _print_article(console: object, a: Article, n_revisions: int) -> None:
    from rich.console import Console

    assert isinstance(console, Console)
    console.print(f"[bold]{a.headline}[/]")
    meta = [
        ("id", a.id),
        ("source", a.source),
        ("section", a.section),
        ("published", a.published_at),
        ("byline", a.byline),
        ("url", a.url),
        ("language", a.language),
        ("keywords", ", ".join(a.keywords)),
        ("subjects", ", ".join(s.label() for s in a.subjects)),
        ("revision", f"{a.revision} ({n_revisions} earlier kept)"),
    ]
    for key, value in meta:
        if value:
            console.print(f"[dim]{key:>10}[/] {value}")
    console.print()
    console.print(a.body)
    if a.enrichments:
        console.print()
        table = Table("component@version", "value", "confidence", title="Enrichments")
        for e in a.enrichments.values():
            table.add_row(
                e.ref,
                _describe(e.value),
                "" if e.confidence is None else f"{e.confidence:.2f}",
            )
        console.print(table)


def _describe(value: object, limit: int = 300) -> str:
    """A readable line for an enrichment value: names of listed things, the main field of an object."""
    text: str
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                name = next((item[k] for k in ("label", "name", "phrase", "id") if k in item), None)
                score = next(
                    (item[k] for k in ("confidence", "score", "jaccard", "mentions") if k in item), None
                )
                if name is None:
                    parts.append(json.dumps(item, ensure_ascii=False))
                elif isinstance(score, float):
                    parts.append(f"{name} ({score:.2f})")
                elif score is not None:
                    parts.append(f"{name} ({score})")
                else:
                    parts.append(str(name))
            else:
                parts.append(str(item))
        text = "; ".join(parts) or "(none)"
    elif isinstance(value, dict):
        for key in ("sentences", "section", "language", "minutes"):
            if key in value:
                main = value[key]
                text = " ".join(main) if isinstance(main, list) else str(main)
                rest = {
                    k: v
                    for k, v in value.items()
                    if k not in (key, "indices", "probabilities", "explanation")
                }
                if "explanation" in value:
                    rest["because"] = value["explanation"]
                text = f"{text} {json.dumps(rest, ensure_ascii=False)}" if rest else text
                break
        else:
            text = json.dumps(value, ensure_ascii=False)
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@articles_app.command("export")
def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help="ninjs or jsonl")] = "jsonl",
    ninjs_version: Annotated[str, typer.Option("--ninjs-version", help="2 or 3")] = "2",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default stdout).")] = None,
    section: Section = None,
    source: Source = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Write articles as JSON Lines: newsdesk's own fields, or one ninjs document per line. A file given
    with --out is also copied to exports/<name> in the artifact store when NEWSDESK_ARTIFACTS__URL is set."""
    app = state(ctx)
    if format not in ("ninjs", "jsonl"):
        raise InvalidInput("--format", format, "ninjs or jsonl")
    if ninjs_version not in ("2", "3"):
        raise InvalidInput("--ninjs-version", ninjs_version, "2 or 3")
    filt = article_filter(section, source, since, until)
    count = 0
    handle: TextIO = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        for article in app.store.iter_articles(filt):
            doc = to_ninjs(article, ninjs_version) if format == "ninjs" else _plain(article)
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if out:
            handle.close()
    if out:
        app.err.print(f"exported {count} articles to {out}")
        copied = publish(app.settings, out, "exports")
        if copied:
            app.err.print(f"copied to {copied}")


def _plain(article: Article) -> dict[str, object]:
    """The ingestable fields only, so an export re-ingests as ``unchanged`` (same ids and hashes)."""
    return {"source": article.source, **article.content_fields()}
