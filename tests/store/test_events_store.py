"""Reader events and the slate log, on every backend: events round-trip; history is newest first and by kind;
training streams every event oldest first across pages; clicks count; a failing batch leaves nothing;
forgetting a reader deletes all of theirs and nothing of anyone else's; retention purges by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.recommend.model import ReaderEvent
from newsdesk.recommend.store import EventStore, SlateRecord, open_events
from newsdesk.settings import Settings
from newsdesk.store import Backend
from newsdesk.store.sql_dialect import pg_dialect, sqlite_dialect
from newsdesk.store.sql_events import SqlEvents

T0 = datetime(2024, 5, 2, 10, tzinfo=UTC)
ANA, BEN = "a" * 32, "b" * 32  # hashed ids


@pytest.fixture
def events(store: Backend, settings: Settings) -> EventStore:
    return open_events(store, settings.store_url)


def _ev(reader: str, article: str, kind: str = "click", minutes: float = 0, **kw: object) -> ReaderEvent:
    return ReaderEvent(reader, article, kind, T0 + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def test_the_store_protocol_is_met(events: EventStore) -> None:
    assert isinstance(events, EventStore)


def test_events_round_trip_and_history_is_newest_first(events: EventStore) -> None:
    batch = [
        _ev(ANA, "a1", "impression", 0, impression="imp-1"),
        _ev(ANA, "a1", "click", 1, impression="imp-1"),
        _ev(ANA, "a1", "dwell", 2, dwell_s=42.5),
        _ev(ANA, "a2", "open", 3, source="newsletter"),
        _ev(BEN, "a2", "click", 1.5),
    ]
    assert events.add_events(batch) == 5 and events.add_events([]) == 0
    assert events.count_events() == 5 and events.count_events(ANA) == 4 and events.count_events("x") == 0
    history = events.reader_history(ANA)
    assert history == [batch[3], batch[2], batch[1]]  # impressions are not reads
    assert events.reader_history(ANA, kinds=("impression",)) == [batch[0]]
    assert events.reader_history(ANA, limit=1) == [batch[3]]
    assert events.reader_history(ANA, kinds=()) == []
    assert history[1].dwell_s == 42.5 and history[1].at.tzinfo is not None
    assert events.article_clicks(T0) == {"a1": 1, "a2": 1}
    assert events.article_clicks(T0 + timedelta(minutes=1, seconds=30)) == {"a2": 1}


def test_events_stream_oldest_first_across_pages(store: Backend, settings: Settings) -> None:
    dialect = sqlite_dialect(store) if settings.store_url.startswith("sqlite") else pg_dialect(store)
    paged = SqlEvents(dialect, page=3)
    # out of time order, and several at the same instant (ties go by insertion)
    batch = [_ev(ANA, f"a{i}", "click", minutes=(7 - i) // 2) for i in range(8)]
    batch += [_ev(BEN, "b0", "impression", 0.5), _ev(BEN, "b1", "click", 10, dwell_s=None)]
    paged.add_events(batch)
    streamed = list(paged.events())
    assert len(streamed) == 10
    assert [e.at for e in streamed] == sorted(e.at for e in batch)
    assert [e.article_id for e in streamed[:3]] == ["a6", "a7", "b0"]
    assert [e.article_id for e in paged.events(kinds=["impression"])] == ["b0"]
    assert list(paged.events(kinds=[])) == []
    window = list(paged.events(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)))
    assert [e.article_id for e in window] == ["a4", "a5", "a2", "a3"]


def test_a_batch_with_a_failing_row_leaves_nothing(events: EventStore) -> None:
    events.add_events([_ev(ANA, "a0")])
    bad = ReaderEvent(ANA, None, "click", T0)  # type: ignore[arg-type]  # NOT NULL fails in the database
    with pytest.raises(Exception):  # noqa: B017 - the driver's own integrity error
        events.add_events([_ev(ANA, "a1"), _ev(BEN, "a2"), bad])
    assert events.count_events() == 1


def test_slates_are_logged_newest_first(events: EventStore) -> None:
    first = SlateRecord(ANA, T0, "recommendations", "hybrid", "3", {"history": 4}, ["a1", "a2"])
    second = SlateRecord(ANA, T0 + timedelta(hours=1), "newsletter", "popular", "1", {}, ["a3"])
    events.log_slate(first)
    events.log_slate(second)
    events.log_slate(SlateRecord(BEN, T0, "also-read", "coclick", "2", {"article": "a1"}, []))
    assert events.slates(ANA) == [second, first]
    assert events.slates(ANA, limit=1) == [second]
    assert events.slates("nobody") == []


def test_served_slates_and_active_readers_by_time(events: EventStore) -> None:
    early = SlateRecord(ANA, T0, "recommendations", "hybrid", "3", {}, ["a1"], "s-early")
    late = SlateRecord(BEN, T0 + timedelta(hours=2), "newsletter", "hybrid", "3", {}, ["a2", "a3"], "s-late")
    events.log_slate(late)
    events.log_slate(early)
    assert events.served(T0) == [early, late]  # oldest first, with their slate ids
    assert events.served(T0 + timedelta(hours=1)) == [late]
    assert events.served(T0, T0 + timedelta(hours=1)) == [early]
    events.add_events([_ev(ANA, "a1", minutes=0), _ev(BEN, "a2", minutes=90), _ev(BEN, "a3", minutes=95)])
    assert events.active_readers(T0) == [ANA, BEN]
    assert events.active_readers(T0 + timedelta(minutes=60)) == [BEN]


def test_forgetting_a_reader_deletes_all_of_theirs_and_nothing_else(events: EventStore) -> None:
    events.add_events([_ev(ANA, "a1"), _ev(ANA, "a2", "dwell", 1, dwell_s=3.0), _ev(BEN, "a1")])
    events.log_slate(SlateRecord(ANA, T0, "recommendations", "hybrid", "3", {}, ["a1"]))
    events.log_slate(SlateRecord(BEN, T0, "recommendations", "hybrid", "3", {}, ["a2"]))
    deleted = events.forget_reader(ANA, units=["ana-raw"])
    assert deleted == {"reader_events": 2, "reader_slates": 1, "experiment_events": 0}
    assert events.count_events(ANA) == 0 and events.slates(ANA) == [] and events.reader_history(ANA) == []
    assert events.count_events(BEN) == 1 and len(events.slates(BEN)) == 1
    assert events.forget_reader(ANA) == {"reader_events": 0, "reader_slates": 0, "experiment_events": 0}


def test_purge_deletes_what_is_older_than_the_cut(events: EventStore) -> None:
    events.add_events([_ev(ANA, "a1", minutes=0), _ev(ANA, "a2", minutes=60), _ev(BEN, "a3", minutes=120)])
    events.log_slate(SlateRecord(ANA, T0, "recommendations", "hybrid", "3", {}, ["a1"]))
    events.log_slate(SlateRecord(BEN, T0 + timedelta(hours=3), "recommendations", "hybrid", "3", {}, []))
    assert events.purge(T0 + timedelta(minutes=60)) == {"reader_events": 1, "reader_slates": 1}
    assert [e.article_id for e in events.events()] == ["a2", "a3"]
    assert events.purge(T0) == {"reader_events": 0, "reader_slates": 0}
