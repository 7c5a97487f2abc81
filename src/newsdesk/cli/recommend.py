"""``newsdesk recommend``: a slate for one reader (``newsdesk recommend READER``), what readers of an article
also read (``also-read``), and a batch of newsletter slates (``newsletter``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from newsdesk.cli.context import state

__all__ = ["recommend_app"]


class _ReaderByDefault(TyperGroup):
    """``newsdesk recommend READER`` means ``newsdesk recommend for READER``: a first word that is not a
    subcommand is a reader id."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["for", *args]
        return super().resolve_command(ctx, args)


recommend_app = typer.Typer(
    cls=_ReaderByDefault,
    help="Reader recommendations: newsdesk recommend READER, also-read ARTICLE, newsletter --readers FILE.",
    no_args_is_help=True,
)


@recommend_app.command("for")
def for_command(
    ctx: typer.Context,
    reader: Annotated[str, typer.Argument(help="The reader's id (as the site knows it; hashed before use).")],
    n: Annotated[int | None, typer.Option("--n", min=1, max=100, help="Slate size.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A slate of articles for one reader ("more for you")."""
    from newsdesk.recommend.service import Recommendations, recommend_for

    app = state(ctx)
    out = recommend_for(Recommendations(app.settings, app.store, _champions(app)), reader, n=n)
    _print(app, out, as_json)


@recommend_app.command("also-read")
def also_read_command(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(help="The article's id.")],
    n: Annotated[int, typer.Option("--n", min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What readers of an article also read."""
    from newsdesk.recommend.service import Recommendations, also_read

    app = state(ctx)
    _print(
        app, also_read(Recommendations(app.settings, app.store, _champions(app)), article_id, n=n), as_json
    )


@recommend_app.command("newsletter")
def newsletter_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="JSON lines, one slate per reader (appended).")],
    readers: Annotated[
        Path | None,
        typer.Option(
            "--readers",
            exists=True,
            dir_okay=False,
            help="Reader ids, one per line (default: every reader active within the retention period, by "
            "hashed id).",
        ),
    ] = None,
    n: Annotated[int | None, typer.Option("--n", min=1, max=100)] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One slate per reader for a newsletter send; resumable (readers already in --out are skipped)."""
    from rich.progress import Progress

    from newsdesk.recommend.service import Recommendations, newsletter

    app = state(ctx)
    ids = None
    if readers is not None:
        ids = [line.strip() for line in readers.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine = Recommendations(app.settings, app.store, _champions(app))
    with Progress(console=app.err, disable=as_json) as bar:
        task = bar.add_task("slates", total=None if ids is None else len(ids))
        report = newsletter(engine, ids, out, n=n, progress=lambda k: bar.advance(task, k))
    if as_json:
        print(json.dumps(report.to_dict()))
        return
    app.out.print(
        f"{report.written} slates written to {report.out} ({report.skipped} already there, "
        f"{len(report.rejected)} readers rejected) in {report.seconds:.1f} s"
    )
    for r in report.rejected[:20]:
        app.out.print(f"  rejected reader #{r['index']}: {r['reason']}")


@recommend_app.command("quality")
def quality_command(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="A duration back from now (24h, 7d) or an ISO date.")
    ] = "7d",
    window: Annotated[
        float, typer.Option("--window-hours", min=0.1, help="Hours a read is credited.")
    ] = 24.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Live quality of served slates per product and model version: reads credited, CTR, coverage,
    topic diversity."""
    from newsdesk.recommend.quality import live_quality
    from newsdesk.stories.service import parse_since

    app = state(ctx)
    report = live_quality(app.settings, app.store, since=parse_since(since), window_hours=window)
    if as_json:
        print(json.dumps(report))
        return
    app.out.print(
        f"slates served {report['since'][:16]} .. {report['until'][:16]} ({report['catalogue']} articles)"
    )
    table = Table(
        "product",
        "model",
        "slates",
        "readers",
        "shown",
        "reads",
        "CTR",
        "slate CTR",
        "coverage",
        "one-topic",
        "diversity",
    )
    for r in report["models"]:
        table.add_row(
            r["product"],
            r["model"],
            str(r["slates"]),
            str(r["readers"]),
            str(r["shown"]),
            str(r["reads"]),
            f"{r['ctr']:.3f}",
            f"{r['slate_ctr']:.3f}",
            f"{r['coverage']:.3f}",
            _fmt(r["single_topic_share"]),
            _fmt(r["topic_diversity"]),
        )
    app.out.print(table)


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _champions(app: Any) -> Any:
    from newsdesk.lifecycle.serving import Champions

    return Champions(app.settings)


def _print(app: Any, out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(out))
        return
    app.out.print(f"[bold]{out['product']}[/] by {out['model']}")
    table = Table("#", "article", "headline", "section", "why")
    for k, item in enumerate(out["items"], 1):
        table.add_row(
            str(k), item["article_id"], item["headline"][:60], item["section"] or "", item["reason"]
        )
    app.out.print(table)
