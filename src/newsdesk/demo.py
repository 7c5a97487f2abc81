"""The demo newsroom: the bundled BBC News corpus ingested into a workspace, and a day and a half of dated
wire headlines (:func:`build_wire`) for the products that need time: stories and trends.

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
from newsdesk.ingest.records import RecordsReport
from newsdesk.ingest.run import Progress
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore

__all__ = ["DEMO_CORPUS", "WIRE_CORPUS", "build_demo", "build_wire"]

DEMO_CORPUS = "bbc-news-articles.tar.xz"
WIRE_CORPUS = "uci-news-headlines.csv.xz"
#: the news aggregator's category codes, as the demo's sections
_WIRE_SECTIONS = {"b": "business", "e": "entertainment", "t": "tech", "m": "health"}


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


def build_wire(settings: Settings, store: ArticleStore) -> RecordsReport:
    """Ingest the bundled wire: 2,989 dated headlines (10-12 March 2014) of the UCI News Aggregator, one
    record each (headline, link, publisher as byline, time), under the source ``uci``. Idempotent."""
    import csv
    import io
    import lzma
    from datetime import UTC, datetime

    from newsdesk.ingest.records import ingest_records

    text = lzma.decompress(files("newsdesk.data").joinpath(WIRE_CORPUS).read_bytes()).decode("utf-8")
    records = [
        {
            "id": row["ID"],
            "headline": row["TITLE"],
            "url": row["URL"],
            "byline": row["PUBLISHER"],
            "section": _WIRE_SECTIONS.get(row["CATEGORY"]),
            "published_at": datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, UTC).isoformat(),
        }
        for row in csv.DictReader(io.StringIO(text))
    ]
    return ingest_records(records, store, settings=settings, source="uci")
