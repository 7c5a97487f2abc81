"""The prediction log on PostgreSQL: the ``predictions`` table of the archive's database (migration 2).

On a server, writers do not wait for each other as SQLite's do, so the log shares the archive's database,
and every service process and pipeline of the team logs to one table; it opens its own small pool so that
logging never takes a connection the archive's requests need.
:class:`~newsdesk.monitor.predictions.PredictionStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsdesk.monitor.predictions import LoggedPrediction, parse_prediction_rows
from newsdesk.store.rows import conditions

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store.postgres import PostgresStore

__all__ = ["PgPredictions", "open_pg_predictions"]

_COLUMNS = (
    "at, source, model, version, article_id, input_sha256, input_chars, input_words, language, output, "
    "confidence, latency_ms"
)
_POOL_SIZE = 2


def open_pg_predictions(settings: Settings) -> PgPredictions:
    """The prediction log in the database ``settings.store_url`` names, migrated if needed, on a pool of
    its own (at most two connections)."""
    from newsdesk.store.postgres import PostgresStore

    store = PostgresStore(
        settings.store_url,
        pool_size=_POOL_SIZE,
        cache_ttl_ms=settings.store.cache_ttl_ms,
        busy_timeout_ms=settings.store.busy_timeout_ms,
    )
    return PgPredictions(store, owns_store=True)


def _at(value: datetime) -> str:
    """``at`` as the SQLite log writes it: ISO 8601 in UTC to the millisecond."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


class PgPredictions:
    """:class:`~newsdesk.monitor.predictions.PredictionStore` on a :class:`PostgresStore`'s database,
    through that store's connections (closing this closes the store when ``owns_store``)."""

    def __init__(self, store: PostgresStore, *, owns_store: bool = False) -> None:
        self._store = store
        self._owns = owns_store

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
        marks = ", ".join(["%s"] * 12)
        with self._store.transaction(), self._store._conn() as conn, conn.cursor() as cur:
            cur.executemany(f"INSERT INTO predictions ({_COLUMNS}) VALUES ({marks})", values)

    def prune(self, *, before: datetime, max_rows: int) -> int:
        with self._store._conn() as conn:
            gone = conn.execute("DELETE FROM predictions WHERE at < %s", (before,)).rowcount
            gone += conn.execute(
                "DELETE FROM predictions WHERE id <= "
                "(SELECT id FROM predictions ORDER BY id DESC OFFSET %s LIMIT 1)",
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
            mark="%s",
            column="at",
            since=since,
            until=until,
        )
        sql = (
            f"SELECT {_COLUMNS.replace('output', 'output::text')}, id FROM predictions"
            + where
            + " ORDER BY id DESC LIMIT %s"
        )
        with self._store._conn() as conn:
            rows = conn.execute(sql, [*params, limit]).fetchall()
        return parse_prediction_rows(rows)

    def summary(self, *, since: datetime | None) -> list[dict[str, Any]]:
        where, params = ("WHERE at >= %s", [since]) if since else ("", [])
        with self._store._conn() as conn:
            rows = conn.execute(
                "SELECT model, version, source, count(*), avg(confidence), avg(latency_ms), "
                "max(latency_ms), min(at), max(at), sum((output->'usage'->>'total_tokens')::bigint), "
                f"avg((output->'usage'->>'total_tokens')::bigint) FROM predictions {where} "
                "GROUP BY model, version, source ORDER BY model, version, source",
                params,
            ).fetchall()
        return [
            {
                "model": r[0],
                "version": r[1],
                "source": r[2],
                "predictions": int(r[3]),
                "mean_confidence": r[4],
                "mean_latency_ms": r[5],
                "max_latency_ms": r[6],
                "first": _at(r[7]),
                "last": _at(r[8]),
                "tokens": int(r[9]) if r[9] is not None else None,
                "mean_tokens": float(r[10]) if r[10] is not None else None,
            }
            for r in rows
        ]

    def close(self) -> None:
        if self._owns:
            self._store.close()
