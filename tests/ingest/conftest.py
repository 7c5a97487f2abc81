"""Helpers for the ingest tests: a workspace that checks the report's bookkeeping on every run, the CLI as a
real subprocess, and small article files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newsdesk.ingest import IngestReport, ingest
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store

PARALLEL_MODES = ["off", "process"]


def make_settings(home: Path, parallel: str = "off", **ingest_settings: Any) -> Settings:
    settings = Settings(home=home)
    settings.ingest.parallel = parallel  # type: ignore[assignment]
    for name, value in ingest_settings.items():
        setattr(settings.ingest, name, value)
    return settings


def assert_accounted(report: IngestReport) -> None:
    """Every record read is counted exactly once, and every rejection says where and why."""
    assert report.read == report.accounted, report.to_dict()
    for err in report.errors:
        assert err.location and err.message, err
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable by the CLI


class Workspace:
    """A fresh home with its settings and store; :meth:`ingest` checks the counts against the store."""

    def __init__(self, root: Path, parallel: str = "off", **ingest_settings: Any) -> None:
        self.root = root
        self.settings = make_settings(root / "home", parallel, **ingest_settings)
        self.store: ArticleStore = open_store(self.settings)

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def jsonl(self, name: str, lines: Iterable[dict[str, Any] | str]) -> Path:
        """One line per item: a dict is dumped as JSON, a str is written as it is."""
        text = "".join((ln if isinstance(ln, str) else json.dumps(ln)) + "\n" for ln in lines)
        return self.file(name, text)

    def ingest(self, *paths: Path, **kwargs: Any) -> IngestReport:
        before = self.store.count()
        report = ingest(list(paths), self.store, settings=self.settings, **kwargs)
        after = self.store.count()
        if report.stored:
            assert_accounted(report)
            assert after - before == report.inserted, report.to_dict()
        else:
            assert after == before
        return report

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    w = Workspace(tmp_path)
    yield w
    w.close()


@pytest.fixture(params=PARALLEL_MODES)
def pws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace per parallel mode: parse in this process, or in a forked reader process."""
    w = Workspace(tmp_path, request.param)
    yield w
    w.close()


def article(n: int, **over: Any) -> dict[str, Any]:
    """A valid JSONL article; ``over`` replaces or adds fields."""
    rec: dict[str, Any] = {
        "id": f"a{n}",
        "headline": f"Headline number {n}",
        "body": f"Body of article {n}: councils, budgets and the weather.",
        "url": f"https://example.com/news/{n}",
        "published_at": "2024-03-01T12:00:00Z",
        "language": "en",
        "keywords": ["local", "news"],
    }
    rec.update(over)
    return rec


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        """The ``--json`` report on stdout."""
        try:
            data: dict[str, Any] = json.loads(self.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON report:\n{self.stdout}\n{self.stderr}") from None
        return data


def cli_env(**env: str) -> dict[str, str]:
    """This environment without NEWSDESK_* settings, plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    base.update(env)
    return base


def run_cli_process(home: Path, *args: str, **env: str) -> CliResult:
    """``newsdesk --home HOME ARGS...`` as a real process, through the console script's entry point."""
    proc = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli.app", "--home", str(home), *args],
        capture_output=True, text=True, timeout=120, env=cli_env(**env), check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def stored_count(home: Path) -> int:
    """Articles in HOME's database (0 when there is none), read without opening a store."""
    db = home / "newsdesk.sqlite3"
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:  # created, schema not committed yet
        return 0
    finally:
        conn.close()


# Session-scoped so hypothesis tests may use them too (function-scoped fixtures do not reset per example).
@pytest.fixture(scope="session")
def new_workspace() -> type[Workspace]:
    return Workspace


@pytest.fixture(scope="session")
def make_article() -> Callable[..., dict[str, Any]]:
    return article


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., CliResult]:
    return run_cli_process


@pytest.fixture(scope="session")
def db_count() -> Callable[[Path], int]:
    return stored_count
