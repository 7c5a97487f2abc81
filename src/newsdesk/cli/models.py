"""``newsdesk train`` and ``newsdesk models list|evaluate|promote|rollback|card|shadow``: the model lifecycle.

Who did it: the name of the API key given with ``--api-key`` (or ``NEWSDESK_API_KEY``), else
``NEWSDESK_ACTOR`` or the operating-system user. Forcing a promotion past failed gates needs an admin key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from newsdesk.auth import Role, verify_key
from newsdesk.cli.context import AppState, state
from newsdesk.errors import InvalidInput, PermissionDenied

__all__ = ["models_app", "train_command"]

models_app = typer.Typer(
    help="Registered models: list, evaluate against the gates, promote, roll back, model cards, shadow.",
    no_args_is_help=True,
)

ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="NEWSDESK_API_KEY", help="Your API key: names you in the audit trail."),
]


def _caller(app: AppState, secret: str | None) -> tuple[str, Role | None]:
    from newsdesk.lifecycle.audit import default_actor

    if not secret:
        return default_actor(), None
    key = verify_key(app.store, secret)
    if key is None or not key.active:
        raise PermissionDenied("the API key is unknown or revoked")
    return f"key:{key.name or key.id}", key.role


def _params(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidInput("--param", item, "KEY=VALUE (VALUE read as JSON when it parses, else text)")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def train_command(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="sections or ner.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Training data (sections: labelled articles, any ingest format; default "
            "the stored articles with a section. ner: a CoNLL file; default CoNLL-2003 eng.train).",
        ),
    ] = None,
    dev: Annotated[
        Path | None,
        typer.Option("--dev", help="Evaluation set (default: sections hold out 20%; ner uses eng.testa)."),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Model parameter KEY=VALUE (repeatable).")
    ] = None,
    api_key: ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Train a model, evaluate it, log it to MLflow and register a new version (not promoted)."""
    import sys

    from newsdesk.lifecycle.registry import kind_of, model_name
    from newsdesk.lifecycle.train import train_model
    from newsdesk.model_kinds import model_kinds

    app = state(ctx)
    actor, _ = _caller(app, api_key)
    name = model_name(kind)
    trains_from_store = model_kinds.get(kind_of(name)).spec_class().trains_from_store
    store = app.store if trains_from_store and data is None else None
    result = train_model(
        app.settings,
        name,
        actor=actor,
        data=data,
        dev=dev,
        store=store,
        params=_params(param or []),
        log=sys.stderr,
    )
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        return
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
    app.out.print(f"registered [bold]{result.ref}[/] in {result.seconds:.0f} s: {metrics}")
    app.out.print(f"next: newsdesk models evaluate {name} {result.version}")


@models_app.command("list")
def list_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Registered models, their versions, aliases and gate status."""
    from newsdesk.lifecycle.promote import list_models

    app = state(ctx)
    models = list_models(app.settings)
    if as_json:
        print(json.dumps(models, indent=2))
        return
    for model in models:
        table = Table("version", "aliases", "gates", "created", "run", title=model["name"])
        for v in model["versions"]:
            table.add_row(
                v["version"],
                ", ".join(v["aliases"]),
                v["gates"] or "not evaluated",
                v["created"],
                (v["run_id"] or "")[:12],
            )
        app.out.print(table)
    if not models:
        app.out.print("no registered models yet: newsdesk train sections|ner")


@models_app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    version: Annotated[str, typer.Argument()],
    data: Annotated[Path | None, typer.Option("--data", help="Evaluate on this set instead.")] = None,
    api_key: ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate a version and the champion on the same set; write the gate report (JSON and Markdown)."""
    from newsdesk.lifecycle.evaluation import evaluate_version, report_dir

    app = state(ctx)
    actor, _ = _caller(app, api_key)
    report = evaluate_version(app.settings, name, version, actor=actor, data=data)
    if as_json:
        print(report.to_json())
        return
    app.out.print(escape(report.summary()))
    folder = report_dir(app.settings, report.model, report.version)
    app.out.print(f"report: {folder / 'gates.md'} and gates.json (sha256 {report.sha256[:12]})")


@models_app.command("promote")
def promote_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    version: Annotated[str, typer.Argument()],
    force: Annotated[bool, typer.Option("--force", help="Override failed gates (admin key only).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required with --force).")] = None,
    api_key: ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make a version the champion, if its gates pass against the current champion."""
    from newsdesk.lifecycle.promote import promote

    app = state(ctx)
    actor, role = _caller(app, api_key)
    result = promote(app.settings, name, version, actor=actor, role=role, force=force, reason=reason)
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    how = "FORCED past failed gates" if result.forced else "gates passed"
    app.out.print(f"{result.model}@{result.version} is the champion ({how}; was {result.previous or 'none'})")


@models_app.command("rollback")
def rollback_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    api_key: ApiKeyOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Give the champion alias back to the previous champion."""
    from newsdesk.lifecycle.promote import rollback

    app = state(ctx)
    actor, _ = _caller(app, api_key)
    result = rollback(app.settings, name, actor=actor, reason=reason)
    if as_json:
        print(json.dumps(result.to_dict()))
        return
    app.out.print(f"{result.model}@{result.version} is the champion again (was {result.previous})")


@models_app.command("shadow")
def shadow_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    version: Annotated[str | None, typer.Argument(help="Version to shadow; leave out with --clear.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Stop shadowing.")] = False,
    api_key: ApiKeyOption = None,
) -> None:
    """Run a version as the challenger in shadow beside the champion (disagreements are logged)."""
    from newsdesk.lifecycle.promote import set_challenger

    if (version is None) != clear:
        raise InvalidInput("version", version, "a version to shadow, or --clear (not both)")
    app = state(ctx)
    actor, _ = _caller(app, api_key)
    set_challenger(app.settings, name, version, actor=actor)
    app.out.print("shadowing stopped" if clear else f"{name} version {version} now runs in shadow")


@models_app.command("card")
def card_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    version: Annotated[str, typer.Argument()],
    fmt: Annotated[str, typer.Option("--format", help="markdown, html or json.")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
) -> None:
    """Render a version's model card."""
    from newsdesk.lifecycle.cards import CARD_FORMATS, model_card, render_card, write_card

    if fmt not in CARD_FORMATS:
        raise InvalidInput("--format", fmt, ", ".join(CARD_FORMATS))
    settings = state(ctx).settings
    card = model_card(settings, name, version)
    if output is not None:
        copied = write_card(settings, card, fmt, output)
        print(output if copied is None else f"{output}\ncopied to {copied}")
    else:
        print(render_card(card, fmt))
