"""``newsdesk audit [--model NAME] [--action A]`` and ``newsdesk audit verify``: the lifecycle's audit trail.

Listing shows who did what to which model and why; ``verify`` checks the hash chain and exits 5 when an
entry was changed, removed, inserted or cut short.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from newsdesk.cli.context import state
from newsdesk.errors import AuditTampered
from newsdesk.lifecycle.audit import ACTIONS, AuditEntry, audit_log
from newsdesk.model_kinds import model_kinds

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The model lifecycle's audit trail: list entries, verify the hash chain.")


@audit_app.callback(invoke_without_command=True)
def list_entries(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Option("--model", help="Only this model's entries.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action: " + ", ".join(ACTIONS) + ".")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the audit entries, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    app = state(ctx)
    names = {model, f"newsdesk-{model}"} if model in model_kinds.names() else {model}  # a kind or its name
    entries = [e for e in audit_log(app.settings).entries(action=action) if model is None or e.model in names]
    if as_json:
        app.out.print_json(json.dumps([e.to_dict() for e in entries]))
        return
    app.out.print(_table(entries))


@audit_app.command("verify")
def verify(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the hash chain: exit 0 when it holds, 5 (and name every broken line) when it does not."""
    app = state(ctx)
    log = audit_log(app.settings)
    result = log.verify()
    if as_json:
        app.out.print_json(json.dumps({**result.to_dict(), "path": str(log.path)}))
    elif result.ok:
        head = result.head[:12] if result.head else "-"
        app.out.print(f"audit log OK: {result.entries} entries, head {head}", highlight=False)
    else:
        for problem in result.problems:
            app.out.print(problem, markup=False, highlight=False)
    if not result.ok:
        raise AuditTampered(f"audit log {log.path} does not verify: {len(result.problems)} problem(s)")


def _table(entries: list[AuditEntry]) -> Table:
    columns = ("seq", "at (UTC)", "actor", "action", "model", "version", "reason", "report")
    table = Table(*columns, title=f"{len(entries)} audit entries")
    for e in entries:
        reason = e.reason if e.reason is None or len(e.reason) <= 90 else e.reason[:89] + "…"  # --json: all
        cells = [e.at[:19].replace("T", " "), e.actor, e.action, e.model, e.version, reason]
        table.add_row(str(e.seq), *(escape(c or "") for c in cells), (e.report_hash or "")[:12])
    return table
