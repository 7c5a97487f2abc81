"""Article stores: the protocols and their backends, one per engine, found by the URL's scheme.

A backend registers a factory ``(url, settings) -> Backend`` in :data:`stores` under each scheme it serves
(``sqlite``, ``postgresql``); third-party packages add engines through the ``newsdesk.stores`` entry-point
group. Nothing outside a backend imports its driver.

>>> import pathlib, tempfile
>>> from newsdesk.settings import Settings
>>> store = open_store(Settings(home=pathlib.Path(tempfile.mkdtemp())))
>>> store.count()
0
>>> sorted(stores.names())[:2]
['postgres', 'postgresql']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

from newsdesk.auth import KeyStore
from newsdesk.errors import InvalidInput
from newsdesk.monitor.feedback import FeedbackStore
from newsdesk.registry import Registry
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleFilter, ArticleStore, Revision, UpsertOutcome

__all__ = [
    "ArticleFilter",
    "ArticleStore",
    "Backend",
    "Revision",
    "UpsertOutcome",
    "engine_of",
    "open_store",
    "redacted",
    "stores",
    "tracking_beside",
    "trackings",
]


@runtime_checkable
class Backend(ArticleStore, KeyStore, FeedbackStore, Protocol):
    """Everything one engine's store object offers: the archive, API keys and feedback."""


#: scheme -> factory(url, settings) of a backend
stores: Registry[Callable[[str, Settings], Backend]] = Registry("stores")


@stores.register("sqlite")
def _sqlite(url: str, settings: Settings) -> Backend:
    from pathlib import Path

    from newsdesk.store.sqlite import SQLiteStore

    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    if not path:
        raise InvalidInput("store.url", url, "sqlite:///<path of the database file>")
    return SQLiteStore(Path(path), busy_timeout_ms=settings.store.busy_timeout_ms)


@stores.register("postgresql")
@stores.register("postgres")
def _postgres(url: str, settings: Settings) -> Backend:
    from newsdesk.store.postgres import PostgresStore

    return PostgresStore(
        url,
        pool_size=settings.store.pool_size,
        cache_ttl_ms=settings.store.cache_ttl_ms,
        busy_timeout_ms=settings.store.busy_timeout_ms,
        bulk_index_rows=settings.store.bulk_index_rows,
        bulk_index_memory=settings.store.bulk_index_memory,
    )


#: engine -> (store URL -> MLflow's tracking URI in the same database), for engines that can host MLflow
trackings: Registry[Callable[[str], str]] = Registry("trackings")


@trackings.register("postgresql")
@trackings.register("postgres")
def _postgres_tracking(url: str) -> str:
    from newsdesk.store.postgres import mlflow_tracking

    return mlflow_tracking(url)


def tracking_beside(settings: Settings) -> str | None:
    """MLflow's tracking and registry URI in the store's own database (its ``mlflow`` schema), when the
    store's engine can host it (PostgreSQL); ``None`` for the embedded SQLite store, whose workspace keeps its
    own MLflow database."""
    engine = engine_of(settings.store_url)
    if engine not in trackings.names():
        return None
    url = settings.store_url
    found = _TRACKINGS.get(url)
    if found is None:  # prepared once per process (the schema is made if missing)
        found = _TRACKINGS[url] = trackings.get(engine)(url)
    return found


_TRACKINGS: dict[str, str] = {}


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs.

    >>> redacted("postgresql://news:secret@db:5432/archive")
    'postgresql://news:***@db:5432/archive'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def engine_of(url: str) -> str:
    """The name a store URL's engine is registered under in :data:`stores` (its scheme, lower case, without
    a ``+driver`` suffix); :class:`~newsdesk.errors.InvalidInput` when no backend serves it.

    >>> engine_of("postgresql+psycopg://news@db/archive")
    'postgresql'
    """
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    if not scheme:
        raise InvalidInput(
            "store.url", redacted(url), "a URL such as sqlite:///path or postgresql://user@host:port/db"
        )
    if scheme not in stores.names():
        raise InvalidInput(
            "store.url", redacted(url), f"a URL whose scheme is one of: {', '.join(stores.names())}"
        )
    return scheme


def open_store(settings: Settings) -> Backend:
    """Open (creating or migrating if needed) the store that ``settings.store_url`` names."""
    url = settings.store_url
    return stores.get(engine_of(url))(url, settings)
