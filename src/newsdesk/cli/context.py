"""What every command gets: the settings (built once, from --home and the environment) and a store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from newsdesk.settings import Settings
from newsdesk.store import Backend, open_store

__all__ = ["AppState", "state"]


@dataclass
class AppState:
    home: Path | None = None
    _settings: Settings | None = None
    _store: Backend | None = None
    out: Console = field(default_factory=lambda: Console(soft_wrap=True))
    err: Console = field(default_factory=lambda: Console(stderr=True))

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings(home=self.home) if self.home else Settings()
        return self._settings

    @property
    def store(self) -> Backend:
        if self._store is None:
            self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj
