"""Implicit-feedback matrix factorisation: alternating least squares (the ``implicit`` library) on the
readers' clicks, ``confidence = alpha * clicks``.

Only the item factors are kept: the reader factors are dropped after fitting, so the saved model holds no
reader. A reader is folded in at request time from their history by one least-squares step against the item
factors (the same step ALS takes), ``(YtY + reg I + sum (c - 1) y y^T) u = sum c y``, solved with numpy:
serving needs neither ``implicit`` nor the training matrix, and a brand-new reader costs one small solve.
An article the model never saw clicked is ``nan``; so is everything for an empty history.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.models.base import ItemModel, positive
from newsdesk.recommend.models.coclick import reader_items

__all__ = ["ImplicitMFRecommender"]


class ImplicitMFRecommender(ItemModel):
    """ALS item factors (``factors`` wide); readers folded in from their history at score time."""

    name: ClassVar[str] = "mf"

    def __init__(
        self,
        factors: int = 32,
        regularization: float = 0.05,
        alpha: float = 10.0,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def _params(self) -> dict[str, Any]:
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "random_state": self.random_state,
        }

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Self:
        try:
            from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
            from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
        except ImportError:
            raise MissingDependency("implicit", "recommend", "the ALS recommender") from None
        if not isinstance(self.factors, int) or self.factors < 1:
            raise InvalidInput("factors", self.factors, "an integer >= 1")
        positive("alpha", self.alpha)
        matrix, ids = reader_items(events, catalogue)
        if matrix.shape[0] == 0:
            raise InvalidInput("events", 0, "at least one click to factorise")
        # implicit warns (and slows down) under a BLAS thread pool; its check also counts BLAS libraries the
        # limit cannot reach (another package's bundled OpenBLAS), so its warning is silenced under the limit
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="OpenBLAS is configured", category=RuntimeWarning)
            als = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.random_state,
                num_threads=1,
            )
            als.fit(matrix, show_progress=False)
        seen = np.asarray(matrix.sum(axis=0)).ravel() > 0
        self.item_factors_ = np.asarray(als.item_factors, dtype=np.float32) * seen[:, None]
        self.known_ = seen
        self.gram_ = self.item_factors_.T.astype(np.float64) @ self.item_factors_
        self._set_ids(ids)
        return self  # als (and its user factors) is dropped here

    def reader_vector(self, history: Sequence[str]) -> np.ndarray | None:
        """The reader's factors folded in from ``history`` (None when no history article is known)."""
        self._check()
        counts: dict[int, int] = {}
        for a in history:
            i = self.index_.get(a, -1)
            if i >= 0 and self.known_[i]:
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            return None
        pos = np.fromiter(counts, dtype=np.int64)
        conf = self.alpha * np.fromiter(counts.values(), dtype=float)
        yh = self.item_factors_[pos].astype(np.float64)  # the read items only: never a copy of them all
        gram = self.gram_ + self.regularization * np.eye(yh.shape[1]) + (yh.T * (conf - 1)) @ yh
        b = (yh * conf[:, None]).sum(axis=0)
        return np.asarray(np.linalg.solve(gram, b))

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        u = self.reader_vector(history)
        if u is None:
            return np.full(self._size(rows), np.nan)
        factors, known = (
            (self.item_factors_, self.known_)
            if rows is None
            else (self.item_factors_[rows], self.known_[rows])
        )
        scores = (factors @ u.astype(np.float32)).astype(float)
        scores[~known] = np.nan
        return np.asarray(scores)

    def _state(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors_, "known": self.known_}

    def _restore(self, state: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.item_factors_ = state["item_factors"]
        self.known_ = state["known"].astype(bool)
        self.gram_ = self.item_factors_.T.astype(np.float64) @ self.item_factors_
