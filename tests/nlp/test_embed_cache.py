"""The embedding cache: the contract every implementation meets, and an embedder that never embeds twice."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from newsdesk.nlp.embed import Embedder, EmbeddingCache, open_embedding_cache
from newsdesk.store.sqlite_cache import SQLiteEmbeddingCache

CACHES: dict[str, Callable[[Path], EmbeddingCache]] = {"sqlite": SQLiteEmbeddingCache}


@pytest.fixture(params=sorted(CACHES))
def make_cache(request: pytest.FixtureRequest) -> Callable[[Path], EmbeddingCache]:
    return CACHES[request.param]


_FORKED: list[EmbeddingCache] = []  # the cache a forked process inherits (a connection is not picklable)


def _read_in_fork(keys: list[str]) -> dict[str, bytes]:
    return _FORKED[0].get_many(keys)


def test_cache_contract(make_cache: Callable[[Path], EmbeddingCache], tmp_path: Path) -> None:
    path = tmp_path / "cache" / "embeddings.sqlite3"
    cache = make_cache(path)
    assert cache.get_many([]) == {} and cache.get_many(["nothing"]) == {}
    items = [(f"k{i}", np.full(4, i, np.float32).tobytes()) for i in range(1_200)]  # more than one chunk
    cache.put_many(items)
    cache.put_many([("k0", b"replaced")])
    found = cache.get_many([k for k, _ in items] + ["absent"])
    assert len(found) == 1_200 and found["k0"] == b"replaced" and found["k7"] == items[7][1]
    # a forked process (a pipeline worker) reads through a connection of its own
    _FORKED[:] = [cache]
    try:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            assert pool.apply(_read_in_fork, (["k5", "k6"],)) == {"k5": items[5][1], "k6": items[6][1]}
    finally:
        _FORKED.clear()
    assert cache.get_many(["k5"]) == {"k5": items[5][1]}  # the parent's connection still works
    cache.close()
    reopened = make_cache(path)  # persistent: a second process or run finds the vectors
    assert reopened.get_many(["k9"]) == {"k9": items[9][1]}
    reopened.close()


class _CountingModel:
    """A stand-in sentence model: a text's vector is its length and word count, normalised."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.device = "cpu"

    def get_sentence_embedding_dimension(self) -> int:
        return 2

    def encode(self, texts: Sequence[str], **_: Any) -> np.ndarray:
        self.seen.extend(texts)
        raw = np.array([[len(t) + 1.0, len(t.split()) + 1.0] for t in texts], dtype=np.float32)
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def test_an_embedder_with_a_cache_file_never_embeds_a_text_twice(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.sqlite3"
    first = Embedder("stand-in", cache=path)
    first._model = model = _CountingModel()
    a = first.encode(["rates rise", "storm warning", "rates rise"])
    assert model.seen == ["storm warning", "rates rise"] and first.encoded == 2
    second = Embedder("stand-in", cache=open_embedding_cache(path))
    second._model = other = _CountingModel()
    b = second.encode(["storm warning", "rates rise", "new text"])
    assert other.seen == ["new text"]
    np.testing.assert_array_equal(b[:2], a[[1, 0]])
