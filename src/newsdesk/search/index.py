"""The approximate-nearest-neighbour index over article vectors, kept in the workspace and in sync with the
store.

:class:`VectorIndex` wraps a faiss HNSW graph (inner product over unit vectors, so scores are cosine
similarities) with the bookkeeping a newsroom archive needs:

- **labels**: faiss rows are numbered; ``ids[label]`` is the article id, ``labels[id]`` the live row.
- **sync**: :meth:`VectorIndex.sync` compares the store's vector stamps (when each article's vector was
  written) with the index's, adds new and re-written vectors, and retires rows of changed or deleted
  articles. HNSW graphs cannot delete, so retired rows become *tombstones* that searches skip (a faiss
  ``IDSelector``); when tombstones pass ``rebuild_ratio`` of the rows the graph is rebuilt from the live
  vectors. A store whose :meth:`~newsdesk.store.base.ArticleStore.change_token` has not moved is not
  diffed at all, so searches pay nothing for the check.
- **filters**: a search may be limited to a set of articles. A small set (under ``exact_below`` rows or
  under 5% of the index) is scored exactly from the stored vectors, where graph search would lose recall;
  a larger one is searched in the graph with a selector.
- **files**: ``<home>/index/<model>/hnsw.faiss`` and ``meta.json`` (ids, stamps, tombstones), written to
  temporary names and renamed; an index whose two files disagree is rebuilt, never trusted.

``kind="exact"`` keeps the same interface over a plain numpy matrix (small archives, tests and the
benchmark's baseline).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from newsdesk.errors import InvalidInput, MissingDependency

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.store.base import ArticleStore

__all__ = ["IndexStats", "VectorIndex"]

Kind = Literal["hnsw", "exact"]


@dataclass(frozen=True, slots=True)
class IndexStats:
    model: str
    kind: str
    live: int
    tombstones: int
    dim: int
    path: str


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise MissingDependency("faiss-cpu", "search", "The vector index") from exc
    return faiss


class VectorIndex:
    """Article vectors of one model, searchable by cosine similarity, persisted under ``folder``."""

    def __init__(
        self,
        folder: Path,
        model: str,
        *,
        kind: Kind = "hnsw",
        m: int = 32,
        ef_construction: int = 100,
        ef_search: int = 200,
        rebuild_ratio: float = 0.2,
        exact_below: int = 2000,
    ) -> None:
        if kind not in ("hnsw", "exact"):
            raise InvalidInput("search.index_kind", kind, "'hnsw' or 'exact'")
        self.folder = folder
        self.model = model
        self.kind: Kind = kind
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.rebuild_ratio = rebuild_ratio
        self.exact_below = exact_below
        self.ids: list[str] = []  # label -> article id (tombstoned labels keep their old id)
        self.labels: dict[str, int] = {}  # article id -> live label
        self.stamps: dict[str, str] = {}  # article id -> stamp of the indexed vector
        self.dim = 0
        self._graph: Any = None  # faiss index (hnsw) or None
        self._matrix: Any = None  # numpy rows (exact), or a cache of the graph's rows
        self._token: str | None = None
        self._dead: tuple[tuple[int, int], Any] | None = None  # cached tombstone labels
        self._lock = threading.RLock()

    # -- persistence -----------------------------------------------------------------------------------
    @property
    def _files(self) -> tuple[Path, Path]:
        return self.folder / "hnsw.faiss", self.folder / "meta.json"

    def load(self) -> bool:
        """Read the saved index; False (and an empty index) when there is none or it is inconsistent."""
        graph_file, meta_file = self._files
        if not meta_file.exists():
            return False
        try:
            meta = json.loads(meta_file.read_text("utf-8"))
        except (OSError, ValueError):
            return False
        if meta.get("model") != self.model or meta.get("kind") != self.kind:
            return False
        ids, deleted = list(meta["ids"]), set(meta["tombstones"])
        if self.kind == "hnsw":
            if not graph_file.exists():
                return False
            graph = _faiss().read_index(str(graph_file))
            if graph.ntotal != len(ids):
                return False
            self._graph, self._matrix = graph, None
        else:
            import numpy as np

            matrix_file = self.folder / "exact.npy"
            if not matrix_file.exists():
                return False
            matrix = np.load(matrix_file)
            if len(matrix) != len(ids):
                return False
            self._graph, self._matrix = None, matrix
        self.ids = ids
        self.labels = {a: i for i, a in enumerate(ids) if i not in deleted}
        self.stamps = dict(meta["stamps"])
        self.dim = int(meta["dim"])
        self._token = None
        return True

    def save(self) -> None:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            graph_file, meta_file = self._files
            if self.kind == "hnsw" and self._graph is not None:
                tmp = graph_file.with_suffix(f".faiss.{os.getpid()}.tmp")  # per process: workers save too
                _faiss().write_index(self._graph, str(tmp))
                os.replace(tmp, graph_file)
            elif self.kind == "exact":
                import numpy as np

                tmp_npy = self.folder / f"exact.{os.getpid()}.tmp.npy"
                np.save(tmp_npy, self._rows())
                os.replace(tmp_npy, self.folder / "exact.npy")
            live = set(self.labels.values())
            meta = {
                "model": self.model,
                "kind": self.kind,
                "dim": self.dim,
                "ids": self.ids,
                "tombstones": [i for i in range(len(self.ids)) if i not in live],
                "stamps": self.stamps,
            }
            tmp_meta = meta_file.with_suffix(f".json.{os.getpid()}.tmp")
            tmp_meta.write_text(json.dumps(meta), "utf-8")
            os.replace(tmp_meta, meta_file)

    # -- building --------------------------------------------------------------------------------------
    def rebuild(self, store: ArticleStore) -> IndexStats:
        """Build from every stored vector of the model, replacing what was there."""
        with self._lock:
            token = store.change_token()
            ids, matrix = store.get_vectors(self.model)
            stamps = store.vector_stamps(self.model)
            self._reset(matrix.shape[1] if len(ids) else 0)
            self._append(ids, matrix)
            self.stamps = {a: stamps[a] for a in ids if a in stamps}
            self._token = token
            self.save()
            return self.stats()

    def synced_to(self, token: str) -> bool:
        """Whether the index last synced at the store's change token ``token`` (a sync would do nothing)."""
        return self._token == token

    def sync(self, store: ArticleStore, *, save: bool = True) -> tuple[int, int]:
        """Bring the index up to date with the store: (vectors added or replaced, rows retired)."""
        with self._lock:
            token = store.change_token()
            if token == self._token:
                return 0, 0
            current = store.vector_stamps(self.model)
            gone = [a for a in self.labels if a not in current]
            fresh = [a for a, stamp in current.items() if self.stamps.get(a) != stamp]
            for article_id in gone:
                del self.labels[article_id]
                self.stamps.pop(article_id, None)
            added = 0
            if fresh:
                fresh.sort()
                ids, matrix = store.get_vectors(self.model, fresh)
                if ids and self.dim and matrix.shape[1] != self.dim:
                    raise InvalidInput("vectors.dim", int(matrix.shape[1]), f"{self.dim} (the index's)")
                for article_id in ids:
                    self.labels.pop(article_id, None)  # the old row becomes a tombstone
                if not self.dim and ids:
                    self._reset(matrix.shape[1])
                self._append(ids, matrix)
                self.stamps.update({a: current[a] for a in ids})
                added = len(ids)
            tombstones = len(self.ids) - len(self.labels)
            if self.ids and tombstones > self.rebuild_ratio * len(self.ids):
                self._compact()
            self._token = token
            if save and (added or gone):
                self.save()
            return added, len(gone)

    def _reset(self, dim: int) -> None:
        import numpy as np

        self.dim = dim
        self.ids, self.labels, self.stamps = [], {}, {}
        self._matrix = np.zeros((0, dim), dtype=np.float32) if self.kind == "exact" else None
        self._graph = None
        if self.kind == "hnsw" and dim:
            faiss = _faiss()
            graph = faiss.IndexHNSWFlat(dim, self.m, faiss.METRIC_INNER_PRODUCT)
            graph.hnsw.efConstruction = self.ef_construction
            self._graph = graph

    def _append(self, ids: Sequence[str], matrix: np.ndarray) -> None:
        import numpy as np

        if not len(ids):
            return
        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        start = len(self.ids)
        if self.kind == "hnsw":
            self._graph.add(rows)
            self._matrix = None
        else:
            self._matrix = np.vstack([self._matrix, rows])
        self.ids.extend(ids)
        self.labels.update({a: start + i for i, a in enumerate(ids)})

    def _compact(self) -> None:
        """Rebuild the graph from the live rows only (drops the tombstones)."""
        live = sorted(self.labels.items(), key=lambda kv: kv[1])
        rows = self._rows()[[label for _, label in live]] if live else None
        stamps = self.stamps
        self._reset(self.dim)
        if rows is not None:
            self._append([a for a, _ in live], rows)
        self.stamps = stamps

    def _rows(self) -> np.ndarray:
        """Every row (tombstones included) as a matrix."""
        import numpy as np

        if self.kind == "exact":
            return np.asarray(self._matrix)
        if self._matrix is None or len(self._matrix) != len(self.ids):
            if self._graph is None or self._graph.ntotal == 0:
                return np.zeros((0, self.dim), dtype=np.float32)
            self._matrix = self._graph.reconstruct_n(0, self._graph.ntotal)
        return np.asarray(self._matrix)

    # -- reading ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.labels)

    def stats(self) -> IndexStats:
        return IndexStats(
            self.model,
            self.kind,
            len(self.labels),
            len(self.ids) - len(self.labels),
            self.dim,
            str(self.folder),
        )

    def vector(self, article_id: str) -> np.ndarray | None:
        """The indexed vector of an article, or None."""
        with self._lock:
            label = self.labels.get(article_id)
            if label is None:
                return None
            if self.kind == "exact":
                return self._matrix[label].copy()  # type: ignore[no-any-return]
            return self._graph.reconstruct(label)  # type: ignore[no-any-return]

    def search(
        self, query: np.ndarray, k: int, *, among: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` articles most similar to ``query`` (a unit vector): (id, cosine), best first; only
        among the ids in ``among`` when it is given."""
        import numpy as np

        if k < 1:
            raise InvalidInput("k", k, "an integer >= 1")
        with self._lock:
            if not self.labels:
                return []
            q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
            if q.shape[1] != self.dim:
                raise InvalidInput("query vector", f"{q.shape[1]} dimensions", f"{self.dim}")
            if among is not None:
                labels = [self.labels[a] for a in among if a in self.labels]
                if not labels:
                    return []
                if self.kind == "exact" or len(labels) < max(self.exact_below, 0.05 * len(self.labels)):
                    return self._exact(q[0], np.asarray(labels, dtype=np.int64), k)
                return self._graph_search(q, k, labels)
            if self.kind == "exact":
                return self._exact_all(q[0], k)
            return self._graph_search(q, k, None)

    def _exact_all(self, q: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Brute force over every row (one matrix-vector product), tombstones skipped."""
        import numpy as np

        scores = self._matrix @ q
        if len(self.labels) < len(self.ids):
            live = np.zeros(len(self.ids), dtype=bool)
            live[list(self.labels.values())] = True
            scores = np.where(live, scores, -np.inf)
        k = min(k, len(self.labels))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[int(i)], float(scores[i])) for i in top]

    def _exact(self, q: np.ndarray, labels: np.ndarray, k: int) -> list[tuple[str, float]]:
        import numpy as np

        if self.kind == "exact":
            scores = self._matrix[labels] @ q
        else:
            rows = self._graph.reconstruct_batch(labels)
            scores = rows @ q
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[int(labels[i])], float(scores[i])) for i in top]

    def _graph_search(self, q: np.ndarray, k: int, allowed: list[int] | None) -> list[tuple[str, float]]:
        import numpy as np

        faiss = _faiss()
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        elif len(self.ids) > len(self.labels):
            if self._dead is None or self._dead[0] != (len(self.ids), len(self.labels)):
                live = set(self.labels.values())
                dead = np.asarray([i for i in range(len(self.ids)) if i not in live], dtype=np.int64)
                self._dead = ((len(self.ids), len(self.labels)), dead)
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(self._dead[1]))
        params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        if selector is not None:
            params.sel = selector
        scores, labels = self._graph.search(q, k, params=params)
        ids, rows = self.ids, self.labels
        found = zip(labels[0].tolist(), scores[0].tolist(), strict=True)  # plain ints and floats: cheaper
        if len(ids) == len(rows):  # no tombstones
            return [(ids[label], score) for label, score in found if label >= 0]
        return [(ids[label], score) for label, score in found if label >= 0 and rows.get(ids[label]) == label]
