"""The prediction log: every model output the API serves or the pipeline writes, with what produced it.

One row per output: when, where from (``api`` or ``pipeline``), the model (``name`` and ``version``), the
article id when there is one, a fingerprint of the input (SHA-256 prefix) and cheap input features
(characters, words, language), the output (JSON, capped at 4,000 characters), its confidence and the latency.
Rows live in their own SQLite file, ``<home>/monitor/predictions.sqlite3`` (WAL), so logging never
contends with the archive's writes.

Bounded: ``monitor.sample_rate`` keeps a stable share of inputs (by input hash, so the same article is
always in or always out); rows older than ``monitor.retention_days`` and rows beyond ``monitor.max_rows``
(oldest first) are deleted every 1,000 writes and by :meth:`PredictionLog.prune`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = ["LoggedPrediction", "PredictionLog", "input_features", "prediction_log"]

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
_OUTPUT_CHARS = 4_000
_PRUNE_EVERY = 1_000


@dataclass(frozen=True)
class LoggedPrediction:
    at: str
    source: str
    model: str
    version: str
    article_id: str | None
    input_sha256: str
    input_chars: int
    input_words: int
    language: str | None
    output: Any
    confidence: float | None
    latency_ms: float | None
    id: int | None = None

    @property
    def ref(self) -> str:
        return f"{self.model}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ref": self.ref}


def input_features(text: str, language: str | None = None) -> dict[str, Any]:
    """The input's fingerprint and cheap features.

    >>> f = input_features("Shares rose sharply")
    >>> f["input_chars"], f["input_words"], len(f["input_sha256"])
    (19, 3, 16)
    """
    return {
        "input_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        "input_chars": len(text),
        "input_words": len(text.split()),
        "language": language,
    }


def _sampled(digest: str, rate: float) -> bool:
    return rate >= 1.0 or int(digest[:8], 16) / 0xFFFFFFFF < rate


class PredictionLog:
    """Append and query logged predictions (thread-safe; one connection per log)."""

    def __init__(
        self, path: Path, *, sample_rate: float = 1.0, retention_days: int = 90, max_rows: int = 1_000_000
    ):
        self.path = path
        self.sample_rate = sample_rate
        self.retention_days = retention_days
        self.max_rows = max_rows
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._writes = 0

    def log(
        self,
        *,
        source: str,
        model: str,
        version: str,
        items: Sequence[tuple[str | None, str, Any, float | None]],
        latency_ms: float | None = None,
        languages: Sequence[str | None] | None = None,
    ) -> int:
        """Log outputs: ``items`` are (article id, input text, output, confidence). ``latency_ms`` is per
        item. Returns how many were kept by sampling."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        rows = []
        for i, (article_id, text, output, confidence) in enumerate(items):
            language = languages[i] if languages is not None else None
            feats = input_features(text, language)
            if not _sampled(feats["input_sha256"], self.sample_rate):
                continue
            encoded = json.dumps(output, ensure_ascii=False, default=str)
            if len(encoded) > _OUTPUT_CHARS:
                encoded = json.dumps({"truncated": encoded[:_OUTPUT_CHARS]})
            rows.append(
                (
                    now,
                    source,
                    model,
                    version,
                    article_id,
                    feats["input_sha256"],
                    feats["input_chars"],
                    feats["input_words"],
                    feats["language"],
                    encoded,
                    confidence,
                    latency_ms,
                )
            )
        if not rows:
            return 0
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT INTO predictions (at, source, model, version, article_id, input_sha256, input_chars, "
                "input_words, language, output, confidence, latency_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            self._conn.execute("COMMIT")
            self._writes += len(rows)
            due = self._writes >= _PRUNE_EVERY
            if due:
                self._writes = 0
        if due:
            self.prune()
        return len(rows)

    def prune(self) -> int:
        """Delete rows past retention and beyond ``max_rows``; returns how many went."""
        cutoff = (datetime.now(UTC) - timedelta(days=self.retention_days)).isoformat()
        with self._lock:
            gone = self._conn.execute("DELETE FROM predictions WHERE at < ?", (cutoff,)).rowcount
            total = self._conn.execute("SELECT count(*) FROM predictions").fetchone()[0]
            if total > self.max_rows:
                gone += self._conn.execute(
                    "DELETE FROM predictions WHERE id IN (SELECT id FROM predictions ORDER BY id LIMIT ?)",
                    (total - self.max_rows,),
                ).rowcount
        return int(gone)

    def query(
        self,
        *,
        model: str | None = None,
        version: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1_000,
    ) -> list[LoggedPrediction]:
        """Logged predictions, newest first."""
        if limit < 1 or limit > 100_000:
            raise InvalidInput("limit", limit, "an integer from 1 to 100000")
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("model", model), ("version", version), ("source", source)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            where.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat())
        if until is not None:
            where.append("at < ?")
            params.append(until.astimezone(UTC).isoformat())
        sql = (
            "SELECT at, source, model, version, article_id, input_sha256, input_chars, input_words, "
            "language, output, confidence, latency_ms, id FROM predictions"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id DESC LIMIT ?"
        )
        with self._lock:
            rows = self._conn.execute(sql, [*params, limit]).fetchall()
        return [
            LoggedPrediction(
                at=r[0],
                source=r[1],
                model=r[2],
                version=r[3],
                article_id=r[4],
                input_sha256=r[5],
                input_chars=r[6],
                input_words=r[7],
                language=r[8],
                output=json.loads(r[9]),
                confidence=r[10],
                latency_ms=r[11],
                id=r[12],
            )
            for r in rows
        ]

    def summary(self, *, since: datetime | None = None) -> list[dict[str, Any]]:
        """Per model version: predictions, mean confidence, mean and max latency, first and last."""
        where, params = ("WHERE at >= ?", [since.astimezone(UTC).isoformat()]) if since else ("", [])
        with self._lock:
            rows = self._conn.execute(
                "SELECT model, version, source, count(*), avg(confidence), avg(latency_ms), "
                f"max(latency_ms), min(at), max(at) FROM predictions {where} "
                "GROUP BY model, version, source ORDER BY model, version",
                params,
            ).fetchall()
        keys = (
            "model",
            "version",
            "source",
            "predictions",
            "mean_confidence",
            "mean_latency_ms",
            "max_latency_ms",
            "first",
            "last",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


_LOGS: dict[Path, PredictionLog] = {}
_LOGS_LOCK = threading.Lock()
_OPEN_LOGS = 8


def prediction_log(settings: Settings) -> PredictionLog | None:
    """The workspace's prediction log (one per process and path), or None when logging is off."""
    if not settings.monitor.log_predictions:
        return None
    path = (settings.monitor_dir / "predictions.sqlite3").resolve()
    with _LOGS_LOCK:
        log = _LOGS.get(path)
        if log is None:
            m = settings.monitor
            log = _LOGS[path] = PredictionLog(
                path, sample_rate=m.sample_rate, retention_days=m.retention_days, max_rows=m.max_rows
            )
            while len(_LOGS) > _OPEN_LOGS:  # many workspaces in one process (tests): close the oldest
                _LOGS.pop(next(iter(_LOGS))).close()
    return log
