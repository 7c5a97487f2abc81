"""The vector index: exact and HNSW agree, sync follows the store, files survive a restart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.search import VectorIndex
from newsdesk.settings import Settings
from newsdesk.store import ArticleStore
from newsdesk.store.base import EnrichmentWrite

MODEL = "test-model:chunks"


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _fill(store: ArticleStore, n: int, dim: int = 32, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = _unit(rng.normal(size=(n, dim)))
    articles = [
        Article.create(source="t", source_id=f"a{i:04d}", headline=f"Story {i}", body=f"Body of story {i}.")
        for i in range(n)
    ]
    store.upsert(articles, dedupe=False)
    store.write_enrichments(
        [EnrichmentWrite(a.id, [], {MODEL: v}) for a, v in zip(articles, vectors, strict=True)]
    )
    return {a.id: v for a, v in zip(articles, vectors, strict=True)}


def _exact_top(vectors: dict[str, np.ndarray], q: np.ndarray, k: int) -> list[str]:
    ids = sorted(vectors)
    scores = np.stack([vectors[i] for i in ids]) @ q
    return [ids[j] for j in np.argsort(-scores, kind="stable")[:k]]


def test_hnsw_recall_against_exact(store: ArticleStore, tmp_path: Path) -> None:
    vectors = _fill(store, 1500)
    index = VectorIndex(tmp_path / "idx", MODEL)
    assert index.rebuild(store).live == 1500
    rng = np.random.default_rng(1)
    found = 0
    for q in _unit(rng.normal(size=(50, 32))):
        got = [a for a, _ in index.search(q, 10)]
        found += len(set(got) & set(_exact_top(vectors, q, 10)))
    assert found / 500 >= 0.95
    # scores are cosines, best first
    scores = [s for _, s in index.search(vectors["t:a0007"], 5)]
    assert scores[0] == pytest.approx(1.0, abs=1e-5) and scores == sorted(scores, reverse=True)


def test_sync_follows_inserts_updates_and_deletes(store: ArticleStore, tmp_path: Path) -> None:
    vectors = _fill(store, 200)
    index = VectorIndex(tmp_path / "idx", MODEL)
    index.rebuild(store)
    assert index.sync(store) == (0, 0)  # nothing changed: nothing to do

    extra = _fill(store, 5, seed=9)  # new articles (ids collide with a0000-a0004: their vectors change)
    changed = next(iter(extra))
    store.delete("t:a0100")
    added, removed = index.sync(store)
    assert (added, removed) == (5, 1)
    assert len(index) == 199
    assert index.search(extra[changed], 1)[0][0] == changed
    assert index.vector("t:a0100") is None
    assert np.allclose(index.vector(changed), extra[changed], atol=1e-6)
    assert all(a != "t:a0100" for a, _ in index.search(vectors["t:a0100"], 20))


def test_saved_index_reloads_and_a_torn_one_is_refused(store: ArticleStore, tmp_path: Path) -> None:
    vectors = _fill(store, 100)
    index = VectorIndex(tmp_path / "idx", MODEL)
    index.rebuild(store)
    again = VectorIndex(tmp_path / "idx", MODEL)
    assert again.load() and len(again) == 100
    assert again.search(vectors["t:a0042"], 1)[0][0] == "t:a0042"
    # meta.json from another index size: refused rather than trusted
    other = VectorIndex(tmp_path / "other", MODEL)
    store.delete("t:a0001")
    other.rebuild(store)
    (tmp_path / "idx" / "meta.json").write_bytes((tmp_path / "other" / "meta.json").read_bytes())
    assert not VectorIndex(tmp_path / "idx", MODEL).load()
    assert not VectorIndex(tmp_path / "idx", "another-model").load()


def test_tombstones_are_skipped_then_compacted(store: ArticleStore, tmp_path: Path) -> None:
    vectors = _fill(store, 100)
    index = VectorIndex(tmp_path / "idx", MODEL, rebuild_ratio=0.3)
    index.rebuild(store)
    for i in range(20):
        store.delete(f"t:a{i:04d}")
    index.sync(store)
    assert index.stats().tombstones == 20  # under the ratio: kept, skipped
    hits = [a for a, _ in index.search(vectors["t:a0003"], 100)]
    assert len(hits) == 80 and "t:a0003" not in hits
    for i in range(20, 40):
        store.delete(f"t:a{i:04d}")
    index.sync(store)
    assert index.stats().tombstones == 0 and len(index) == 60  # past the ratio: rebuilt


def test_search_among_a_subset(store: ArticleStore, tmp_path: Path) -> None:
    vectors = _fill(store, 300)
    for kind in ("hnsw", "exact"):
        index = VectorIndex(tmp_path / kind, MODEL, kind=kind)  # type: ignore[arg-type]
        index.rebuild(store)
        subset = {f"t:a{i:04d}" for i in range(0, 300, 7)}
        q = vectors["t:a0010"]
        got = index.search(q, 5, among=subset)
        assert {a for a, _ in got} <= subset
        assert [a for a, _ in got] == _exact_top({a: vectors[a] for a in subset}, q, 5)
        assert index.search(q, 5, among={"unknown"}) == []


def test_bad_queries_are_refused(store: ArticleStore, tmp_path: Path) -> None:
    _fill(store, 10)
    index = VectorIndex(tmp_path / "idx", MODEL)
    index.rebuild(store)
    with pytest.raises(InvalidInput, match="query vector"):
        index.search(np.ones(5, dtype=np.float32), 3)
    with pytest.raises(InvalidInput, match="k"):
        index.search(np.ones(32, dtype=np.float32), 0)
    with pytest.raises(InvalidInput, match="index_kind"):
        VectorIndex(tmp_path / "x", MODEL, kind="annoy")  # type: ignore[arg-type]


def test_empty_store_gives_an_empty_index(store: ArticleStore, settings: Settings) -> None:
    index = VectorIndex(settings.index_dir / "m", MODEL)
    assert index.rebuild(store).live == 0
    assert index.search(np.ones(32, dtype=np.float32), 3) == []
