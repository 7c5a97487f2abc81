"""What one SQL statement set needs to know of the engine it runs on, for stores written once for both
backends (:mod:`~newsdesk.store.sql_experiments`, :mod:`~newsdesk.store.sql_stories`).

A :class:`SqlDialect` holds the placeholder, how a connection and a transaction are had from the backend, a
row lock for a read that precedes a write, how times are stored (ISO 8601 text in SQLite, ``TIMESTAMPTZ`` in
PostgreSQL) and how a JSON column is read back as text. Statements are written with ``?`` placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["SqlDialect", "pg_dialect", "read_time", "sqlite_dialect"]


@dataclass(frozen=True)
class SqlDialect:
    mark: str
    connection: Callable[[], AbstractContextManager[Any]]
    transaction: Callable[[], AbstractContextManager[None]]
    lock_row: str  # appended to a read that a write in the same transaction depends on
    text_times: bool  # times stored as ISO text (SQLite) rather than TIMESTAMPTZ
    json_cast: str  # how a JSON column is read back as text

    def sql(self, statement: str) -> str:
        """``statement`` with this engine's placeholders."""
        return statement.replace("?", self.mark)

    def time(self, value: datetime) -> Any:
        """A time as this engine stores it (in UTC)."""
        value = value.astimezone(UTC)
        return value.isoformat() if self.text_times else value

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """A connection inside a transaction: everything written through it is kept, or none."""
        with self.transaction(), self.connection() as conn:
            yield conn


def read_time(value: Any) -> datetime:
    """A stored time (a ``datetime`` from PostgreSQL, ISO text from SQLite or JSON) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def sqlite_dialect(backend: Backend) -> SqlDialect:
    """Statements on a :class:`~newsdesk.store.sqlite.SQLiteStore`'s one connection (under its lock)."""
    store: Any = backend

    @contextmanager
    def connection() -> Iterator[Any]:
        with store._lock:
            yield store._conn

    return SqlDialect("?", connection, store.transaction, "", True, "")


def pg_dialect(backend: Backend) -> SqlDialect:
    """Statements on a :class:`~newsdesk.store.postgres.PostgresStore`'s pool."""
    store: Any = backend
    return SqlDialect("%s", store._conn, store.transaction, " FOR UPDATE", False, "::text")
