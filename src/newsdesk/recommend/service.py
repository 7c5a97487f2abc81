"""Recommendations as a product: "more for you" for one reader, "readers also read" under an article, and a
batch of newsletter slates, each traceable to the model that chose it.

:class:`Recommendations` holds what serving needs in memory: the archive's catalogue and a fitted hybrid
recommender. The hybrid is the champion of the ``recommend-hybrid`` model kind when one is promoted (its
item-side state is what it learned; see :mod:`newsdesk.recommend.lifecycle`), else one fitted on the reader
events in the store, refitted when the archive or the number of events has changed and the last fit is older
than ``refit_seconds``. A reader is described at request time by their own events in the store, so a click
posted a moment ago changes the next slate, and a forgotten reader is a stranger at once.

Every served slate is written to the event store's slate log (hashed reader, product, model and version,
the input it was chosen from, the articles), and its response carries the same record.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput, NotFound
from newsdesk.recommend.model import hash_reader
from newsdesk.recommend.slate import SlateRules, build_slate

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.lifecycle.serving import Champions
    from newsdesk.recommend.model import Catalogue
    from newsdesk.recommend.models.hybrid import HybridRecommender
    from newsdesk.recommend.store import EventStore
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["NewsletterReport", "Recommendations", "also_read", "newsletter", "recommend_for"]

KIND = "recommend-hybrid"
HISTORY = 200  # most recent reads that describe a reader
MAX_N = 100


@dataclass
class _Fitted:
    model: HybridRecommender
    identity: str  # "newsdesk-recommend-hybrid@3" or "fitted-on-events@<count>"
    token: tuple[str, int]
    at: float  # when it was last checked against the store and brought up to date (monotonic)
    fitted_at: float  # when it was last fitted in full (monotonic)
    last_event: datetime | None  # the latest event it has learned from


@dataclass
class Recommendations:
    """The serving state of recommendations for one store (see the module docstring)."""

    settings: Settings
    store: Backend
    champions: Champions | None = None
    refit_seconds: float = 30.0
    full_refit_seconds: float = 3600.0
    _catalogue: tuple[str, Catalogue] | None = None
    _fitted: _Fitted | None = None
    _rows: tuple[dict[str, int], Catalogue, np.ndarray] | None = None  # catalogue -> model rows
    _lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def events(self) -> EventStore:
        from newsdesk.recommend.store import open_events

        return open_events(self.store, self.settings.store_url)

    def catalogue(self) -> Catalogue:
        """The archive's catalogue, read again when the archive's change token moved."""
        from newsdesk.recommend.catalogue import archive_catalogue

        token = self.store.change_token()
        with self._lock:
            if self._catalogue is None or self._catalogue[0] != token:
                self._catalogue = (token, archive_catalogue(self.settings, self.store))
            return self._catalogue[1]

    def model(self) -> tuple[str, HybridRecommender]:
        """(identity, hybrid recommender): the promoted champion, else one fitted on the store's events."""
        if self.champions is not None and self.champions.version(KIND) is not None:
            identity, pyfunc = self.champions.model(KIND)
            return identity, pyfunc.recommender
        now = time.monotonic()
        with self._lock:
            fitted = self._fitted
            if fitted is not None and now - fitted.at < self.refit_seconds:
                return fitted.identity, fitted.model  # checked lately: no count of the events per request
            token = (self.store.change_token(), self.events.count_events())
            if fitted is None:
                fitted = self._fit(token)
            elif fitted.token != token:
                full = fitted.token[0] != token[0] or now - fitted.fitted_at >= self.full_refit_seconds
                fitted = self._fit(token) if full else self._update(fitted, token)
            else:
                fitted.at = now
            self._fitted = fitted
            return fitted.identity, fitted.model

    def _fit(self, token: tuple[str, int]) -> _Fitted:
        """A hybrid fitted on every event in the store (and the archive as it is now)."""
        from newsdesk.recommend.models.hybrid import HybridRecommender

        events = list(self.events.events())
        model = HybridRecommender(half_life_hours=self.settings.recommend.half_life_hours).fit(
            events, self.catalogue()
        )
        last = max((e.at for e in events), default=None)
        now = time.monotonic()
        return _Fitted(model, f"fitted-on-events@{token[1]}", token, now, now, last)

    def _update(self, fitted: _Fitted, token: tuple[str, int]) -> _Fitted:
        """The fitted hybrid taught the events that arrived since (its online parts learn them; the others
        wait for the next full fit, at most ``full_refit_seconds`` away): a busy site's stream costs a pass
        over the new events, not a refit on all of them every ``refit_seconds``."""
        new = [
            e
            for e in self.events.events(since=fitted.last_event)
            if fitted.last_event is None or e.at > fitted.last_event
        ]
        fitted.model.partial_fit(new)
        last = max((e.at for e in new), default=fitted.last_event)
        identity = f"fitted-on-events@{token[1]}"
        return _Fitted(fitted.model, identity, token, time.monotonic(), fitted.fitted_at, last)

    def window(self, model: HybridRecommender, at: datetime) -> np.ndarray:
        """The model's rows of the articles a slate may show at ``at``: those of the catalogue published
        within ``max_age_days`` (or at an unknown time). Models score these alone, so the cost of a request
        follows the recommendable window, not the archive's size."""
        import numpy as np

        catalogue = self.catalogue()
        with self._lock:
            index = model.index_  # a new dict whenever the model's items change (a fit, a reindex)
            if self._rows is None or self._rows[0] is not index or self._rows[1] is not catalogue:
                mapped = np.array([index.get(a, -1) for a in catalogue.ids], dtype=np.int64)
                self._rows = (index, catalogue, mapped)
            mapped = self._rows[2]
        horizon = at.timestamp() - self.settings.recommend.max_age_days * 86400.0
        published = catalogue.published
        recent = np.isnan(published) | (published >= horizon)
        return np.asarray(mapped[recent & (mapped >= 0)])

    def refresh(self) -> None:
        """Refit now (on the next request), whatever the age of the last fit."""
        with self._lock:
            self._fitted = None
            self._catalogue = None


def recommend_for(
    engine: Recommendations,
    reader: str,
    *,
    n: int | None = None,
    at: datetime | None = None,
    product: str = "recommendations",
    log: bool = True,
) -> dict[str, Any]:
    """The slate for the reader whose raw id is ``reader``: ``{"items": [...], "model", "history", ...}``."""
    settings = engine.settings
    hashed = hash_reader(_reader_id(reader), settings.recommend.salt.get_secret_value())
    return _slate_for_hash(engine, hashed, n=n, at=at, product=product, log=log)


def _slate_for_hash(
    engine: Recommendations,
    hashed: str,
    *,
    n: int | None,
    at: datetime | None,
    product: str,
    log: bool = True,
) -> dict[str, Any]:
    settings = engine.settings
    size = settings.recommend.slate_size if n is None else n
    if not 1 <= size <= MAX_N:
        raise InvalidInput("n", size, f"an integer from 1 to {MAX_N}")
    when = at or datetime.now(UTC)
    history = [e.article_id for e in engine.events.reader_history(hashed, limit=HISTORY)]
    identity, model = engine.model()
    catalogue = engine.catalogue()
    rows = engine.window(model, when)
    candidates = model.top(history, when, settings.recommend.candidates, exclude=history, rows=rows)
    rules = SlateRules.from_settings(settings.recommend, n=size)
    slate = build_slate(candidates, catalogue, rules=rules, history=history, at=when.timestamp())
    slate_id = uuid.uuid4().hex[:16]
    out = _response(
        engine, slate, identity, product, when, impression=slate_id, history=len(history), cold=not history
    )
    if log:
        inputs = {"history": len(history), "n": size, "window": len(rows), "candidates": len(candidates)}
        _log(engine, hashed, product, identity, when, inputs, out["items"], slate_id)
    return out


def also_read(engine: Recommendations, article_id: str, *, n: int = 5) -> dict[str, Any]:
    """Articles that readers of ``article_id`` also read (co-clicks), topped up with its nearest articles
    by content when the co-clicks run out; one per story, not the article's own story."""
    if not 1 <= n <= MAX_N:
        raise InvalidInput("n", n, f"an integer from 1 to {MAX_N}")
    catalogue = engine.catalogue()
    if article_id not in catalogue.index:
        raise NotFound(f"no article {article_id!r}")
    identity, model = engine.model()
    found = model.also_read(article_id, n * 5)
    rules = SlateRules(n=n, diversity=0.0, freshness=0.0, max_age_days=1e6, one_per_story=True)
    own_story = catalogue.stories[catalogue.index[article_id]]
    scored = [(a, s) for a, s in found if catalogue.stories[catalogue.index.get(a, 0)] != own_story]
    slate = build_slate(scored, catalogue, rules=rules, history=[article_id], at=time.time())
    return _response(engine, slate, identity, "also-read", datetime.now(UTC), article=article_id)


@dataclass
class NewsletterReport:
    written: int
    skipped: int  # already in the output file (a resumed run)
    rejected: list[dict[str, Any]]
    seconds: float
    out: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 2),
            "out": self.out,
        }


def newsletter(
    engine: Recommendations,
    readers: Sequence[str] | None,
    out: Path,
    *,
    n: int | None = None,
    at: datetime | None = None,
    progress: Any = None,
) -> NewsletterReport:
    """One slate per reader of ``readers`` (raw ids, as the send system knows them), appended to ``out``
    as JSON lines ``{"reader": id, "impression": slate id, "items": [...], "model": ...}``. Without
    ``readers``, every reader active within ``retention_days``, by hashed id (``{"reader_hash": ...}``: the
    send system maps its subscribers with the same keyed hash). Resumable: readers already in ``out`` are
    skipped, each line is flushed as it is written, and a line cut short by a crash is dropped on resume."""
    started = time.perf_counter()
    when = at or datetime.now(UTC)
    if readers is None:
        since = when - timedelta(days=engine.settings.recommend.retention_days)
        return _newsletter_hashed(
            engine, engine.events.active_readers(since), out, n, when, progress, started
        )
    done = set(_written_readers(out))
    rejected: list[dict[str, Any]] = []
    written = skipped = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        for k, reader in enumerate(readers):
            if reader in done:
                skipped += 1
                continue
            try:
                slate = recommend_for(engine, reader, n=n, at=when, product="newsletter")
            except InvalidInput as exc:
                rejected.append({"index": k, "reader": reader[:40], "reason": str(exc)})
                continue
            fh.write(json.dumps({"reader": reader, **slate}) + "\n")
            fh.flush()
            done.add(reader)
            written += 1
            if progress is not None:
                progress(1)
    return NewsletterReport(written, skipped, rejected, time.perf_counter() - started, str(out))


def _newsletter_hashed(
    engine: Recommendations,
    hashed: Sequence[str],
    out: Path,
    n: int | None,
    when: datetime,
    progress: Any,
    started: float,
) -> NewsletterReport:
    done = set(_written_readers(out, key="reader_hash"))
    written = skipped = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        for reader_hash in hashed:
            if reader_hash in done:
                skipped += 1
                continue
            slate = _slate_for_hash(engine, reader_hash, n=n, at=when, product="newsletter")
            fh.write(json.dumps({"reader_hash": reader_hash, **slate}) + "\n")
            fh.flush()
            written += 1
            if progress is not None:
                progress(1)
    return NewsletterReport(written, skipped, [], time.perf_counter() - started, str(out))


def _written_readers(out: Path, key: str = "reader") -> Iterator[str]:
    """Readers of the complete lines of ``out``; a torn last line (a crash mid-write) is cut off."""
    if not out.exists():
        return
    data = out.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep < len(data):
        with out.open("r+b") as fh:
            fh.truncate(keep)
    for line in data[:keep].decode("utf-8").splitlines():
        if line.strip():
            yield str(json.loads(line).get(key, ""))


def _reader_id(reader: str) -> str:
    from newsdesk.recommend.events import check_reader_id

    return check_reader_id(reader)


def _response(
    engine: Recommendations,
    slate: list[Any],
    identity: str,
    product: str,
    when: datetime,
    **extra: Any,
) -> dict[str, Any]:
    briefs = {b.id: b for b in engine.store.briefs([s.article_id for s in slate])}
    items = []
    for s in slate:
        brief = briefs.get(s.article_id)
        items.append(
            {
                **s.to_dict(),
                "headline": brief.headline if brief else "",
                "section": brief.section if brief else None,
                "published_at": brief.published_at.isoformat() if brief and brief.published_at else None,
            }
        )
    return {"product": product, "model": identity, "at": when.isoformat(), **extra, "items": items}


def _log(
    engine: Recommendations,
    hashed: str,
    product: str,
    identity: str,
    when: datetime,
    inputs: dict[str, Any],
    items: list[dict[str, Any]],
    slate_id: str,
) -> None:
    from newsdesk.recommend.store import SlateRecord

    name, _, version = identity.partition("@")
    engine.events.log_slate(
        SlateRecord(
            reader=hashed,
            at=when,
            product=product,
            kind=name,
            version=version,
            input=inputs,
            articles=[i["article_id"] for i in items],
            slate_id=slate_id,
        )
    )
