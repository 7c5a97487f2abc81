"""Workspaces that outlive one test name their own store database in ``<home>/store-url`` on the PostgreSQL
run (``conftest.pinned_home``); these read it back."""

from __future__ import annotations

from pathlib import Path

from newsdesk.settings import Settings


def pinned_url(home: Path) -> str | None:
    """The store URL the workspace was made with, else ``None`` (the SQLite default)."""
    pinned = home / "store-url"
    return pinned.read_text() if pinned.exists() else None


def pinned_settings(home: Path) -> Settings:
    """Settings of the workspace, on its own database."""
    return Settings(home=home, store={"url": pinned_url(home)})
