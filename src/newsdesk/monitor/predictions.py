"""The prediction log: every model output the API serves or the pipeline writes, with what produced it.

One row per output: when, where from (``api`` or ``pipeline``), the model (``name`` and ``version``), the
article id when there is one, a fingerprint of the input (SHA-256 prefix) and cheap input features
(characters, words, language), the output (JSON, capped at 4,000 characters), its confidence and the latency.

Where rows live is the store engine's choice, behind :class:`PredictionStore` (found in
:data:`prediction_stores` by the scheme of ``store.url``): on SQLite, a file of their own,
``<home>/monitor/predictions.sqlite3`` (WAL; :mod:`newsdesk.store.sqlite_predictions`), so that logging
never contends with the archive's single writer; on PostgreSQL, the ``predictions`` table of the archive's
database (:mod:`newsdesk.store.pg_predictions`), where writers do not block each other and every service
process and pipeline of the team logs to one place.

Bounded: ``monitor.sample_rate`` keeps a stable share of inputs (by input hash, so the same article is
always in or always out); rows older than ``monitor.retention_days`` and rows beyond ``monitor.max_rows``
(oldest first) are deleted every 1,000 writes and by :meth:`PredictionLog.prune`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from newsdesk.errors import InvalidInput
from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "LoggedPrediction",
    "PredictionLog",
    "PredictionStore",
    "input_features",
    "open_prediction_store",
    "parse_prediction_rows",
    "prediction_log",
    "prediction_stores",
]

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


def parse_prediction_rows(rows: Sequence[Sequence[Any]]) -> list[LoggedPrediction]:
    """Store rows (at, source, model, version, article_id, input_sha256, input_chars, input_words, language,
    output, confidence, latency_ms, id) -> LoggedPrediction; ``at`` as ISO text or ``datetime``, ``output``
    as JSON text."""
    return [
        LoggedPrediction(
            at=r[0] if isinstance(r[0], str) else r[0].astimezone(UTC).isoformat(timespec="milliseconds"),
            source=r[1],
            model=r[2],
            version=r[3],
            article_id=r[4],
            input_sha256=r[5],
            input_chars=int(r[6]),
            input_words=int(r[7]),
            language=r[8],
            output=json.loads(r[9]),
            confidence=r[10],
            latency_ms=r[11],
            id=int(r[12]),
        )
        for r in rows
    ]


def _sampled(digest: str, rate: float) -> bool:
    return rate >= 1.0 or int(digest[:8], 16) / 0xFFFFFFFF < rate


class PredictionStore(Protocol):
    """Where logged predictions are kept: one implementation per store engine, each safe to share between
    threads. Sampling, the output cap and when to prune are :class:`PredictionLog`'s."""

    def append(self, rows: Sequence[LoggedPrediction]) -> None:
        """Store rows in one transaction. Their ``output`` is JSON text (already capped), their ``id`` is
        ignored (the store numbers rows in the order they arrive)."""
        ...

    def prune(self, *, before: datetime, max_rows: int) -> int:
        """Delete rows logged before ``before``, then the oldest beyond the newest ``max_rows``; returns how
        many went."""
        ...

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
        """At most ``limit`` rows, newest first, matching every filter given (``since`` inclusive, ``until``
        exclusive); ``at`` as ISO 8601 text in UTC (milliseconds), ``output`` decoded."""
        ...

    def summary(self, *, since: datetime | None) -> list[dict[str, Any]]:
        """Per (model, version, source), ordered so: ``predictions``, ``mean_confidence``,
        ``mean_latency_ms``, ``max_latency_ms``, ``first`` and ``last`` (``at`` text), and for the
        generative products (outputs carrying ``usage``) ``tokens`` and ``mean_tokens`` (None otherwise)."""
        ...

    def close(self) -> None: ...


#: store engine (the scheme of ``store.url``, as in :data:`newsdesk.store.stores`) -> factory(settings) of
#: its prediction store; a plug-in engine adds its own through the ``newsdesk.prediction_stores`` entry-point
#: group
prediction_stores: Registry[Callable[[Settings], PredictionStore]] = Registry("prediction_stores")


@prediction_stores.register("sqlite")
def _sqlite(settings: Settings) -> PredictionStore:
    from newsdesk.store.sqlite_predictions import SQLitePredictions

    return SQLitePredictions(settings.monitor_dir / "predictions.sqlite3")


@prediction_stores.register("postgresql")
@prediction_stores.register("postgres")
def _postgres(settings: Settings) -> PredictionStore:
    from newsdesk.store.pg_predictions import open_pg_predictions

    return open_pg_predictions(settings)


def open_prediction_store(settings: Settings) -> PredictionStore:
    """A new prediction store for the engine ``settings.store_url`` names (most callers want the shared
    :func:`prediction_log` instead)."""
    from newsdesk.store import engine_of

    engine = engine_of(settings.store_url)
    if engine not in prediction_stores.names():
        raise InvalidInput(
            "store.url",
            settings.store_url,
            f"a store engine with a prediction log: one of {', '.join(prediction_stores.names())}",
        )
    return prediction_stores.get(engine)(settings)


class PredictionLog:
    """Append and query logged predictions in a :class:`PredictionStore` (thread-safe).

    Sampling (by input hash, so the same input is always in or always out), the output cap and pruning
    (every 1,000 writes, and :meth:`prune`) happen here, the same on every engine.
    """

    def __init__(
        self,
        store: PredictionStore,
        *,
        sample_rate: float = 1.0,
        retention_days: int = 90,
        max_rows: int = 1_000_000,
    ) -> None:
        self.store = store
        self.sample_rate = sample_rate
        self.retention_days = retention_days
        self.max_rows = max_rows
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
                LoggedPrediction(
                    at=now,
                    source=source,
                    model=model,
                    version=version,
                    article_id=article_id,
                    output=encoded,
                    confidence=confidence,
                    latency_ms=latency_ms,
                    **feats,
                )
            )
        if not rows:
            return 0
        self.store.append(rows)
        with self._lock:
            self._writes += len(rows)
            due = self._writes >= _PRUNE_EVERY
            if due:
                self._writes = 0
        if due:
            self.prune()
        return len(rows)

    def prune(self) -> int:
        """Delete rows past retention and beyond ``max_rows``; returns how many went."""
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        return self.store.prune(before=cutoff, max_rows=self.max_rows)

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
        return self.store.query(
            model=model, version=version, source=source, since=since, until=until, limit=limit
        )

    def summary(self, *, since: datetime | None = None) -> list[dict[str, Any]]:
        """Per model version: predictions, mean confidence, mean and max latency, first and last."""
        return self.store.summary(since=since)

    def close(self) -> None:
        self.store.close()


_LOGS: dict[tuple[str, str], PredictionLog] = {}
_LOGS_LOCK = threading.Lock()
_OPEN_LOGS = 8


def prediction_log(settings: Settings) -> PredictionLog | None:
    """The workspace's prediction log (one per process, store and workspace), or None when logging is off."""
    if not settings.monitor.log_predictions:
        return None
    key = (settings.store_url, str(settings.monitor_dir.resolve()))
    with _LOGS_LOCK:
        log = _LOGS.get(key)
        if log is None:
            m = settings.monitor
            log = _LOGS[key] = PredictionLog(
                open_prediction_store(settings),
                sample_rate=m.sample_rate,
                retention_days=m.retention_days,
                max_rows=m.max_rows,
            )
            while len(_LOGS) > _OPEN_LOGS:  # many workspaces in one process (tests): close the oldest
                _LOGS.pop(next(iter(_LOGS))).close()
    return log
