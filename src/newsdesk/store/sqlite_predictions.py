"""The prediction log on SQLite: a file of its own, ``<home>/monitor/predictions.sqlite3`` (WAL).

Not a table of the archive's file: SQLite has one writer at a time, and the service logs on every request
while ingests and pipelines write the archive; in a file of its own, logging never waits for an ingest's
transaction and never holds one up. :class:`~newsdesk.monitor.predictions.PredictionStore`.

>>> import pathlib, tempfile
>>> log = SQLitePredictions(pathlib.Path(tempfile.mkdtemp()) / "predictions.sqlite3")
>>> log.summary(since=None)
[]
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsdesk.monitor.predictions import LoggedPrediction, parse_prediction_rows
from newsdesk.store.rows import conditions

__all__ = ["SQLitePredictions"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    model TEXT NOT NULL,
    version TEXT NOT NULL,
    article_id TEXT,
    input_sha256 TEXT NOT NULL,
    input_chars INTEGER NOT NULL,
    input_words INTEGER NOT NULL,
    language TEXT,
    output TEXT NOT NULL,
    confidence REAL,
    latency_ms REAL
);
CREATE INDEX IF NOT EXISTS predictions_model_at ON predictions (model, at);
CREATE INDEX IF NOT EXISTS predictions_at ON predictions (at);
"""
_COLUMNS = (
    "at, source, model, version, article_id, input_sha256, input_chars, input_words, language, output, "
    "confidence, latency_ms"
)
_SUMMARY_KEYS = (
    "model",
    "version",
    "source",
    "predictions",
    "mean_confidence",
    "mean_latency_ms",
    "max_latency_ms",
    "first",
    "last",
    "tokens",  # generative products: total tokens (prompt + completion), None for other models
    "mean_tokens",
)


def _when(moment: datetime) -> str:
    """A moment as the log writes ``at``: ISO 8601 in UTC to the millisecond (so text order is time order)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class SQLitePredictions:
    """:class:`~newsdesk.monitor.predictions.PredictionStore` in one SQLite file (one connection, locked)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def append(self, rows: Sequence[LoggedPrediction]) -> None:
        values = [
            (
                r.at,
                r.source,
                r.model,
                r.version,
                r.article_id,
                r.input_sha256,
                r.input_chars,
                r.input_words,
                r.language,
                r.output,
                r.confidence,
                r.latency_ms,
            )
            for r in rows
        ]
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    f"INSERT INTO predictions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", values
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def prune(self, *, before: datetime, max_rows: int) -> int:
        with self._lock:
            gone = self._conn.execute("DELETE FROM predictions WHERE at < ?", (_when(before),)).rowcount
            gone += self._conn.execute(
                "DELETE FROM predictions WHERE id <= "
                "(SELECT id FROM predictions ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (max_rows,),
            ).rowcount
        return int(gone)

    def query(
        self,
        *,
        model: str | None,
        version: str | None,
        source: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> list[LoggedPrediction]:
        where, params = conditions(
            [("model", model), ("version", version), ("source", source)],
            mark="?",
            column="at",
            since=_when(since) if since else None,
            until=_when(until) if until else None,
        )
        sql = f"SELECT {_COLUMNS}, id FROM predictions" + where + " ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._conn.execute(sql, [*params, limit]).fetchall()
        return parse_prediction_rows(rows)

    def summary(self, *, since: datetime | None) -> list[dict[str, Any]]:
        where, params = ("WHERE at >= ?", [_when(since)]) if since else ("", [])
        with self._lock:
            rows = self._conn.execute(
                "SELECT model, version, source, count(*), avg(confidence), avg(latency_ms), "
                "max(latency_ms), min(at), max(at), sum(json_extract(output, '$.usage.total_tokens')), "
                f"avg(json_extract(output, '$.usage.total_tokens')) FROM predictions {where} "
                "GROUP BY model, version, source ORDER BY model, version, source",
                params,
            ).fetchall()
        return [dict(zip(_SUMMARY_KEYS, r, strict=True)) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
