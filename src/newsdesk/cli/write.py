"""``newsdesk write brief|headlines`` and ``newsdesk ask``: the generative products, each checked."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from newsdesk.cli.articles import Section, Since, _date
from newsdesk.cli.context import AppState, state

if TYPE_CHECKING:
    from newsdesk.llm.output import ProductOutput

__all__ = ["ask_command", "write_app"]

write_app = typer.Typer(
    help="Machine-written newsletter briefs and headline ideas; every sentence checked against its sources.",
    no_args_is_help=True,
)

Provider = Annotated[
    str | None,
    typer.Option(
        "--provider", help="local, openai, bedrock or extractive (default: NEWSDESK_LLM__PROVIDER)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]

_MARKS = {"ok": "[green]ok[/]", "flagged": "[red]flagged[/]", "withheld": "[yellow]withheld[/]"}


def _writer(app: AppState, provider: str | None) -> Any:
    from newsdesk.llm.writer import Writer

    settings = app.settings
    if provider is not None:
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"provider": provider})})
    return Writer(settings, source="cli")


def _show(app: AppState, output: ProductOutput, as_json: bool) -> None:
    if as_json:
        print(json.dumps(output.to_dict(), ensure_ascii=False))
        return
    app.out.print(
        f"[bold]{output.product}[/] by {output.provider}:{output.model} ({output.prompt}, verifier "
        f"{output.verifier}, policy {output.policy}, {output.latency_ms:.0f} ms, "
        f"{output.usage.total_tokens} tokens{', cached' if output.cached else ''})"
    )
    if output.notice:
        app.out.print(f"[yellow]{output.notice}[/]")
    for item in output.items:
        app.out.print(f"{_MARKS[item.verdict]:>10}  [dim]{item.role}[/]  {item.text}", highlight=False)
        for claim in item.claims:
            if not claim.supported:
                app.out.print(f"            [red]unsupported:[/] {claim.text} ({'; '.join(claim.reasons)})")
            elif claim.evidence:
                ev = claim.evidence[0]
                app.out.print(
                    f"            [dim]evidence {ev.article_id}[{ev.start}:{ev.end}][/]", highlight=False
                )


@write_app.command("brief")
def brief_command(
    ctx: typer.Context,
    ids: Annotated[list[str], typer.Argument(help="Article ids (the first leads).")],
    provider: Provider = None,
    as_json: AsJson = False,
) -> None:
    """A newsletter brief: a one-sentence lede, why it matters, 2 to 4 bullets."""
    from newsdesk.llm.brief import write_brief

    app = state(ctx)
    articles = [app.store.get(i) for i in ids]
    writer = _writer(app, provider)
    try:
        _show(app, write_brief(writer, articles), as_json)
    finally:
        writer.close()


@write_app.command("headlines")
def headlines_command(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(help="The article id.")],
    n: Annotated[int, typer.Option("--n", min=1, max=20, help="How many ideas.")] = 5,
    kind: Annotated[
        str, typer.Option("--kind", help="headline or subject (an email subject line).")
    ] = "headline",
    provider: Provider = None,
    as_json: AsJson = False,
) -> None:
    """Headline or subject-line ideas within the length limit and style rules."""
    from newsdesk.llm.headlines import write_headlines

    app = state(ctx)
    article = app.store.get(article_id)
    writer = _writer(app, provider)
    try:
        _show(app, write_headlines(writer, article, n=n, kind=kind), as_json)  # type: ignore[arg-type]
    finally:
        writer.close()


def ask_command(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question.")],
    since: Since = None,
    section: Section = None,
    provider: Provider = None,
    as_json: AsJson = False,
) -> None:
    """Ask the archive: an answer from retrieved passages only, every sentence cited, or 'not in archive'."""
    from newsdesk.llm.ask import ask
    from newsdesk.search import Searcher

    app = state(ctx)
    writer = _writer(app, provider)
    try:
        output = ask(
            writer,
            Searcher(app.store, app.settings),
            question,
            since=_date("--since", since),
            section=section,
        )
        _show(app, output, as_json)
        if not as_json:
            for p in output.extra.get("passages", []):
                app.out.print(f"  [dim][{p['n']}] {p['article_id']}: {p['headline']}[/]", highlight=False)
    finally:
        writer.close()
