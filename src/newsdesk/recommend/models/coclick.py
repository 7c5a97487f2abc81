"""Co-clicks: "readers who read this also read". Two articles are related when the same readers clicked
both; the strength is the cosine of their reader sets, ``co(i, j) / sqrt(n_i * n_j)``, which keeps the
biggest hits from being everyone's neighbour. Only the ``neighbours`` strongest per article are kept, so
the state is a sparse item-by-item matrix and no reader survives fitting.

A reader is scored by summing, over the articles of their history, each one's similarity to the
candidate. An article nobody co-clicked is ``nan`` (unknown), as is every candidate for an empty history.

News is new: most articles worth recommending were first shown after the last fit, so the model also
learns online (:meth:`learn`): when a reader whose history is ``H`` clicks ``c`` in a slate, every ``h`` of
``H`` gains ``1 / sqrt(|H|)`` towards ``c`` (the reader's own id is not kept), and each article counts how
often it was shown. A reader's history ``U`` then adds ``fresh_weight * sum_h F[c, h] / (sqrt(|U|) *
(shown_c + shown_prior))``: the cosine of the reader's history with the histories of the readers who
clicked ``c``, per showing of ``c``. :meth:`fit` builds the same counts from the clicks that carry an
impression id, each against the same reader's earlier clicks.

>>> from datetime import UTC, datetime
>>> from newsdesk.recommend.model import Catalogue, ReaderEvent
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> reads = {"r1": "abc", "r2": "ab", "r3": "cd"}
>>> ev = [ReaderEvent(r, a, "click", t) for r, items in reads.items() for a in items]
>>> cat = Catalogue(list("abcd"), np.zeros(4), [""] * 4, list("abcd"))
>>> [a for a, _ in CoClickRecommender().fit(ev, cat).also_read("a", 2)]
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.models.base import ItemModel

__all__ = ["CoClickRecommender", "reader_items"]

CLICK_KINDS = ("click", "dwell", "open")


def reader_items(
    events: Sequence[ReaderEvent], catalogue: Catalogue, kinds: Sequence[str] = CLICK_KINDS
) -> tuple[Any, list[str]]:
    """A (readers x items) csr matrix counting each reader's ``kinds`` events per item, and the item ids
    (the catalogue's, then those only seen in events). Rows are anonymous: the reader ids are not kept."""
    try:
        from scipy import sparse
    except ImportError:
        raise MissingDependency("scipy", "recommend", "the co-click and ALS recommenders") from None
    ids = list(catalogue.ids)
    index = dict(catalogue.index)
    readers: dict[str, int] = {}
    rows, cols = [], []
    for e in events:
        if e.kind not in kinds:
            continue
        if e.article_id not in index:
            index[e.article_id] = len(ids)
            ids.append(e.article_id)
        rows.append(readers.setdefault(e.reader, len(readers)))
        cols.append(index[e.article_id])
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(readers), len(ids)))
    matrix.sum_duplicates()
    return matrix, ids


class CoClickRecommender(ItemModel):
    """Item-to-item cosine of co-clicks, ``neighbours`` kept per item."""

    name: ClassVar[str] = "coclick"

    def __init__(
        self,
        neighbours: int = 50,
        min_cooccurrence: int = 1,
        fresh_weight: float = 10.0,
        shown_prior: float = 3.0,
    ) -> None:
        self.neighbours = neighbours
        self.min_cooccurrence = min_cooccurrence
        self.fresh_weight = fresh_weight
        self.shown_prior = shown_prior

    def _params(self) -> dict[str, Any]:
        return {
            "neighbours": self.neighbours,
            "min_cooccurrence": self.min_cooccurrence,
            "fresh_weight": self.fresh_weight,
            "shown_prior": self.shown_prior,
        }

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Self:
        from scipy import sparse

        if not isinstance(self.neighbours, int) or self.neighbours < 1:
            raise InvalidInput("neighbours", self.neighbours, "an integer >= 1")
        matrix, ids = reader_items(events, catalogue)
        binary = (matrix > 0).astype(np.float32)
        co = (binary.T @ binary).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        if self.min_cooccurrence > 1:
            co.data[co.data < self.min_cooccurrence] = 0
            co.eliminate_zeros()
        counts = np.asarray(binary.sum(axis=0)).ravel()
        norm = np.sqrt(np.maximum(counts, 1))
        co = sparse.csr_matrix(sparse.diags(1 / norm) @ co @ sparse.diags(1 / norm))
        self.similar_ = _keep_top(co, self.neighbours)
        self.known_ = np.asarray((co != 0).sum(axis=0)).ravel() > 0
        self._set_ids(ids)
        self.shown_ = np.zeros(len(ids))
        self._fresh: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._fresh_matrix: Any = None
        self._learn_from(events)
        return self

    def _learn_from(self, events: Sequence[ReaderEvent]) -> None:
        """The online counts of ``events``: slates' exposures, and each slate click against the same
        reader's earlier clicks."""
        shown = [
            self.index_[e.article_id]
            for e in events
            if e.kind == "impression" and e.article_id in self.index_
        ]
        np.add.at(self.shown_, np.array(shown, dtype=np.int64), 1.0)
        by_reader: dict[str, list[ReaderEvent]] = {}
        for e in events:
            if e.kind in CLICK_KINDS:
                by_reader.setdefault(e.reader, []).append(e)
        for clicks in by_reader.values():
            clicks.sort(key=lambda e: e.at)
            for i, e in enumerate(clicks):
                if e.impression is not None:
                    earlier = [c.article_id for c in clicks[:i] if c.at < e.at]
                    self.learn(earlier, (), [e.article_id])

    def learn(self, history: Sequence[str], shown: Sequence[str], clicked: Sequence[str]) -> None:
        """A reader with ``history`` was shown ``shown`` and clicked ``clicked`` (ids not indexed are
        ignored): online co-clicks, nothing about the reader kept."""
        self._check()
        pos = np.array([self.index_[a] for a in shown if a in self.index_], dtype=np.int64)
        np.add.at(self.shown_, pos, 1.0)
        past = np.unique(np.array([self.index_[a] for a in history if a in self.index_], dtype=np.int64))
        if not len(past):
            return
        for article in clicked:
            if article in self.index_:
                c = self.index_[article]
                weight = np.full(len(past), 1 / np.sqrt(len(past)))
                self._fresh.append((np.full(len(past), c, dtype=np.int64), past, weight))
                self.known_[c] = True
                self._fresh_matrix = None

    def _fresh_scores(self, history: Sequence[str]) -> np.ndarray:
        from scipy import sparse

        n = len(self.ids_)
        if not self._fresh or self.fresh_weight == 0:
            return np.zeros(n)
        if self._fresh_matrix is None:
            rows, cols, vals = (np.concatenate(x) for x in zip(*self._fresh, strict=True))
            self._fresh = [(rows, cols, vals)]
            self._fresh_matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(n, n))
        past = np.unique([self.index_[a] for a in history if a in self.index_])
        if not len(past):
            return np.zeros(n)
        hits = np.asarray(self._fresh_matrix[:, past].sum(axis=1)).ravel()
        return np.asarray(self.fresh_weight * hits / (np.sqrt(len(past)) * (self.shown_ + self.shown_prior)))

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        pos = [self.index_[a] for a in history if a in self.index_]
        if not pos:
            return np.full(self._size(rows), np.nan)
        scores = np.asarray(self.similar_[pos].sum(axis=0), dtype=float).ravel()
        scores += self._fresh_scores(history)
        scores[~self.known_] = np.nan
        return scores if rows is None else scores[rows]

    def also_read(self, article_id: str, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` articles most co-clicked with ``article_id`` (empty when it has no co-clicks)."""
        self._check()
        if article_id not in self.index_:
            return []
        row = self.similar_[self.index_[article_id]]
        order = np.lexsort((row.indices, -row.data))[:n]
        return [(self.ids_[row.indices[i]], float(row.data[i])) for i in order]

    def _state(self) -> dict[str, np.ndarray]:
        s = self.similar_
        fresh = (
            [np.concatenate(x) for x in zip(*self._fresh, strict=True)] if self._fresh else [np.zeros(0)] * 3
        )
        return {
            "data": s.data,
            "indices": s.indices,
            "indptr": s.indptr,
            "known": self.known_,
            "shown": self.shown_,
            "fresh_rows": fresh[0].astype(np.int64),
            "fresh_cols": fresh[1].astype(np.int64),
            "fresh_weights": fresh[2].astype(float),
        }

    def _restore(self, state: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        from scipy import sparse

        n = len(meta["ids"])
        self.similar_ = sparse.csr_matrix((state["data"], state["indices"], state["indptr"]), shape=(n, n))
        self.known_ = state["known"].astype(bool)
        self.shown_ = state["shown"]
        self._fresh = [(state["fresh_rows"], state["fresh_cols"], state["fresh_weights"])]
        self._fresh_matrix = None


def _keep_top(matrix: Any, k: int) -> Any:
    """``matrix`` (csr) with only the ``k`` largest entries of each row (ties: the lower column)."""
    from scipy import sparse

    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for r in range(matrix.shape[0]):
        a, b = matrix.indptr[r], matrix.indptr[r + 1]
        cols, vals = matrix.indices[a:b], matrix.data[a:b]
        if len(vals) > k:
            keep = np.lexsort((cols, -vals))[:k]
            cols, vals = cols[keep], vals[keep]
        indices.append(cols)
        data.append(vals)
        indptr.append(indptr[-1] + len(vals))
    out = sparse.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int32),
            np.array(indptr),
        ),
        shape=matrix.shape,
    )
    out.sort_indices()
    return out
