"""``newsdesk demo``"""

from __future__ import annotations

import typer

from newsdesk.cli.context import state
from newsdesk.demo import build_demo

__all__ = ["demo_command"]


def demo_command(ctx: typer.Context) -> None:
    """Build the demo newsroom from the bundled BBC News corpus (2,225 files, 2004-2005)."""
    app = state(ctx)
    report = build_demo(app.settings, app.store)
    app.out.print(
        f"demo newsroom at [bold]{app.settings.home}[/]: {report.inserted} inserted, "
        f"{report.unchanged} unchanged, {len(report.duplicates)} duplicates skipped, "
        f"{report.rejected} rejected"
    )
    sections = ", ".join(f"{name} {n}" for name, n in app.store.sections().items())
    app.out.print(f"{app.store.count()} articles stored; sections: {sections}")
    app.out.print("next: newsdesk articles list --section tech | newsdesk articles show bbc:tech/001")
