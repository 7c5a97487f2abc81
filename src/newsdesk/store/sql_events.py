""":class:`~newsdesk.recommend.store.EventStore` in SQL, on either backend's database.

The two engines share every statement; a :class:`~newsdesk.store.sql_dialect.SqlDialect` holds what
differs. Events are rows of ``reader_events`` (reader ids hashed before they get here), served slates rows of
``reader_slates`` with their inputs and articles as JSON. :meth:`SqlEvents.events` reads a page at a time,
ordered by (time, id) and resumed after the last row seen, so training streams any number of events without
holding a cursor or a lock between pages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newsdesk.recommend.model import ReaderEvent
from newsdesk.recommend.store import HISTORY_KINDS, SlateRecord
from newsdesk.store.sql_dialect import SqlDialect, pg_dialect, read_time, sqlite_dialect

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["PAGE", "SqlEvents", "pg_events", "sqlite_events"]

PAGE = 5000
"""Events read per statement by :meth:`SqlEvents.events`."""

_COLUMNS = "id, reader, article_id, kind, at, dwell_s, impression, source"


def sqlite_events(backend: Backend) -> SqlEvents:
    """The event store on a :class:`~newsdesk.store.sqlite.SQLiteStore`'s connection."""
    return SqlEvents(sqlite_dialect(backend))


def pg_events(backend: Backend) -> SqlEvents:
    """The event store on a :class:`~newsdesk.store.postgres.PostgresStore`'s pool."""
    return SqlEvents(pg_dialect(backend))


def _event(row: Sequence[Any]) -> ReaderEvent:
    return ReaderEvent(
        reader=row[1],
        article_id=row[2],
        kind=row[3],
        at=read_time(row[4]),
        dwell_s=None if row[5] is None else float(row[5]),
        impression=row[6],
        source=row[7],
    )


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SqlEvents:
    """Reader events and the slate log in two tables of the archive's database."""

    def __init__(self, dialect: SqlDialect, *, page: int = PAGE) -> None:
        self._d = dialect
        self._page = page

    def add_events(self, events: Sequence[ReaderEvent]) -> int:
        if not events:
            return 0
        insert = self._d.sql(
            "INSERT INTO reader_events (reader, article_id, kind, at, dwell_s, impression, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        rows = [
            (e.reader, e.article_id, e.kind, self._d.time(e.at), e.dwell_s, e.impression, e.source)
            for e in events
        ]
        with self._d.writing() as conn:
            conn.cursor().executemany(insert, rows)  # both drivers' cursors batch the rows
        return len(rows)

    def reader_history(
        self, reader: str, *, kinds: Sequence[str] = HISTORY_KINDS, limit: int = 200
    ) -> list[ReaderEvent]:
        if not kinds:
            return []
        sql = (
            f"SELECT {_COLUMNS} FROM reader_events WHERE reader = ? AND kind IN ({_marks(len(kinds))}) "
            "ORDER BY at DESC, id DESC LIMIT ?"
        )
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), (reader, *kinds, limit)).fetchall()
        return [_event(r) for r in rows]

    def events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Iterator[ReaderEvent]:
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("at >= ?")
            params.append(self._d.time(since))
        if until is not None:
            clauses.append("at < ?")
            params.append(self._d.time(until))
        if kinds is not None:
            if not kinds:
                return
            clauses.append(f"kind IN ({_marks(len(kinds))})")
            params.extend(kinds)
        after: tuple[Any, int] | None = None
        while True:
            where = list(clauses)
            page_params = list(params)
            if after is not None:
                where.append("(at > ? OR (at = ? AND id > ?))")
                page_params += [after[0], after[0], after[1]]
            sql = f"SELECT {_COLUMNS} FROM reader_events"
            sql += (" WHERE " + " AND ".join(where)) if where else ""
            sql += " ORDER BY at, id LIMIT ?"
            with self._d.connection() as conn:
                rows = conn.execute(self._d.sql(sql), (*page_params, self._page)).fetchall()
            for r in rows:
                yield _event(r)
            if len(rows) < self._page:
                return
            after = (rows[-1][4], int(rows[-1][0]))

    def article_clicks(self, since: datetime) -> dict[str, int]:
        sql = (
            "SELECT article_id, COUNT(*) FROM reader_events "
            "WHERE kind = 'click' AND at >= ? GROUP BY article_id"
        )
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), (self._d.time(since),)).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def count_events(self, reader: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM reader_events"
        params: tuple[str, ...] = ()
        if reader is not None:
            sql, params = sql + " WHERE reader = ?", (reader,)
        with self._d.connection() as conn:
            row = conn.execute(self._d.sql(sql), params).fetchone()
        return int(row[0])

    def log_slate(self, slate: SlateRecord) -> None:
        with self._d.writing() as conn:
            conn.execute(
                self._d.sql(
                    "INSERT INTO reader_slates (reader, at, product, kind, version, input, articles, "
                    "slate_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    slate.reader,
                    self._d.time(slate.at),
                    slate.product,
                    slate.kind,
                    slate.version,
                    json.dumps(slate.input, sort_keys=True),
                    json.dumps(list(slate.articles)),
                    slate.slate_id,
                ),
            )

    def _slates(self, where: str, params: tuple[Any, ...], order: str) -> list[SlateRecord]:
        cast = self._d.json_cast
        sql = (
            f"SELECT reader, at, product, kind, version, input{cast}, articles{cast}, slate_id "
            f"FROM reader_slates WHERE {where} ORDER BY {order}"
        )
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), params).fetchall()
        return [
            SlateRecord(r[0], read_time(r[1]), r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6]), r[7])
            for r in rows
        ]

    def slates(self, reader: str, limit: int = 50) -> list[SlateRecord]:
        return self._slates("reader = ?", (reader, limit), "at DESC, id DESC LIMIT ?")

    def served(self, since: datetime, until: datetime | None = None) -> list[SlateRecord]:
        if until is None:
            return self._slates("at >= ?", (self._d.time(since),), "at, id")
        return self._slates("at >= ? AND at < ?", (self._d.time(since), self._d.time(until)), "at, id")

    def active_readers(self, since: datetime) -> list[str]:
        sql = "SELECT DISTINCT reader FROM reader_events WHERE at >= ? ORDER BY reader"
        with self._d.connection() as conn:
            rows = conn.execute(self._d.sql(sql), (self._d.time(since),)).fetchall()
        return [str(r[0]) for r in rows]

    def forget_reader(self, reader: str, *, units: Sequence[str] = ()) -> dict[str, int]:
        deleted: dict[str, int] = {}
        with self._d.writing() as conn:
            for table in ("reader_events", "reader_slates"):
                cur = conn.execute(self._d.sql(f"DELETE FROM {table} WHERE reader = ?"), (reader,))
                deleted[table] = max(int(cur.rowcount), 0)
            keys = sorted({reader, *units})
            cur = conn.execute(
                self._d.sql(f"DELETE FROM experiment_events WHERE unit IN ({_marks(len(keys))})"), keys
            )
            deleted["experiment_events"] = max(int(cur.rowcount), 0)
        return deleted

    def purge(self, before: datetime) -> dict[str, int]:
        deleted: dict[str, int] = {}
        with self._d.writing() as conn:
            for table in ("reader_events", "reader_slates"):
                cur = conn.execute(self._d.sql(f"DELETE FROM {table} WHERE at < ?"), (self._d.time(before),))
                deleted[table] = max(int(cur.rowcount), 0)
        return deleted
