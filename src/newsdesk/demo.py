"""The demo newsroom: the bundled BBC News corpus ingested into a workspace.

>>> import tempfile, pathlib
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> s = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> report = build_demo(s, open_store(s))
>>> report.inserted
2124
"""

from __future__ import annotations

import tarfile
import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from newsdesk.ingest import IngestReport, ingest
from newsdesk.ingest.run import Progress
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

__all__ = ["DEMO_CORPUS", "build_demo"]

DEMO_CORPUS = "bbc-news-articles.tar.xz"


def build_demo(settings: Settings, store: ArticleStore, *, progress: Progress | None = None) -> IngestReport:
    """Ingest the bundled corpus (idempotent: a second run reports everything unchanged)."""
    resource = files("newsdesk.data").joinpath(DEMO_CORPUS)
    with as_file(resource) as archive, tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(tmp, filter="data")
        return ingest(
            [Path(tmp) / "bbc"],
            store,
            settings=settings,
            format="textdir",
            source="bbc",
            progress=progress,
        )
