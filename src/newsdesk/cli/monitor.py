"""``newsdesk monitor check|report|predictions`` and ``newsdesk feedback add|list``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from newsdesk.cli.context import state
from newsdesk.errors import InvalidInput

__all__ = ["feedback_app", "monitor_app"]

monitor_app = typer.Typer(
    help="Drift, live quality, alerts, the prediction log and reports.", no_args_is_help=True
)
feedback_app = typer.Typer(help="Editors' feedback on sections, tags and entities.", no_args_is_help=True)


def _when(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            field, value, "an ISO 8601 date or time with a timezone, e.g. 2026-01-31T00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(field, value, "a time with a timezone (e.g. +00:00 or Z)")
    return parsed


@monitor_app.command("check")
def check_command(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Option("--model", help="sections, iptc or entities (default all).")
    ] = None,
    window: Annotated[str, typer.Option("--window", help="Current window: 7d, 24h, 2w...")] = "7d",
    until: Annotated[
        str | None, typer.Option("--until", help="End of the current window (default now).")
    ] = None,
    reference_since: Annotated[str | None, typer.Option("--reference-since")] = None,
    reference_until: Annotated[str | None, typer.Option("--reference-until")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Test drift and live quality; exit 1 (and alert) when a threshold is crossed."""
    from newsdesk.monitor.checks import run_checks

    app = state(ctx)
    report = run_checks(
        app.settings,
        app.store,
        model=model,
        window=window,
        until=_when(until, "until"),
        reference_since=_when(reference_since, "reference_since"),
        reference_until=_when(reference_until, "reference_until"),
    )
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        table = Table("check", "status", "value", "threshold", "message", "what to do")
        for c in report.checks:
            status = f"[red]{c.status}[/]" if c.status == "alert" else c.status
            table.add_row(
                c.name,
                status,
                "" if c.value is None else f"{c.value:.3g}",
                "" if c.threshold is None else f"{c.threshold:.3g}",
                escape(c.message),
                escape(c.action),
            )
        app.out.print(
            f"current {report.current['since']} .. {report.current['until']} ({report.current['articles']} "
            f"articles) vs reference {report.reference['since']} .. {report.reference['until']} "
            f"({report.reference['articles']} articles)"
        )
        app.out.print(table)
    if report.alerting:
        raise typer.Exit(1)


@monitor_app.command("report")
def report_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Run a drift check for the report.")
    ] = True,
    window: Annotated[str, typer.Option("--window")] = "7d",
    days: Annotated[int, typer.Option("--days", min=1, help="History shown in the charts.")] = 30,
) -> None:
    """Write a self-contained HTML report (charts of drift, predictions and live precision)."""
    from newsdesk.artifacts import artifact_uri
    from newsdesk.monitor.checks import run_checks
    from newsdesk.monitor.report import write_report

    app = state(ctx)
    result = run_checks(app.settings, app.store, window=window, notify=False) if check else None
    path = write_report(app.settings, app.store, out, check=result, days=days)
    app.out.print(f"wrote {path}")
    copied = artifact_uri(app.settings, "reports", path)
    if copied:
        app.out.print(f"copied to {copied}")


@monitor_app.command("predictions")
def predictions_command(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model")] = None,
    source: Annotated[str | None, typer.Option("--source", help="api or pipeline.")] = None,
    since: Annotated[str | None, typer.Option("--since")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 20,
    summary: Annotated[bool, typer.Option("--summary", help="Counts per model version instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Query the prediction log (newest first)."""
    from newsdesk.monitor.predictions import prediction_log

    app = state(ctx)
    log = prediction_log(app.settings)
    if log is None:
        raise InvalidInput("monitor.log_predictions", False, "true to have a prediction log to query")
    if summary:
        rows = log.summary(since=_when(since, "since"))
        print(json.dumps(rows, indent=2, default=str)) if as_json else app.out.print_json(json.dumps(rows))
        return
    found = log.query(model=model, source=source, since=_when(since, "since"), limit=limit)
    if as_json:
        print(json.dumps([p.to_dict() for p in found], indent=2, default=str))
        return
    table = Table("at", "source", "model", "article", "words", "confidence", "output")
    for p in found:
        table.add_row(
            p.at,
            p.source,
            p.ref,
            p.article_id or "",
            str(p.input_words),
            "" if p.confidence is None else f"{p.confidence:.3f}",
            escape(json.dumps(p.output)[:80]),
        )
    app.out.print(table)


@feedback_app.command("add")
def feedback_add(
    ctx: typer.Context,
    article_id: Annotated[str, typer.Argument(metavar="ARTICLE_ID")],
    kind: Annotated[str, typer.Option("--kind", help="section, tag, entity, or a plug-in's kind.")],
    action: Annotated[str, typer.Option("--action", help="accept, reject or correct.")],
    value: Annotated[str, typer.Option("--value", help="The shown value (section, tag qcode, entity id).")],
    correction: Annotated[str | None, typer.Option("--correction", help="The right value (correct).")] = None,
    actor: Annotated[str | None, typer.Option("--actor", envvar="NEWSDESK_ACTOR", help="Who.")] = None,
) -> None:
    """Record an editor's judgement of a shown section, tag or entity."""
    from newsdesk.lifecycle.audit import default_actor
    from newsdesk.monitor.feedback import record_feedback

    app = state(ctx)
    item = record_feedback(
        app.store,
        article_id,
        kind=kind,
        action=action,
        value=value,
        correction=correction,
        actor=actor or default_actor(),
    )
    app.out.print(
        f"feedback {item.id}: {item.action} {item.kind} '{escape(item.value)}' on {item.article_id}"
    )


@feedback_app.command("list")
def feedback_list(
    ctx: typer.Context,
    article_id: Annotated[str | None, typer.Option("--article")] = None,
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    quality: Annotated[bool, typer.Option("--quality", help="Precision per model version instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List feedback, or live precision per model version (--quality)."""
    from newsdesk.monitor.feedback import live_precision

    app = state(ctx)
    if quality:
        rows = live_precision(app.store, kind=kind, period="all")
        print(json.dumps(rows, indent=2))
        return
    items = app.store.list_feedback(article_id=article_id, kind=kind)
    if as_json:
        print(json.dumps([i.to_dict() for i in items], indent=2))
        return
    table = Table("id", "at", "article", "kind", "action", "value", "correction", "model", "actor")
    for i in items:
        table.add_row(
            str(i.id),
            i.created_at.isoformat(timespec="seconds"),
            i.article_id,
            i.kind,
            i.action,
            escape(i.value),
            escape(i.correction or ""),
            i.model or "",
            escape(i.actor),
        )
    app.out.print(table)
