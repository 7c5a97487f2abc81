"""``newsdesk readers``: load reader events from a file (``load``), show a reader's history (``history``),
forget a reader (``forget``) and delete events past retention (``purge``).

``load`` reads JSON lines (one event object per line, with the reader id the site knows) or a MIND
``behaviors.tsv``; events that are refused are reported with their line numbers, the others stored, and the
exit code is 3 when anything was refused (as ``newsdesk ingest``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from newsdesk.cli.context import AppState, state
from newsdesk.cli.errors import EXIT_REJECTED
from newsdesk.errors import UnreadableSource

__all__ = ["readers_app"]

readers_app = typer.Typer(
    help="Readers: their events, history, forgetting and retention.", no_args_is_help=True
)

_CHUNK = 10_000  # events added per transaction when loading MIND


@readers_app.command("load")
def load_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A JSON-lines file of events, or MIND's behaviors.tsv.")],
    format: Annotated[Literal["jsonl", "mind"], typer.Option("--format", help="jsonl or mind.")] = "jsonl",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Store the file's reader events (reader ids hashed); report the refused ones with their line."""
    app = state(ctx)
    report = _load_jsonl(app, file) if format == "jsonl" else _load_mind(app, file)
    if as_json:
        print(json.dumps(report))
    else:
        app.out.print(f"{report['accepted']} events stored, {len(report['rejected'])} refused")
        for r in report["rejected"][:100]:
            app.out.print(f"line {r['line']}: {r['field']}: {r['value']!r} refused; expected {r['reason']}")
        if report.get("skipped"):
            app.out.print(f"{report['skipped']} events skipped: their article is not in the archive")
    if report["rejected"] or report.get("skipped"):
        raise typer.Exit(EXIT_REJECTED)


def _lines(file: Path) -> list[tuple[int, str]]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableSource(f"cannot read {file}: {exc}") from exc
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _load_jsonl(app: AppState, file: Path) -> dict[str, Any]:
    from newsdesk.recommend.readers import record_events

    rejected: list[dict[str, Any]] = []
    parsed: list[tuple[int, Any]] = []
    for n, line in _lines(file):
        try:
            parsed.append((n, json.loads(line)))
        except json.JSONDecodeError:
            rejected.append({"line": n, "field": "line", "value": None, "reason": "one JSON object per line"})
    accepted = 0
    size = app.settings.recommend.max_batch_events
    for start in range(0, len(parsed), size):
        chunk = parsed[start : start + size]
        batch = record_events(app.settings, app.store, [obj for _, obj in chunk], source="jsonl")
        accepted += len(batch.accepted)
        rejected += [{"line": chunk[r.index][0], **r.to_dict()} for r in batch.rejected]
    rejected.sort(key=lambda r: r["line"])
    for r in rejected:
        r.pop("index", None)
    return {"accepted": accepted, "rejected": rejected}


def _load_mind(app: AppState, file: Path) -> dict[str, Any]:
    from newsdesk.recommend.mind import impression_events, read_behaviors
    from newsdesk.recommend.readers import known_articles
    from newsdesk.recommend.store import open_events

    salt = app.settings.recommend.salt.get_secret_value()
    events = impression_events(read_behaviors(file, salt=salt))
    known = known_articles(app.store, sorted({e.article_id for e in events}))
    kept = [e for e in events if e.article_id in known]
    store = open_events(app.store, app.settings.store_url)
    for start in range(0, len(kept), _CHUNK):
        store.add_events(kept[start : start + _CHUNK])
    return {"accepted": len(kept), "rejected": [], "skipped": len(events) - len(kept)}


@readers_app.command("history")
def history_command(
    ctx: typer.Context,
    reader_id: Annotated[str, typer.Argument(help="The reader's id as the site knows it.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The reader's latest reads (clicks, dwell, newsletter opens), newest first."""
    from newsdesk.recommend.readers import reader_history

    app = state(ctx)
    found = reader_history(app.settings, app.store, reader_id, limit=limit)
    if as_json:
        print(json.dumps(found))
        return
    table = Table("at", "kind", "article", "headline")
    for e in found:
        table.add_row(e["at"][:19], e["kind"], e["article_id"], (e["headline"] or "")[:80])
    app.out.print(table)


@readers_app.command("forget")
def forget_command(
    ctx: typer.Context,
    reader_id: Annotated[str, typer.Argument(help="The reader's id as the site knows it.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Delete everything kept of the reader (events, served slates, experiment events), at once."""
    from newsdesk.recommend.readers import forget_reader

    app = state(ctx)
    if not yes:
        typer.confirm("Delete everything kept of this reader?", abort=True)
    deleted = forget_reader(app.settings, app.store, reader_id)
    if as_json:
        print(json.dumps(deleted))
        return
    app.out.print("deleted: " + ", ".join(f"{n} {table}" for table, n in deleted.items()))


@readers_app.command("purge")
def purge_command(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Delete events and served slates older than recommend.retention_days."""
    from newsdesk.recommend.readers import purge_events

    app = state(ctx)
    done = purge_events(app.settings, app.store)
    if as_json:
        print(json.dumps(done))
        return
    deleted = ", ".join(f"{n} {table}" for table, n in done["deleted"].items())
    app.out.print(f"deleted what was older than {done['before'][:19]}: {deleted}")
