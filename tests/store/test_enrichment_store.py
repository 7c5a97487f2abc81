"""The enrichment side of the ArticleStore contract: batch writes, staleness, values and vectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsdesk.articles.model import Article, Enrichment
from newsdesk.store import ArticleStore
from newsdesk.store.base import EnrichmentWrite


def make(n: int, **over: object) -> Article:
    fields: dict[str, object] = {
        "source": "test",
        "source_id": f"a{n:03d}",
        "headline": f"Headline number {n}",
        "body": f"Body of article {n}.",
        "published_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n),
    }
    fields.update(over)
    return Article.create(**fields)


def enrichment(article: Article, version: str = "1", value: object = None) -> Enrichment:
    return Enrichment(
        component="demo",
        version=version,
        value=value if value is not None else {"n": article.id},
        confidence=0.5,
        created_at=datetime.now(UTC),
        input_hash=article.content_hash,
    )


@pytest.fixture
def filled(store: ArticleStore) -> list[Article]:
    articles = [make(i) for i in range(5)]
    store.upsert(articles)
    return articles


def test_everything_is_stale_before_enrichment(store: ArticleStore, filled: list[Article]) -> None:
    assert store.stale("demo", "1") == sorted(a.id for a in filled)
    assert store.stale("demo", "1", limit=2) == sorted(a.id for a in filled)[:2]


def test_written_enrichments_are_no_longer_stale(store: ArticleStore, filled: list[Article]) -> None:
    written = store.write_enrichments([EnrichmentWrite(a.id, [enrichment(a)]) for a in filled[:3]])
    assert written == 3
    assert store.stale("demo", "1") == sorted(a.id for a in filled[3:])
    got = store.get(filled[0].id).enrichments["demo"]
    assert got.input_hash == filled[0].content_hash and got.ref == "demo@1"


def test_new_version_or_changed_article_is_stale_again(store: ArticleStore, filled: list[Article]) -> None:
    store.write_enrichments([EnrichmentWrite(a.id, [enrichment(a)]) for a in filled])
    assert store.stale("demo", "1") == []
    assert len(store.stale("demo", "2")) == len(filled)
    changed = make(1, body="A corrected body.")
    assert store.upsert([changed])[0].status == "updated"
    assert store.stale("demo", "1") == [changed.id]


def test_stale_since_filters_on_publication(store: ArticleStore, filled: list[Article]) -> None:
    since = datetime(2024, 1, 4, tzinfo=UTC)
    assert store.stale("demo", "1", since=since) == [a.id for a in filled if a.published_at >= since]


def test_write_skips_deleted_articles(store: ArticleStore, filled: list[Article]) -> None:
    store.delete(filled[0].id)
    written = store.write_enrichments([EnrichmentWrite(a.id, [enrichment(a)]) for a in filled])
    assert written == len(filled) - 1


def test_enrichment_values_in_id_order(store: ArticleStore, filled: list[Article]) -> None:
    store.write_enrichments([EnrichmentWrite(a.id, [enrichment(a, value=[i])]) for i, a in enumerate(filled)])
    assert list(store.enrichment_values("demo")) == [(a.id, [i]) for i, a in enumerate(filled)]
    assert list(store.enrichment_values("other")) == []


def test_vectors_roundtrip_and_cascade(store: ArticleStore, filled: list[Article]) -> None:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((len(filled), 8)).astype(np.float32)
    store.write_enrichments(
        [EnrichmentWrite(a.id, [enrichment(a)], {"m:lead": v}) for a, v in zip(filled, vecs, strict=True)]
    )
    ids, matrix = store.get_vectors("m:lead")
    assert ids == [a.id for a in filled]
    assert np.array_equal(matrix, vecs)
    some = [filled[3].id, filled[1].id, "test:missing"]
    ids, matrix = store.get_vectors("m:lead", some)
    assert ids == some[:2]
    assert np.array_equal(matrix, vecs[[3, 1]])
    store.delete(filled[3].id)
    assert filled[3].id not in store.get_vectors("m:lead")[0]
    assert store.get_vectors("other")[0] == []


def test_a_failed_batch_writes_nothing(store: ArticleStore, filled: list[Article]) -> None:
    bad = [EnrichmentWrite(a.id, [enrichment(a)], {"m": np.zeros((2, 2))}) for a in filled]
    with pytest.raises(ValueError, match="1-d"):
        store.write_enrichments(bad)
    assert len(store.stale("demo", "1")) == len(filled)


def test_nearest_in_the_database_matches_exact_search(store: ArticleStore, store_url: str | None) -> None:
    """PostgreSQL answers a query vector from its HNSW index, filters in SQL; the top hits are the exact
    ones on a small archive (where the index's breadth covers everything)."""
    nearest = getattr(store, "nearest", None)
    if store_url is None:
        assert nearest is None  # SQLite keeps no vector index: the search layer's faiss index serves it
        return
    assert nearest is not None
    rng = np.random.default_rng(7)
    articles = [make(i, section="sport" if i % 3 == 0 else "news") for i in range(120)]
    store.upsert(articles)
    vectors = rng.normal(size=(120, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.write_enrichments(
        [EnrichmentWrite(a.id, [], {"m": v}) for a, v in zip(articles, vectors, strict=True)]
    )
    query = rng.normal(size=16).astype(np.float32)
    query /= np.linalg.norm(query)
    exact = vectors @ query
    hits = nearest("m", query, limit=50)
    assert [h[0] for h in hits] == [articles[i].id for i in np.argsort(-exact)[:50]]
    assert np.allclose([h[1] for h in hits], np.sort(exact)[::-1][:50], atol=1e-5)
    from newsdesk.store.base import ArticleFilter

    sport = nearest("m", query, limit=10, filt=ArticleFilter(section="sport"))
    wanted = [i for i in np.argsort(-exact) if i % 3 == 0][:10]
    assert [h[0] for h in sport] == [articles[i].id for i in wanted]


@pytest.mark.parametrize("value", ["12", "plain text", 12, None, [1, "2"], {"k": "v"}])
def test_any_json_value_reads_back_as_written(
    store: ArticleStore, filled: list[Article], value: object
) -> None:
    # PostgreSQL once decoded a JSON string value twice: "12" came back as 12, "plain text" failed
    e = Enrichment(component="demo", version="1", value=value, created_at=datetime.now(UTC))
    store.write_enrichments([EnrichmentWrite(filled[0].id, [e])])
    assert store.get(filled[0].id).enrichments["demo"].value == value
    assert store.enrichments_of("demo", [filled[0].id]) == {filled[0].id: value}
