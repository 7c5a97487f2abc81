"""What one app holds: its settings, its store (opened on first use), the live enricher and its metrics.

Each app built by :func:`newsdesk.api.create_app` has its own :class:`ServiceState`, so tests can build many
apps side by side. The SQLite store is one connection shared by the request threads; it serialises access
with its own lock (``check_same_thread=False`` plus an ``RLock`` around every statement and transaction).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from newsdesk.settings import Settings
from newsdesk.store import Backend, open_store

if TYPE_CHECKING:
    from newsdesk.api.metrics import Metrics
    from newsdesk.lifecycle.serving import Champions
    from newsdesk.llm.writer import Writer
    from newsdesk.pipeline.live import LiveEnricher
    from newsdesk.recommend.service import Recommendations
    from newsdesk.search import Searcher

__all__ = ["ServiceState", "SettingsDep", "StateDep", "StoreDep", "service_state"]


@dataclass
class ServiceState:
    settings: Settings
    metrics: Metrics
    _store: Backend | None = None
    _enricher: LiveEnricher | None = None
    _searcher: Searcher | None = None
    _champions: Champions | None = None
    _writer: Writer | None = None
    _recommender: Recommendations | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self) -> Backend:
        """The app's store, opened on first use; :class:`~newsdesk.errors.StoreError` when it cannot be."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = open_store(self.settings)
        return self._store

    def opened_store(self) -> Backend | None:
        """The store if it is open already (then a short read on it cannot trigger migrations)."""
        return self._store

    def ready_searcher(self) -> Searcher | None:
        """The searcher if it is built and its indexes are in step with the store, else ``None``.

        A ready searcher answers a query in a few milliseconds of CPU, nearly all of it holding the
        interpreter lock; the search routes then run it on the event loop, which measured cheaper than the
        thread hop (a worker thread gains nothing while the lock is held). A searcher that is not ready
        may have seconds of loading or syncing to do, which belongs in the thread pool.
        """
        searcher = self._searcher
        return searcher if searcher is not None and searcher.current(without_io=True) else None

    def enricher(self) -> LiveEnricher:
        if self._enricher is None:
            from newsdesk.pipeline.live import LiveEnricher

            with self._lock:
                if self._enricher is None:
                    self._enricher = LiveEnricher(self.settings)
        return self._enricher

    def searcher(self) -> Searcher:
        """The app's hybrid searcher (its vector index loads on first use and follows the store)."""
        if self._searcher is None:
            from newsdesk.search import Searcher

            store = self.store()
            with self._lock:
                if self._searcher is None:
                    self._searcher = Searcher(store, self.settings)
        return self._searcher

    def preload(self) -> None:
        """Load what the first searches would otherwise wait for: both search indexes, synced with the
        store, and the query embedding model when the archive has vectors."""
        if not self.store().count():
            return
        searcher = self.searcher()
        searcher.sync()
        if len(searcher.index):
            searcher.embedder.model  # noqa: B018 - loading it is the point

    def champions(self) -> Champions:
        """The registered models' champions this app serves (loaded on first use, following promotions)."""
        if self._champions is None:
            from newsdesk.lifecycle.serving import Champions

            with self._lock:
                if self._champions is None:
                    self._champions = Champions(self.settings)
        return self._champions

    def recommender(self) -> Recommendations:
        """Reader recommendations' serving state (catalogue and model, loaded on first use)."""
        if self._recommender is None:
            from newsdesk.recommend.service import Recommendations

            store, champions = self.store(), self.champions()  # each takes the lock: before it, not under it
            with self._lock:
                if self._recommender is None:
                    self._recommender = Recommendations(self.settings, store, champions)
        return self._recommender

    def writer(self) -> Writer:
        """The generative products' provider, cache and verifier (built on first use)."""
        if self._writer is None:
            from newsdesk.llm.writer import Writer

            with self._lock:
                if self._writer is None:
                    self._writer = Writer(self.settings, source="api")
        return self._writer

    def close(self) -> None:
        with self._lock:
            self._searcher = None
            self._recommender = None
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self._champions is not None:
                self._champions.close()
                self._champions = None
            if self._store is not None:
                self._store.close()
                self._store = None


def service_state(request: Request) -> ServiceState:
    state = request.app.state.newsdesk
    assert isinstance(state, ServiceState)
    return state


# async on purpose: FastAPI runs a plain function dependency in its thread pool, a thread hop per request
# for what is an attribute lookup
async def _state(request: Request) -> ServiceState:
    return service_state(request)


async def _settings(request: Request) -> Settings:
    return service_state(request).settings


def _store(request: Request) -> Backend:  # may open the store (migrations): in the thread pool
    return service_state(request).store()


StateDep = Annotated[ServiceState, Depends(_state)]
SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Backend, Depends(_store)]
