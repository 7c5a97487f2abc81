"""A private copy of the session's search archive (``archive_home`` in tests/conftest.py) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store


@pytest.fixture
def archive(archive_home: Path, tmp_path: Path) -> Iterator[tuple[ArticleStore, Settings]]:
    """A private copy of the archive (tests may write to it), with its own index folder."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(archive_home, home)
    settings = Settings(home=home)
    store = open_store(settings)
    yield store, settings
    store.close()
