"""The store protocols: small, one per kind of state, and :class:`ArticleStore`, the archive's union of them.

- :class:`Articles`: articles and their revisions, with transactions and the change token;
- :class:`Enrichments`: component outputs, traceable to the content they were computed from;
- :class:`Vectors`: one vector per article and model;
- :class:`FullText`: keyword search and what a text index needs to mirror it.

API keys (:class:`newsdesk.auth.KeyStore`), editors' feedback
(:class:`newsdesk.monitor.feedback.FeedbackStore`), the prediction log
(:class:`newsdesk.monitor.predictions.PredictionStore`) and the embedding cache
(:class:`newsdesk.nlp.embed.EmbeddingCache`) have their protocols beside the code that uses them. One
backend object per engine implements the archive, keys and feedback; :func:`newsdesk.store.open_store` finds
it in the ``stores`` registry by the URL's scheme. The prediction log's implementations live here too
(``sqlite_predictions``, ``pg_predictions``, found by the same scheme), and the embedding cache is a local
SQLite file on every engine (``sqlite_cache``). This module
imports nothing above :mod:`newsdesk.articles`.

Tests in ``tests/store`` are written against the protocols and run over every backend, so callers never
depend on one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from newsdesk.articles.model import Article, Enrichment

__all__ = [
    "ArticleBrief",
    "ArticleFilter",
    "ArticleStore",
    "Articles",
    "EncodedArticle",
    "EnrichmentWrite",
    "Enrichments",
    "FullText",
    "Revision",
    "UpsertOutcome",
    "Vectors",
]

Status = Literal["inserted", "updated", "unchanged", "duplicate"]


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    """What happened to one article in :meth:`ArticleStore.upsert`."""

    id: str
    status: Status
    duplicate_of: str | None = None


class EncodedArticle(NamedTuple):
    """An article in a backend's write form (from :meth:`ArticleStore.encode`); picklable."""

    id: str
    content_hash: str
    fingerprint: str
    row: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class EnrichmentWrite:
    """Everything one enrichment batch writes for one article: outputs, and vectors by model name."""

    article_id: str
    enrichments: Sequence[Enrichment]
    vectors: dict[str, Any] | None = None  # model name -> 1-d float32 numpy array


@dataclass(frozen=True, slots=True)
class Revision:
    """A replaced version of an article, kept when a re-ingest changed it."""

    article_id: str
    revision: int
    content_hash: str
    replaced_at: datetime
    article: Article


class ArticleBrief(NamedTuple):
    """What a search result shows of an article: read without the rest of the row (no JSON to decode)."""

    id: str
    headline: str
    body: str
    section: str | None
    source: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Filters shared by listing, counting and iteration. ``None`` means no filter."""

    section: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@runtime_checkable
class Articles(Protocol):
    """Articles and their revisions, with transactional writes and a change token."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all are kept, or none (nested calls join the outer transaction)."""
        ...

    def upsert(self, articles: Sequence[Article], *, dedupe: bool = True) -> list[UpsertOutcome]:
        """Insert new articles, update changed ones (keeping a revision), skip unchanged ones.

        With ``dedupe``, an article whose fingerprint matches a stored article under another id is not
        stored and comes back as ``duplicate``. One outcome per input, in order.
        """
        ...

    def encode(self, article: Article) -> EncodedArticle:
        """The article in this backend's write form. Pure: ingest runs it in a reader process."""
        ...

    def upsert_encoded(
        self, articles: Sequence[EncodedArticle], *, dedupe: bool = True
    ) -> list[UpsertOutcome]:
        """:meth:`upsert` for articles already encoded."""
        ...

    def get(self, article_id: str, *, with_enrichments: bool = True) -> Article:
        """The article, or :class:`~newsdesk.errors.NotFound`."""
        ...

    def get_many(self, ids: Sequence[str]) -> list[Article]:
        """The articles of ``ids`` that exist (without enrichments), in the order of ``ids``."""
        ...

    def briefs(self, ids: Sequence[str]) -> list[ArticleBrief]:
        """:meth:`get_many` reduced to what a search hit shows (cheaper to read), in the order of ``ids``."""
        ...

    def list_articles(
        self, filt: ArticleFilter | None = None, *, limit: int = 20, offset: int = 0
    ) -> list[Article]:
        """Newest first (by published_at, then ingest time), without enrichments."""
        ...

    def count(self, filt: ArticleFilter | None = None) -> int: ...

    def iter_articles(self, filt: ArticleFilter | None = None, *, batch_size: int = 500) -> Iterator[Article]:
        """Every matching article in id order, fetched in batches."""
        ...

    def revisions(self, article_id: str) -> list[Revision]:
        """Earlier versions, oldest first."""
        ...

    def delete(self, article_id: str) -> None: ...

    def ids(self, filt: ArticleFilter | None = None) -> list[str]:
        """Ids of the articles matching ``filt`` (all without one), in id order."""
        ...

    def sections(self) -> dict[str, int]:
        """Section name -> article count."""
        ...

    def change_token(self) -> str:
        """A cheap value that differs whenever articles or vectors changed since it was last returned (by
        this handle or any other writer); other writes (API keys, feedback, enrichments) leave it."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Enrichments(Protocol):
    """Component outputs per article, each traceable to the content it was computed from."""

    def put_enrichments(self, article_id: str, enrichments: Sequence[Enrichment]) -> None: ...

    def write_enrichments(self, writes: Sequence[EnrichmentWrite]) -> int:
        """Store a batch of enrichments and vectors in one transaction; articles deleted meanwhile are
        skipped. Returns the number of articles written."""
        ...

    def stale(
        self, component: str, version: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[str]:
        """Ids (in id order) of articles with no ``component`` output of ``version`` computed from their
        current content, optionally only those published since ``since``."""
        ...

    def enrichment_values(self, component: str) -> Iterator[tuple[str, Any]]:
        """(article id, value) of every stored output of ``component``, in id order."""
        ...

    def enrichments_of(self, component: str, ids: Sequence[str]) -> dict[str, Any]:
        """Article id -> stored ``component`` value, for those of ``ids`` that have one."""
        ...

    def tagged(self, component: str, key: str) -> set[str]:
        """Ids of the articles whose stored ``component`` output contains ``key`` as a JSON string value
        (an IPTC qcode in ``iptc``, a canonical entity id in ``entities``)."""
        ...


@runtime_checkable
class Vectors(Protocol):
    """One vector per (article, model), with stamps an index compares to stay in sync."""

    def get_vectors(self, model: str, ids: Sequence[str] | None = None) -> tuple[list[str], Any]:
        """(ids, float32 matrix) of stored vectors of ``model``; all of them, in id order, without ``ids``.
        Ids without a vector are left out."""
        ...

    def vector_stamps(self, model: str) -> dict[str, str]:
        """Article id -> when its ``model`` vector was written: what an index compares to stay in sync."""
        ...

    def bulk_vectors(self, model: str, rows: int) -> AbstractContextManager[None]:
        """A context for writing about ``rows`` vectors of ``model`` (a re-embedding): a backend that keeps
        a vector index may build it once at the end instead of updating it per row."""
        ...


@runtime_checkable
class FullText(Protocol):
    """Keyword search over headlines and bodies, and what an in-memory text index needs to mirror it."""

    def search_text(
        self, query: str, *, limit: int = 10, filt: ArticleFilter | None = None
    ) -> list[tuple[str, float]]:
        """Full-text search (any of the query's words; BM25, headline weighted double): (id, score) pairs,
        best first (equal scores in order-key order), optionally only among articles matching ``filt``."""
        ...

    def text_stamps(self) -> dict[str, tuple[int, str]]:
        """Article id -> (order key, content stamp): what a text index compares to stay in sync. The order
        key ranks articles with equal full-text scores exactly as :meth:`search_text` does."""
        ...

    def texts(self, ids: Sequence[str]) -> list[tuple[str, int, str, str]]:
        """(id, order key, headline, body) of those of ``ids`` that exist, in order-key order."""
        ...


@runtime_checkable
class ArticleStore(Articles, Enrichments, Vectors, FullText, Protocol):
    """The archive: what every backend offers (with :class:`~newsdesk.auth.KeyStore` and
    :class:`~newsdesk.monitor.feedback.FeedbackStore`)."""
