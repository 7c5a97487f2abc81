"""Readers as the library serves them to the API and the CLI: record their events, show one reader's
history, forget a reader, and purge events past retention.

Every function takes the reader id a client knows (``raw``) and hashes it here
(:func:`~newsdesk.recommend.model.hash_reader` under ``settings.recommend.salt``); nothing returned or logged
holds a reader id, raw or hashed.

>>> import pathlib, tempfile
>>> from newsdesk.settings import Settings
>>> from newsdesk.store import open_store
>>> settings = Settings(home=pathlib.Path(tempfile.mkdtemp()))
>>> store = open_store(settings)
>>> batch = record_events(settings, store, [{"reader": "U1", "article_id": "nope", "kind": "click",
...                                           "at": "2024-05-02T10:00:00Z"}])
>>> len(batch.accepted), batch.rejected[0].field
(0, 'article_id')
>>> store.close()
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.recommend.events import EventBatch, check_reader_id, validate_events
from newsdesk.recommend.model import EVENT_KINDS, hash_reader
from newsdesk.recommend.store import HISTORY_KINDS, EventStore, open_events

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["forget_reader", "known_articles", "purge_events", "reader_history", "record_events"]

log = logging.getLogger("newsdesk.recommend")


def _events(settings: Settings, store: Backend) -> EventStore:
    return open_events(store, settings.store_url)


def _hashed(settings: Settings, raw: str) -> str:
    return hash_reader(check_reader_id(raw), settings.recommend.salt.get_secret_value())


def known_articles(store: Backend, ids: Sequence[str]) -> set[str]:
    """The ids of ``ids`` that are articles in the archive."""
    return {b.id for b in store.briefs(list(ids))}


def record_events(
    settings: Settings,
    store: Backend,
    raw: Sequence[Mapping[str, Any] | Any],
    now: datetime | None = None,
    *,
    source: str = "api",
) -> EventBatch:
    """Validate ``raw`` events (:func:`~newsdesk.recommend.events.validate_events`) against the archive's
    articles and store the accepted ones in one transaction; the batch says what was kept and refused."""
    batch = validate_events(
        raw, settings=settings, known=lambda ids: known_articles(store, ids), now=now, source=source
    )
    _events(settings, store).add_events(batch.accepted)
    return batch


def forget_reader(
    settings: Settings, store: Backend, raw: str, *, actor: str | None = None
) -> dict[str, int]:
    """Delete everything kept of the reader whose id is ``raw`` (their events, the slates served to them,
    experiment events keyed by either form of their id), in one transaction; table -> rows deleted. The
    audit trail records that a reader was forgotten, by whom, and the counts: never the reader's id."""
    from newsdesk.lifecycle.audit import audit_log, default_actor

    deleted = _events(settings, store).forget_reader(_hashed(settings, raw), units=[raw])
    log.info("forgot a reader: %s", ", ".join(f"{n} {table}" for table, n in sorted(deleted.items())))
    audit_log(settings).append("reader_forget", actor=actor or default_actor(), details={"deleted": deleted})
    return deleted


def purge_events(settings: Settings, store: Backend, now: datetime | None = None) -> dict[str, Any]:
    """Delete events and slates older than ``settings.recommend.retention_days``:
    ``{"before": iso time, "deleted": {table: rows}}``."""
    before = (now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=settings.recommend.retention_days)
    deleted = _events(settings, store).purge(before)
    from newsdesk.lifecycle.audit import audit_log, default_actor

    audit_log(settings).append(
        "reader_purge", actor=default_actor(), details={"before": before.isoformat(), "deleted": deleted}
    )
    return {"before": before.isoformat(), "deleted": deleted}


def reader_history(
    settings: Settings,
    store: Backend,
    raw: str,
    limit: int = 50,
    kinds: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The reader's latest events of ``kinds`` (reads: click, dwell, open), newest first, each with the
    article's headline; no reader id in them."""
    if not 1 <= limit <= 1000:
        raise InvalidInput("limit", limit, "an integer from 1 to 1000")
    chosen = tuple(kinds) if kinds else HISTORY_KINDS
    for kind in chosen:
        if kind not in EVENT_KINDS:
            raise InvalidInput("kinds", kind, "one of " + ", ".join(EVENT_KINDS))
    found = _events(settings, store).reader_history(_hashed(settings, raw), kinds=chosen, limit=limit)
    briefs = {b.id: b for b in store.briefs(list({e.article_id for e in found}))}
    out = []
    for e in found:
        d = e.to_dict()
        del d["reader"]
        brief = briefs.get(e.article_id)
        d["headline"] = brief.headline if brief is not None else None
        out.append(d)
    return out
