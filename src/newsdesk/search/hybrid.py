"""Hybrid search: the store's full-text index and the vector index, fused by reciprocal rank.

A query runs through two retrievers, each returning up to ``search.depth`` candidates under the same
filters:

- **text**: BM25 full-text search over the query's content words (any of them; headline weighted double),
  from the :class:`~newsdesk.search.lexical.TextIndex` (an in-memory mirror of the store's FTS5 index with
  the same scores and order) or, with ``search.text_index`` off, from the store itself;
- **vector**: the query's embedding (same model as the articles' vectors; kept in a small in-memory cache)
  against the :class:`~newsdesk.search.index.VectorIndex`.

Their rankings are fused by reciprocal rank fusion: an article's score is the sum over retrievers of
``1 / (rrf_k + rank)``, so an article both retrievers rank well beats one only a single retriever likes,
without calibrating BM25 against cosine. ``mode="text"`` or ``"vector"`` uses one retriever (its own score
is then the result's score). Before the archive has vectors, hybrid search is text search, and the page
says so in ``retrievers``.

Filters: section, source, date range (``since`` inclusive, ``until`` exclusive), IPTC topic (an article
tagged with a narrower topic matches its ancestors too, because tags carry their ancestors) and entity
(canonical id from the ``entities`` component).

Every hit explains itself (``why``): the query words it contains, its rank and score in each retriever.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from newsdesk.artifacts import open_artifacts, pull_folder, push_folder
from newsdesk.errors import InvalidInput
from newsdesk.search.index import IndexStats, VectorIndex
from newsdesk.search.lexical import TextIndex, TextIndexStats, fts_words
from newsdesk.search.text import highlight, query_terms
from newsdesk.store.base import ArticleFilter

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.nlp.embed import Embedder
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = [
    "MAX_QUERY_CHARS",
    "SearchHit",
    "SearchPage",
    "SearchQuery",
    "Searcher",
    "Why",
    "open_index",
    "open_text_index",
]

Mode = Literal["hybrid", "text", "vector"]
MODES: tuple[Mode, ...] = ("hybrid", "text", "vector")
MAX_QUERY_CHARS = 20_000  # room for a pasted passage ("more like this")
MAX_LIMIT = 100
MAX_OFFSET = 1000


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What to look for. Validated by :meth:`validate` (the searcher calls it)."""

    text: str
    section: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    topic: str | None = None
    entity: str | None = None
    limit: int = 10
    offset: int = 0
    mode: Mode = "hybrid"
    collapse: bool = True  # show one article per story: near-duplicates folded under the best-ranked copy

    def validate(self) -> None:
        if not self.text or not self.text.strip():
            raise InvalidInput("query", self.text, "a non-empty text")
        if len(self.text) > MAX_QUERY_CHARS:
            raise InvalidInput("query", f"{len(self.text)} characters", f"at most {MAX_QUERY_CHARS}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput("limit", self.limit, f"an integer from 1 to {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise InvalidInput("offset", self.offset, f"an integer from 0 to {MAX_OFFSET}")
        if self.mode not in MODES:
            raise InvalidInput("mode", self.mode, "one of " + ", ".join(MODES))
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInput(name, value.isoformat(), "a date with a timezone (e.g. 2024-01-31T00:00Z)")
        if self.since and self.until and self.since >= self.until:
            raise InvalidInput(
                "until", self.until.isoformat(), f"a date after since ({self.since.isoformat()})"
            )

    @property
    def article_filter(self) -> ArticleFilter | None:
        if self.section is None and self.source is None and self.since is None and self.until is None:
            return None
        return ArticleFilter(section=self.section, source=self.source, since=self.since, until=self.until)


@dataclass(frozen=True, slots=True)
class Why:
    """Why a result is there."""

    matched_terms: list[str]
    text_rank: int | None = None  # 1-based rank in the full-text results
    text_score: float | None = None  # BM25 (higher is better)
    semantic_rank: int | None = None
    semantic_score: float | None = None  # cosine similarity of query and article vectors


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    headline: str
    score: float
    snippet: str
    section: str | None
    source: str
    published_at: datetime | None
    why: Why
    duplicates: list[str] = field(default_factory=list)  # copies of this story folded under it

    def to_dict(self) -> dict[str, Any]:
        # written out: dataclasses.asdict deep-copies every field and cost more than the search itself
        why = self.why
        return {
            "id": self.id,
            "headline": self.headline,
            "score": self.score,
            "snippet": self.snippet,
            "section": self.section,
            "source": self.source,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "why": {
                "matched_terms": list(why.matched_terms),
                "text_rank": why.text_rank,
                "text_score": why.text_score,
                "semantic_rank": why.semantic_rank,
                "semantic_score": why.semantic_score,
            },
            "duplicates": list(self.duplicates),
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    total: int  # ranked results available to page through (at most the retrievers' depth)
    results: list[SearchHit]
    mode: str
    retrievers: list[str]  # the retrievers that ran
    took_ms: float = 0.0
    offset: int = 0
    limit: int = 10
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "mode": self.mode,
            "retrievers": self.retrievers,
            "filters": self.filters,
            "took_ms": round(self.took_ms, 2),
            "results": [hit.to_dict() for hit in self.results],
        }


def _pull(settings: Settings, folder: Path) -> None:
    """With an artifact store, fetch the index built under ``index/<folder name>`` into ``folder`` when the
    local copy is missing or from an older build."""
    store = open_artifacts(settings)
    if store is not None:
        pull_folder(store, f"index/{folder.name}", folder)


def _push(settings: Settings, folder: Path) -> None:
    """With an artifact store, upload the index just built in ``folder`` for other machines to pull."""
    store = open_artifacts(settings)
    if store is not None:
        push_folder(store, folder, f"index/{folder.name}")


def open_index(settings: Settings, model: str) -> VectorIndex:
    """The workspace's vector index for ``model`` (loaded from disk when saved, after fetching a newer
    build from the artifact store when one is set; not yet synced)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    s = settings.search
    _pull(settings, settings.index_dir / safe)
    index = VectorIndex(
        settings.index_dir / safe,
        model,
        kind=s.index_kind,
        m=s.hnsw_m,
        ef_construction=s.ef_construction,
        ef_search=s.ef_search,
        rebuild_ratio=s.rebuild_ratio,
    )
    index.load()
    return index


def open_text_index(settings: Settings) -> TextIndex:
    """The workspace's full-text mirror (loaded from disk when saved, after fetching a newer build from the
    artifact store when one is set; not yet synced)."""
    _pull(settings, settings.index_dir / "_text")
    index = TextIndex(settings.index_dir / "_text")
    index.load()
    return index


class Searcher:
    """Hybrid search over one store. Thread-safe; keep one per process (the API does)."""

    def __init__(
        self,
        store: ArticleStore,
        settings: Settings,
        *,
        index: VectorIndex | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self._embedder = embedder
        self.model = self.embedder.vector_model(settings.nlp.embedding_strategy)
        self.index = index if index is not None else open_index(settings, self.model)
        self.text_index = open_text_index(settings) if settings.search.text_index else None
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from newsdesk.nlp.embed import EmbedderConfig, embedder_for

            self._embedder = embedder_for(EmbedderConfig.from_settings(self.settings))
        return self._embedder

    def sync(self) -> tuple[int, int]:
        """Bring the indexes up to date with the store (cheap when nothing changed); returns the vector
        index's (added, removed)."""
        if self.text_index is not None:
            self.text_index.sync(self.store)
        return self.index.sync(self.store)

    def current(self, *, without_io: bool = False) -> bool:
        """Whether both indexes are in step with the store, so that a search does no index upkeep (one
        cheap read of the store's change token tells). With ``without_io``, a store on the network
        (PostgreSQL) is not asked: only a token it holds in memory counts, else the answer is ``False``."""
        peek = getattr(self.store, "peek_change_token", None) if without_io else None
        token = peek() if peek is not None else self.store.change_token()
        if token is None:
            return False
        return self.index.synced_to(token) and (self.text_index is None or self.text_index.synced_to(token))

    def rebuild(self) -> tuple[IndexStats, TextIndexStats | None]:
        """Rebuild the vector index and the full-text mirror from the store (and upload both to the artifact
        store when one is set)."""
        text = self.text_index.rebuild(self.store) if self.text_index is not None else None
        stats = self.index.rebuild(self.store)
        for index in (self.index, self.text_index):
            if index is not None:
                _push(self.settings, index.folder)
        return stats, text

    def _text_hits(
        self, terms: list[str], depth: int, among: set[str] | None, filt: ArticleFilter | None
    ) -> list[tuple[str, float]]:
        if self.text_index is not None:
            hits = self.text_index.search(fts_words(" ".join(terms)), depth, among=among)
            if hits is not None:
                return hits
        fetch = depth if among is None else max(depth * 5, 1000)
        hits = self.store.search_text(" ".join(terms), limit=fetch, filt=filt)
        if among is not None:
            hits = [h for h in hits if h[0] in among]
        return hits[:depth]

    def needs_model(self, query: SearchQuery) -> bool:
        """Whether searching ``query`` would run the embedding model (its vector is not cached yet)."""
        if query.mode == "text" or not len(self.index):
            return False
        with self._lock:
            return query.text not in self._queries

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        vector: np.ndarray = self.embedder.encode([text])[0]
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > self.settings.search.query_cache:
                self._queries.popitem(last=False)
        return vector

    def search(self, query: SearchQuery) -> SearchPage:
        query.validate()
        started = time.perf_counter()
        self.sync()
        s = self.settings.search
        depth = max(s.depth, query.offset + query.limit)
        terms = query_terms(query.text)
        among = self._among(query)
        filt = query.article_filter

        text_hits: list[tuple[str, float]] = []
        vector_hits: list[tuple[str, float]] = []
        retrievers: list[str] = []
        if query.mode in ("hybrid", "text"):
            retrievers.append("text")
            text_hits = self._text_hits(terms, depth, among, filt)
        if query.mode in ("hybrid", "vector") and len(self.index) and (among is None or among):
            retrievers.append("vector")
            vector_hits = self.index.search(self.embed_query(query.text), depth, among=among)

        ranked = self._fuse(query.mode, text_hits, vector_hits)
        copies: dict[str, list[str]] = {}
        if query.collapse:
            ranked, copies = self._collapse(ranked)
        page = ranked[query.offset : query.offset + query.limit]
        text_rank = {a: (i + 1, sc) for i, (a, sc) in enumerate(text_hits)}
        vector_rank = {a: (i + 1, sc) for i, (a, sc) in enumerate(vector_hits)}
        hits = []
        articles = {a.id: a for a in self.store.briefs([article_id for article_id, _ in page])}
        for article_id, score in page:
            article = articles.get(article_id)
            if article is None:  # deleted since the indexes last synced
                continue
            shown, matched = highlight(article.headline, article.body, terms, width=s.snippet_chars)
            tr, vr = text_rank.get(article_id), vector_rank.get(article_id)
            hits.append(
                SearchHit(
                    id=article.id,
                    headline=article.headline,
                    score=round(score, 6),
                    snippet=shown,
                    section=article.section,
                    source=article.source,
                    published_at=article.published_at,
                    why=Why(
                        matched_terms=matched,
                        text_rank=tr[0] if tr else None,
                        text_score=round(tr[1], 4) if tr else None,
                        semantic_rank=vr[0] if vr else None,
                        semantic_score=round(vr[1], 4) if vr else None,
                    ),
                    duplicates=copies.get(article_id, []),
                )
            )
        filters = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in (
                ("section", query.section),
                ("source", query.source),
                ("since", query.since),
                ("until", query.until),
                ("topic", query.topic),
                ("entity", query.entity),
            )
            if v is not None
        }
        return SearchPage(
            query=query.text,
            total=len(ranked),
            results=hits,
            mode=query.mode,
            retrievers=retrievers,
            took_ms=(time.perf_counter() - started) * 1000,
            offset=query.offset,
            limit=query.limit,
            filters=filters,
        )

    def _among(self, query: SearchQuery) -> set[str] | None:
        """The ids allowed by the filters, or None when every article is allowed."""
        allowed: set[str] | None = None
        if query.article_filter is not None:
            allowed = set(self.store.ids(query.article_filter))
        for component, key in (("iptc", query.topic), ("entities", query.entity)):
            if key is None:
                continue
            if component == "iptc":
                from newsdesk.nlp.taxonomy import normalise_qcode

                key = normalise_qcode(key)
            tagged = self.store.tagged(component, key)
            allowed = tagged if allowed is None else allowed & tagged
        return allowed

    def _collapse(
        self, ranked: list[tuple[str, float]]
    ) -> tuple[list[tuple[str, float]], dict[str, list[str]]]:
        """Fold each article the ``near_duplicates`` component linked to a better-ranked one under it."""
        ids = {a for a, _ in ranked}
        links: dict[str, set[str]] = {}  # only the ranked articles with a ranked copy (usually few)
        for article_id, value in self.store.enrichments_of("near_duplicates", list(ids)).items():
            for match in value if isinstance(value, list) else []:
                other = match.get("id") if isinstance(match, dict) else None
                if other in ids and other != article_id:
                    links.setdefault(article_id, set()).add(other)
                    links.setdefault(other, set()).add(article_id)
        if not links:
            return ranked, {}
        kept: list[tuple[str, float]] = []
        owner: dict[str, str] = {}
        copies: dict[str, list[str]] = {}
        for article_id, score in ranked:
            if article_id in owner:
                copies.setdefault(owner[article_id], []).append(article_id)
                continue
            kept.append((article_id, score))
            for other in links.get(article_id, ()):
                owner.setdefault(other, article_id)
        return kept, copies

    def _fuse(
        self, mode: str, text_hits: Sequence[tuple[str, float]], vector_hits: Sequence[tuple[str, float]]
    ) -> list[tuple[str, float]]:
        if mode == "text" or not vector_hits:
            return list(text_hits) if mode != "vector" else []
        if mode == "vector":
            return list(vector_hits)
        k = self.settings.search.rrf_k
        scores = {article_id: 1.0 / (k + rank) for rank, (article_id, _) in enumerate(text_hits, start=1)}
        for rank, (article_id, _) in enumerate(vector_hits, start=1):
            scores[article_id] = scores.get(article_id, 0.0) + 1.0 / (k + rank)
        fused = sorted(scores.items(), key=itemgetter(0))  # equal scores: by id
        fused.sort(key=itemgetter(1), reverse=True)  # stable, so the id order holds among ties
        return fused
