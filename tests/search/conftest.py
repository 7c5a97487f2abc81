"""A private copy of the session's search archive (``archive_home`` in tests/conftest.py) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store


@pytest.fixture
def archive(archive_copy: Path) -> Iterator[tuple[ArticleStore, Settings]]:
    """The store and settings of a private copy of the archive."""
    settings = Settings(home=archive_copy)
    store = open_store(settings)
    yield store, settings
    store.close()
