"""The ArticleStore protocol: every backend (SQLite now, PostgreSQL later) offers exactly this.

Tests in ``tests/store`` are written against the protocol and run over every backend, so callers never
depend on one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol, runtime_checkable

from newsdesk.articles.model import Article, Enrichment
from newsdesk.auth import ApiKey
from newsdesk.monitor.feedback import Feedback

__all__ = [
    "ArticleBrief",
    "ArticleFilter",
    "ArticleStore",
    "EncodedArticle",
    "EnrichmentWrite",
    "Revision",
    "UpsertOutcome",
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
class ArticleStore(Protocol):
    """Articles, their revisions and enrichments, with transactional writes."""

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

    def search_text(
        self, query: str, *, limit: int = 10, filt: ArticleFilter | None = None
    ) -> list[tuple[str, float]]:
        """Full-text search (any of the query's words; BM25, headline weighted double): (id, score) pairs,
        best first (equal scores in order-key order), optionally only among articles matching ``filt``."""
        ...

    def ids(self, filt: ArticleFilter | None = None) -> list[str]:
        """Ids of the articles matching ``filt`` (all without one), in id order."""
        ...

    def tagged(self, component: str, key: str) -> set[str]:
        """Ids of the articles whose stored ``component`` output contains ``key`` as a JSON string value
        (an IPTC qcode in ``iptc``, a canonical entity id in ``entities``)."""
        ...

    def change_token(self) -> str:
        """A cheap value that differs whenever articles or vectors changed since it was last returned (by
        this handle or any other writer); other writes (API keys, feedback, enrichments) leave it."""
        ...

    def text_stamps(self) -> dict[str, tuple[int, str]]:
        """Article id -> (order key, content stamp): what a text index compares to stay in sync. The order
        key ranks articles with equal full-text scores exactly as :meth:`search_text` does."""
        ...

    def texts(self, ids: Sequence[str]) -> list[tuple[str, int, str, str]]:
        """(id, order key, headline, body) of those of ``ids`` that exist, in order-key order."""
        ...

    def vector_stamps(self, model: str) -> dict[str, str]:
        """Article id -> when its ``model`` vector was written: what an index compares to stay in sync."""
        ...

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

    def get_vectors(self, model: str, ids: Sequence[str] | None = None) -> tuple[list[str], Any]:
        """(ids, float32 matrix) of stored vectors of ``model``; all of them, in id order, without ``ids``.
        Ids without a vector are left out."""
        ...

    def sections(self) -> dict[str, int]:
        """Section name -> article count."""
        ...

    # -- API keys (see newsdesk.auth, which hashes and checks the secrets) ----------------------------------
    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store a new key under the hash of its secret (never the secret)."""
        ...

    def find_api_key(self, key_hash: str) -> tuple[ApiKey, str] | None:
        """The key stored under ``key_hash`` (revoked or not) and its stored hash, or ``None``."""
        ...

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        ...

    def revoke_api_key(self, key_id: str, when: datetime) -> ApiKey:
        """Mark the key revoked at ``when`` unless it already is; :class:`~newsdesk.errors.NotFound` if
        there is no such key."""
        ...

    def touch_api_key(self, key_id: str, when: datetime) -> None:
        """Record that the key was used at ``when``."""
        ...

    # -- editors' feedback (see newsdesk.monitor.feedback, which validates it) ---------------------------
    def add_feedback(self, items: Sequence[Feedback]) -> list[Feedback]:
        """Store feedback in one transaction; returns it with ids. :class:`~newsdesk.errors.NotFound`
        (nothing stored) when an article does not exist."""
        ...

    def list_feedback(
        self,
        *,
        article_id: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[Feedback]:
        """Feedback, oldest first, filtered."""
        ...

    def close(self) -> None: ...
