"""Article stores: the protocol and its backends, chosen by settings."""

from __future__ import annotations

from newsdesk.settings import Settings
from newsdesk.store.base import ArticleFilter, ArticleStore, Revision, UpsertOutcome

__all__ = ["ArticleFilter", "ArticleStore", "Revision", "UpsertOutcome", "open_store"]


def open_store(settings: Settings) -> ArticleStore:
    """Open (creating if needed) the store the settings name."""
    if settings.store.backend == "sqlite":
        from newsdesk.store.sqlite import SQLiteStore

        return SQLiteStore(settings.database_path, busy_timeout_ms=settings.store.busy_timeout_ms)
    raise AssertionError(f"unhandled store backend {settings.store.backend!r}")  # pragma: no cover
