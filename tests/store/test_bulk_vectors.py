"""Bulk vector writes: on PostgreSQL a large re-embedding builds the HNSW index once at the end; reads stay
right meanwhile and afterwards; a write that fails half-way still leaves the index built."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from newsdesk.articles.model import Article, Enrichment
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore, open_store
from newsdesk.store.base import EnrichmentWrite

MODEL = "bench-model"


def _writes(articles: list[Article], rng: np.random.Generator) -> list[EnrichmentWrite]:
    now = datetime.now(UTC)
    out = []
    for a in articles:
        v = rng.standard_normal(16).astype(np.float32)
        v /= np.linalg.norm(v)
        e = Enrichment(
            component="embedding", version="1", value={}, created_at=now, input_hash=a.content_hash
        )
        out.append(EnrichmentWrite(a.id, [e], {MODEL: v}))
    return out


def _indexes(store: ArticleStore) -> set[str]:
    with store._conn() as conn:  # type: ignore[attr-defined]
        return {
            r[0]
            for r in conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'vectors_hnsw_%'")
        }


@pytest.fixture
def bulk_store(settings: Settings) -> ArticleStore:
    tuned = settings.model_copy(update={"store": settings.store.model_copy(update={"bulk_index_rows": 10})})
    store = open_store(tuned)
    articles = [
        Article.create(source="b", source_id=str(i), headline=f"Story {i}", body="Text.") for i in range(40)
    ]
    store.upsert(articles)
    return store


def test_bulk_write_gives_the_same_vectors_and_nearest(bulk_store: ArticleStore) -> None:
    rng = np.random.default_rng(3)
    articles = list(bulk_store.iter_articles())
    writes = _writes(articles, rng)
    with bulk_store.bulk_vectors(MODEL, len(writes)):
        for i in range(0, len(writes), 8):
            bulk_store.write_enrichments(writes[i : i + 8])
        if hasattr(bulk_store, "nearest"):
            assert not _indexes(bulk_store)  # no per-row index upkeep while writing
            hits = bulk_store.nearest(MODEL, writes[5].vectors[MODEL], limit=1)  # type: ignore[attr-defined, index]
            assert hits[0][0] == writes[5].article_id  # exact scan meanwhile
    ids, matrix = bulk_store.get_vectors(MODEL)
    expected = {w.article_id: w.vectors[MODEL] for w in writes}  # type: ignore[index]
    assert sorted(ids) == sorted(expected)
    for article_id, row in zip(ids, matrix, strict=True):
        np.testing.assert_allclose(row, expected[article_id], atol=1e-6)
    if hasattr(bulk_store, "nearest"):
        assert len(_indexes(bulk_store)) == 1  # built once, at the end
        hits = bulk_store.nearest(MODEL, writes[7].vectors[MODEL], limit=1)  # type: ignore[attr-defined, index]
        assert hits[0][0] == writes[7].article_id
    bulk_store.close()


def test_index_is_built_even_when_the_bulk_write_fails(bulk_store: ArticleStore) -> None:
    if not hasattr(bulk_store, "nearest"):
        pytest.skip("SQLite keeps no vector index")
    writes = _writes(list(bulk_store.iter_articles()), np.random.default_rng(4))
    bulk_store.write_enrichments(writes[:2])  # the index exists before
    assert len(_indexes(bulk_store)) == 1
    with pytest.raises(RuntimeError), bulk_store.bulk_vectors(MODEL, len(writes)):
        bulk_store.write_enrichments(writes[2:20])
        raise RuntimeError("the run was stopped")
    assert len(_indexes(bulk_store)) == 1
    bulk_store.close()


def test_small_writes_keep_the_index_up_to_date(bulk_store: ArticleStore) -> None:
    if not hasattr(bulk_store, "nearest"):
        pytest.skip("SQLite keeps no vector index")
    writes = _writes(list(bulk_store.iter_articles())[:5], np.random.default_rng(5))
    with bulk_store.bulk_vectors(MODEL, len(writes)):  # under bulk_index_rows: nothing suspended
        bulk_store.write_enrichments(writes)
        assert len(_indexes(bulk_store)) == 1
    bulk_store.close()
