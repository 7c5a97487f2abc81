"""``newsdesk keys create|list|revoke``: the service's API keys.

A key's secret is printed once, by ``create``; the store keeps only its hash, so it cannot be shown again
(revoke it and create another).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from newsdesk.auth import ApiKey, create_key, list_keys, revoke_key
from newsdesk.cli.context import state

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Create, list and revoke API keys of the service.", no_args_is_help=True)


def _public(key: ApiKey) -> dict[str, object]:
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role.label,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


@keys_app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="reader, editor or admin.")],
    name: Annotated[str, typer.Option("--name", help="Who or what the key is for.")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a key and print its secret, once."""
    app = state(ctx)
    key, secret = create_key(app.store, role, name=name)
    if as_json:
        print(json.dumps({**_public(key), "key": secret}))
        return
    app.err.print(f"created key [bold]{key.id}[/] ({key.role.label}{', ' + key.name if key.name else ''})")
    print(secret)
    app.err.print("store it now: it is not shown again (send it as the X-API-Key header)")


@keys_app.command("list")
def list_(
    ctx: typer.Context,
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked keys.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every key (never the secrets: they are not stored)."""
    app = state(ctx)
    keys = list_keys(app.store, include_revoked=not active)
    if as_json:
        app.out.print_json(json.dumps([_public(k) for k in keys]))
        return
    table = Table("id", "role", "name", "created", "last used", "revoked", title=f"{len(keys)} API keys")
    for k in keys:
        table.add_row(
            k.id,
            k.role.label,
            k.name,
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "",
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    app.out.print(table)


@keys_app.command("revoke")
def revoke(ctx: typer.Context, key_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke a key: requests with it are refused from now on."""
    app = state(ctx)
    key = revoke_key(app.store, key_id)
    app.out.print(f"revoked key {key.id} ({key.role.label}{', ' + key.name if key.name else ''})")
