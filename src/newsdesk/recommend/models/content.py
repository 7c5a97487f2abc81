"""Content: recommend what reads like what the reader read. The reader is the recency-weighted mean of the
catalogue vectors of their history (the last article weighs 1, each earlier one ``2 ** (-1 / half_life)``
times the next: histories are id sequences, oldest first, without times), and a candidate scores its cosine
to that mean.

It needs only the article's vector, so an article published a minute ago is scored as soon as it is
embedded: the cold-start answer for new articles. A candidate without a vector is ``nan``, as is every
candidate when no history article has one.

>>> from datetime import UTC, datetime
>>> from newsdesk.recommend.model import Catalogue
>>> vecs = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
>>> cat = Catalogue(list("abc"), np.zeros(3), [""] * 3, list("abc"), vectors=vecs)
>>> [a for a, _ in ContentRecommender().fit([], cat).top(["a"], datetime.now(UTC), 2)]
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput
from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.models.base import ItemModel, positive

__all__ = ["ContentRecommender"]


class ContentRecommender(ItemModel):
    """Cosine between a candidate's vector and the reader's recency-weighted mean history vector."""

    name: ClassVar[str] = "content"

    def __init__(self, half_life_items: float = 10.0) -> None:
        self.half_life_items = half_life_items

    def _params(self) -> dict[str, Any]:
        return {"half_life_items": self.half_life_items}

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Self:
        """Keep the catalogue's vectors (the events are not needed: content is item-side by nature)."""
        positive("half_life_items", self.half_life_items)
        if catalogue.vectors is None:
            raise InvalidInput("catalogue.vectors", None, "an (n, d) matrix of article vectors")
        vectors = np.asarray(catalogue.vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1)
        has = (
            norms > 0
            if catalogue.has_vector is None
            else np.asarray(catalogue.has_vector, bool) & (norms > 0)
        )
        self.vectors_ = np.where(has[:, None], vectors / np.maximum(norms, 1e-12)[:, None], 0).astype(
            np.float32
        )
        self.has_vector_ = has
        self._set_ids(catalogue.ids)
        return self

    def add(self, article_id: str, vector: np.ndarray) -> None:
        """Index (or replace) one article's vector: a new article is recommendable at once."""
        self._check()
        v = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(v))
        if v.shape != (self.vectors_.shape[1],) or norm == 0:
            raise InvalidInput("vector", v.shape, f"a non-zero vector of {self.vectors_.shape[1]} floats")
        if article_id not in self.index_:
            self.index_[article_id] = len(self.ids_)
            self.ids_.append(article_id)
            self.vectors_ = np.vstack([self.vectors_, np.zeros((1, len(v)), np.float32)])
            self.has_vector_ = np.r_[self.has_vector_, False]
        i = self.index_[article_id]
        self.vectors_[i] = v / norm
        self.has_vector_[i] = True

    def reader_vector(self, history: Sequence[str]) -> np.ndarray | None:
        """The unit mean of the history's vectors, recent ones weighing more (None when none has one)."""
        self._check()
        pos = np.array([self.index_.get(a, -1) for a in history], dtype=np.int64)
        age = np.arange(len(pos))[::-1].astype(float)
        keep = pos >= 0
        keep[keep] = self.has_vector_[pos[keep]]
        if not keep.any():
            return None
        weights = np.exp2(-age[keep] / self.half_life_items)
        mean = (self.vectors_[pos[keep]] * weights[:, None]).sum(axis=0)
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        u = self.reader_vector(history)
        if u is None:
            return np.full(self._size(rows), np.nan)
        vectors, has = (
            (self.vectors_, self.has_vector_)
            if rows is None
            else (self.vectors_[rows], self.has_vector_[rows])
        )
        scores = (vectors @ u.astype(np.float32)).astype(float)
        scores[~has] = np.nan
        return np.asarray(scores)

    def _state(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors_, "has_vector": self.has_vector_}

    def _restore(self, state: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.vectors_ = state["vectors"]
        self.has_vector_ = state["has_vector"].astype(bool)
