"""The ``newsdesk`` Typer app: global options, command groups, and the one place errors become exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from newsdesk import __version__
from newsdesk.cli.articles import articles_app
from newsdesk.cli.audit import audit_app
from newsdesk.cli.context import AppState
from newsdesk.cli.demo import demo_command
from newsdesk.cli.enrich import enrich_command, eval_command
from newsdesk.cli.entities import entities_app
from newsdesk.cli.errors import exit_code
from newsdesk.cli.experiments import experiments_app
from newsdesk.cli.export import export_command
from newsdesk.cli.ingest import ingest_command
from newsdesk.cli.keys import keys_app
from newsdesk.cli.models import models_app, train_command
from newsdesk.cli.monitor import feedback_app, monitor_app
from newsdesk.cli.readers import readers_app
from newsdesk.cli.recommend import recommend_app
from newsdesk.cli.search import index_app, related_command, search_command
from newsdesk.cli.serve import serve_command
from newsdesk.cli.status import status_command
from newsdesk.cli.stories import stories_app
from newsdesk.cli.trends import trends_command
from newsdesk.cli.write import ask_command, write_app
from newsdesk.errors import NewsdeskError

__all__ = ["app", "main"]


class _Group(TyperGroup):
    """Library errors become one clear line on stderr and their exit code, however the app is invoked."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsdeskError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exit_code(exc)) from exc


app = typer.Typer(
    cls=_Group,
    name="newsdesk",
    help="Build, ship and govern ML data products on a newsroom's archive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"newsdesk {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="NEWSDESK_HOME", help="Workspace folder (default ./.newsdesk)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """newsdesk: build, ship and govern ML data products on a newsroom's archive."""
    ctx.obj = AppState(home=home)
    ctx.call_on_close(ctx.obj.close)


app.command("ingest")(ingest_command)
app.command("demo")(demo_command)
app.command("enrich")(enrich_command)
app.command("status")(status_command)
app.command("eval")(eval_command)
app.add_typer(articles_app, name="articles")
app.command("export")(export_command)
app.add_typer(keys_app, name="keys")
app.command("serve")(serve_command)
app.command("search")(search_command)
app.command("related")(related_command)
app.command("trends")(trends_command)
app.add_typer(index_app, name="index")
app.command("train")(train_command)
app.add_typer(models_app, name="models")
app.add_typer(audit_app, name="audit")
app.add_typer(monitor_app, name="monitor")
app.add_typer(feedback_app, name="feedback")
app.add_typer(write_app, name="write")
app.command("ask")(ask_command)
app.add_typer(experiments_app, name="experiments")
app.add_typer(entities_app, name="entities")
app.add_typer(stories_app, name="stories")
app.add_typer(readers_app, name="readers")
app.add_typer(recommend_app, name="recommend")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``newsdesk`` command."""
    app(args=argv)


if __name__ == "__main__":  # pragma: no cover
    main()
