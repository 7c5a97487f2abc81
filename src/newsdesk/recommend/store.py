"""The reader-event store protocol: reader events, the log of every served slate, and forgetting a reader.

Every backend of :data:`newsdesk.store.stores` keeps reader events in the archive's own database (SQLite
migration 9, PostgreSQL migration 6), through :class:`newsdesk.store.sql_events.SqlEvents`;
:func:`open_events` finds the implementation by the store URL's scheme in :data:`event_stores`, so a
plug-in engine adds its own. Tests in ``tests/store/test_events_store.py`` run over every backend.

Reader ids reach this store hashed (:func:`~newsdesk.recommend.model.hash_reader`). Every served
recommendation is logged as a :class:`SlateRecord` (who, when, which product, which model version, from
what inputs, which articles), so a slate can be traced back as any other product output.
:meth:`EventStore.forget_reader` erases everything kept of one reader in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from newsdesk.recommend.model import ReaderEvent
from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.store import Backend

__all__ = ["HISTORY_KINDS", "EventStore", "SlateRecord", "event_stores", "open_events"]

HISTORY_KINDS = ("click", "dwell", "open")
"""The events that say a reader read an article (an impression only says it was shown)."""


@dataclass(frozen=True)
class SlateRecord:
    """One served slate: for ``reader`` (hashed) at ``at``, by ``product`` (``recommendations``,
    ``newsletter``, ``also-read``), from model ``kind`` at ``version``; ``input`` summarises what it was
    computed from (history size, candidates, rules), ``articles`` lists what was shown, in order."""

    reader: str
    at: datetime
    product: str
    kind: str
    version: str
    input: dict[str, Any] = field(default_factory=dict)
    articles: list[str] = field(default_factory=list)
    slate_id: str = ""  # what the site sends back as the ``impression`` of events on this slate

    def to_dict(self) -> dict[str, Any]:
        return {
            "reader": self.reader,
            "at": self.at.isoformat(),
            "product": self.product,
            "kind": self.kind,
            "version": self.version,
            "input": self.input,
            "articles": list(self.articles),
            "slate_id": self.slate_id,
        }


@runtime_checkable
class EventStore(Protocol):
    """Reader events and served slates, on the archive's database. Every write is all or nothing."""

    def add_events(self, events: Sequence[ReaderEvent]) -> int:
        """Append ``events``; the number added."""
        ...

    def reader_history(
        self, reader: str, *, kinds: Sequence[str] = HISTORY_KINDS, limit: int = 200
    ) -> list[ReaderEvent]:
        """The (hashed) reader's latest events of ``kinds``, newest first."""
        ...

    def events(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Sequence[str] | None = None,
    ) -> Iterator[ReaderEvent]:
        """Every event at or after ``since`` and before ``until``, oldest first, read a page at a time."""
        ...

    def article_clicks(self, since: datetime) -> dict[str, int]:
        """Article id -> clicks at or after ``since``."""
        ...

    def count_events(self, reader: str | None = None) -> int:
        """Events kept (of one hashed reader)."""
        ...

    def log_slate(self, slate: SlateRecord) -> None:
        """Append a served slate to the traceability log."""
        ...

    def slates(self, reader: str, limit: int = 50) -> list[SlateRecord]:
        """The slates served to the (hashed) reader, newest first."""
        ...

    def served(self, since: datetime, until: datetime | None = None) -> list[SlateRecord]:
        """Every slate served at or after ``since`` (and before ``until``), oldest first: what live quality
        is measured on."""
        ...

    def active_readers(self, since: datetime) -> list[str]:
        """The (hashed) readers with an event at or after ``since``, in id order."""
        ...

    def forget_reader(self, reader: str, *, units: Sequence[str] = ()) -> dict[str, int]:
        """Delete everything kept of the (hashed) reader, in one transaction: events, slates, and the raw
        experiment events of ``units`` (the ids an experiment knows the reader by); table -> rows deleted."""
        ...

    def purge(self, before: datetime) -> dict[str, int]:
        """Delete events and slates older than ``before`` (retention); table -> rows deleted."""
        ...


#: store engine -> factory(backend) of its event store
event_stores: Registry[Callable[[Backend], EventStore]] = Registry("event_stores")


@event_stores.register("sqlite")
def _sqlite(backend: Backend) -> EventStore:
    from newsdesk.store.sql_events import sqlite_events

    return sqlite_events(backend)


@event_stores.register("postgresql")
@event_stores.register("postgres")
def _postgres(backend: Backend) -> EventStore:
    from newsdesk.store.sql_events import pg_events

    return pg_events(backend)


def open_events(backend: Backend, url: str) -> EventStore:
    """The event store on ``backend`` (opened from the store URL ``url``)."""
    from newsdesk.store import engine_of

    return event_stores.get(engine_of(url))(backend)
