"""Shared fixtures: a fresh workspace, its settings and store, for every backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

BACKENDS = ["sqlite"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, settings: Settings) -> Iterator[ArticleStore]:
    settings.store.backend = request.param
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture(scope="session")
def nlp_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose workspace (and so the embedding cache) lives for the whole test session: components
    and evaluations that embed the same texts share the cache instead of re-running the model."""
    return Settings(home=tmp_path_factory.mktemp("nlp-home"))


@pytest.fixture(scope="session")
def archive_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A search archive: the BBC section sample (100 articles) and their real ``chunks`` vectors."""
    from newsdesk.ingest import ingest
    from newsdesk.pipeline import enrich

    home = tmp_path_factory.mktemp("search-archive")
    settings = Settings(home=home)
    store = open_store(settings)
    try:
        ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
        enrich(store, settings, only=["embedding"])
    finally:
        store.close()
    return home


@pytest.fixture
def archive_copy(archive_home: Path, tmp_path: Path) -> Path:
    """A private copy of the search archive's workspace (a test may write to it and build its index)."""
    import shutil

    home = tmp_path / "archive"
    shutil.copytree(archive_home, home)
    return home
