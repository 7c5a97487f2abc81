"""Incremental story clustering: each new article joins the best active story or starts one.

An article is a unit vector ``x = [sqrt(w) * embedding, sqrt(1 - w) * lexical]`` (the headline-and-lede
sentence embedding and :class:`~newsdesk.stories.lexical.RunningIdf`'s hashed words; ``w`` is
``embedding_weight``). Its score against a story is the average linkage ``x . S / n`` (``S`` the sum of the
story's vectors, ``n`` its size): one matrix product over the active stories, no re-clustering.

- **Join**: the best active story if its score is at least ``join``, else a new story.
- **Time**: a story is active while its last article is at most ``gap_days`` older than the new one; the
  same topic after a longer silence starts a new story.
- **Merge**: after a join, the grown story is compared with the other active stories by average linkage
  between stories (``S_a . S_b / (n_a n_b)``); at ``merge`` or above they become one (the older story keeps
  its id) and a ``merge`` event is recorded.
- **Split**: every ``split_every`` joins, a story of at least ``2 * min_split`` articles is cut in two by
  2-means on its vectors; when the halves' average linkage falls below ``split`` (below ``merge``, so a
  split is never merged straight back) and both halves keep ``min_split`` articles, the half without the
  story's first article becomes a new story and a ``split`` event is recorded.

The result depends only on the input order: a re-run from scratch on the same order gives the same stories,
ids and events (ids derive from first articles, :func:`~newsdesk.stories.model.story_id_for`), and so does a
run resumed from :meth:`StoryClusterer.get_state`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.stories.lexical import RunningIdf
from newsdesk.stories.model import StoryEvent, StoryItem, story_id_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np

__all__ = ["ClusterConfig", "StoryClusterer"]

_COMPACT_EVERY = 1000  # articles between two passes that drop the vectors of inactive stories


@dataclass(frozen=True)
class ClusterConfig:
    """The clusterer's thresholds (chosen on the dev file by story-disjoint CV: ``newsdesk eval stories``)."""

    join: float = 0.25
    merge: float = 0.20
    embedding_weight: float = 0.7
    gap_days: float = 3.0
    split: float = 0.08
    min_split: int = 5
    split_every: int = 10
    lexical_dim: int = 2048

    def __post_init__(self) -> None:
        for name in ("join", "merge", "split"):
            value = getattr(self, name)
            if not -1.0 <= value <= 1.0:
                raise InvalidInput(name, value, "a similarity in [-1, 1]")
        if not 0.0 <= self.embedding_weight <= 1.0:
            raise InvalidInput("embedding_weight", self.embedding_weight, "a weight in [0, 1]")
        if self.split >= self.merge:
            raise InvalidInput("split", self.split, f"a threshold below merge ({self.merge})")
        if self.gap_days <= 0:
            raise InvalidInput("gap_days", self.gap_days, "a positive number of days")


class StoryClusterer:
    """Stories grown one article at a time (see the module docstring for the rules).

    >>> import numpy as np
    >>> from datetime import datetime, UTC
    >>> c = StoryClusterer(ClusterConfig())
    >>> v = np.ones(4, dtype=np.float32) / 2
    >>> t = datetime(2024, 1, 1, tzinfo=UTC)
    >>> a = c.add(StoryItem("a", t, v, "Fed raises rates"))
    >>> c.add(StoryItem("b", t, v, "Fed raises rates again")) == a
    True
    """

    def __init__(self, config: ClusterConfig | None = None) -> None:
        self.config = config or ClusterConfig()
        self._idf = RunningIdf(self.config.lexical_dim)
        self._sums: Any = None  # (capacity, dim) float64 sums of member vectors, one row per story
        self._rows: list[str] = []  # row -> story id
        self._row_of: dict[str, int] = {}
        self._n: Any = None  # sizes, an int array beside _sums
        self._last: list[datetime] = []
        self._last_s: Any = None  # float seconds of _last, and a mask of stories not merged away, as arrays
        self._alive: Any = None
        self._members: dict[str, list[tuple[str, datetime]]] = {}
        self._vectors: dict[str, list[Any]] = {}  # member vectors of each story, for splits
        self._joins: dict[str, int] = {}
        self._added = 0
        self.assignment: dict[str, str] = {}  # article id -> story id
        self.events: list[StoryEvent] = []

    # -- public -------------------------------------------------------------------------------------------
    def add(self, item: StoryItem) -> str:
        """Put one article in a story and return the story's id."""
        x = self._features(item)
        self._added += 1
        if self._added % _COMPACT_EVERY == 0:
            self._compact(item.at)
        best, score = self._best(x, item.at)
        if best is None or score < self.config.join:
            story = story_id_for(item.article_id)
            self._new_story(story, item, x)
        else:
            story = self._rows[best]
            self._join(best, item, x)
            story = self._maybe_merge(self._row_of[story], item.at)
            self._maybe_split(story, item.at)
        return self.assignment[item.article_id]

    def add_many(self, items: Iterable[StoryItem]) -> list[str]:
        """:meth:`add` each item in order."""
        return [self.add(item) for item in items]

    def stories(self) -> dict[str, list[tuple[str, datetime]]]:
        """Story id -> its (article id, published) members, oldest first."""
        return {s: sorted(m, key=lambda p: (p[1], p[0])) for s, m in self._members.items() if m}

    def labels(self, article_ids: Iterable[str]) -> list[str]:
        """The current story of each article."""
        return [self.assignment[a] for a in article_ids]

    def central(self, story: str) -> str:
        """The id of the story's most central article: the member closest to the story's mean vector."""
        import numpy as np

        if len(self._vectors.get(story, ())) != len(self._members[story]):
            return self._members[story][0][0]  # compacted: an inactive story's first article
        X = np.asarray(self._vectors[story], dtype=np.float64)
        best = int(np.argmax(X @ self._sums[self._row_of[story]]))
        return self._members[story][best][0]

    def _compact(self, at: datetime) -> None:
        """Forget the member vectors of stories past the gap (only active stories can split)."""
        active = self._active(at)
        for row, story in enumerate(self._rows):
            if not active[row] and self._vectors.get(story):
                self._vectors[story] = []

    # -- internals ----------------------------------------------------------------------------------------
    def _features(self, item: StoryItem) -> np.ndarray:
        import numpy as np

        w = self.config.embedding_weight
        v = np.asarray(item.vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(v))
        v = v / norm if norm else v
        lex = self._idf.vector(item.text)
        return np.concatenate([math.sqrt(w) * v, math.sqrt(1.0 - w) * lex]).astype(np.float32)

    def _active(self, at: datetime) -> np.ndarray:
        import numpy as np

        k = len(self._rows)
        horizon = (at - timedelta(days=self.config.gap_days)).timestamp()
        return np.asarray(self._alive[:k] & (self._last_s[:k] >= horizon), dtype=bool)

    def _best(self, x: np.ndarray, at: datetime) -> tuple[int | None, float]:
        import numpy as np

        if not self._rows:
            return None, -1.0
        rows = np.flatnonzero(self._active(at))  # only active stories are scored: the archive is not read
        if not len(rows):
            return None, -1.0
        lo, hi = int(rows[0]), int(rows[-1]) + 1  # a view of the recent rows: no copy of the sums
        scores = ((self._sums[lo:hi] @ x) / np.maximum(self._n[lo:hi], 1))[rows - lo]
        best = int(np.argmax(scores))
        return int(rows[best]), float(scores[best])

    def _new_row(self, story: str, dim: int, at: datetime) -> int:
        import numpy as np

        if self._sums is None:
            self._sums = np.zeros((64, dim), dtype=np.float64)
            self._last_s = np.zeros(64, dtype=np.float64)
            self._alive = np.zeros(64, dtype=bool)
            self._n = np.zeros(64, dtype=np.int64)
        if len(self._rows) == self._sums.shape[0]:
            self._sums = np.vstack([self._sums, np.zeros_like(self._sums)])
            self._last_s = np.concatenate([self._last_s, np.zeros_like(self._last_s)])
            self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
            self._n = np.concatenate([self._n, np.zeros_like(self._n)])
        row = len(self._rows)
        self._rows.append(story)
        self._row_of[story] = row
        self._n[row] = 0
        self._last.append(at)
        self._last_s[row] = at.timestamp()
        self._alive[row] = True
        self._members[story] = []
        self._vectors[story] = []
        self._joins[story] = 0
        return row

    def _new_story(self, story: str, item: StoryItem, x: np.ndarray) -> None:
        if story in self._row_of:  # the same article id twice: a new id from the pair
            story = story_id_for(f"{item.article_id}#{len(self._rows)}")
        row = self._new_row(story, x.shape[0], item.at)
        self._join(row, item, x)

    def _join(self, row: int, item: StoryItem, x: np.ndarray) -> None:
        story = self._rows[row]
        self._sums[row] += x
        self._n[row] += 1
        self._set_last(row, max(self._last[row], item.at))
        self._members[story].append((item.article_id, item.at))
        self._vectors[story].append(x)
        self._joins[story] += 1
        self.assignment[item.article_id] = story

    def _set_last(self, row: int, at: datetime) -> None:
        self._last[row] = at
        self._last_s[row] = at.timestamp()

    def _maybe_merge(self, row: int, at: datetime) -> str:
        import numpy as np

        rows = np.flatnonzero(self._active(at))
        rows = rows[rows != row]
        if not len(rows):
            return self._rows[row]
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        n = self._n[rows].astype(np.float64)
        link = (self._sums[lo:hi] @ self._sums[row])[rows - lo] / (np.maximum(n, 1.0) * float(self._n[row]))
        best = int(np.argmax(link))
        score, other = float(link[best]), int(rows[best])
        if score < self.config.merge:
            return self._rows[row]
        a, b = self._rows[row], self._rows[other]
        keep, drop = (a, b) if self._first(a) <= self._first(b) else (b, a)
        moved = [m for m, _ in self._members[drop]]
        self._absorb(self._row_of[keep], self._row_of[drop])
        self.events.append(StoryEvent("merge", keep, (drop,), tuple(moved), at, score))
        return keep

    def _first(self, story: str) -> tuple[datetime, str]:
        return min((t, a) for a, t in self._members[story])

    def _absorb(self, keep_row: int, drop_row: int) -> None:
        keep, drop = self._rows[keep_row], self._rows[drop_row]
        self._sums[keep_row] += self._sums[drop_row]
        self._sums[drop_row] = 0.0
        self._n[keep_row] += self._n[drop_row]
        self._n[drop_row] = 0
        self._set_last(keep_row, max(self._last[keep_row], self._last[drop_row]))
        self._alive[drop_row] = False
        for article, _ in self._members[drop]:
            self.assignment[article] = keep
        self._members[keep].extend(self._members.pop(drop))
        self._vectors[keep].extend(self._vectors.pop(drop))
        self._joins.pop(drop, None)

    def _maybe_split(self, story: str, at: datetime) -> None:
        import numpy as np

        cfg = self.config
        members = self._members[story]
        if self._joins[story] % cfg.split_every or len(members) < 2 * cfg.min_split:
            return
        if len(self._vectors[story]) != len(members):
            return  # a story revived from a compacted one keeps its shape
        X = np.asarray(self._vectors[story], dtype=np.float64)
        side = _two_means(X)
        a, b = X[~side], X[side]
        if min(len(a), len(b)) < cfg.min_split:
            return
        link = float(a.sum(0) @ b.sum(0)) / (len(a) * len(b))
        if link >= cfg.split:
            return
        first = min(range(len(members)), key=lambda i: (members[i][1], members[i][0]))
        out = [i for i in range(len(members)) if side[i] != side[first]]
        self._cut(story, out, link, at)

    def _cut(self, story: str, out: list[int], link: float, at: datetime) -> None:
        row = self._row_of[story]
        members, vectors = self._members[story], self._vectors[story]
        moved = sorted(((members[i], vectors[i]) for i in out), key=lambda p: (p[0][1], p[0][0]))
        new = story_id_for(moved[0][0][0])
        if new in self._row_of:
            new = story_id_for(f"{moved[0][0][0]}#{len(self._rows)}")
        new_row = self._new_row(new, vectors[0].shape[0], moved[0][0][1])
        gone = set(out)
        self._members[story] = [m for i, m in enumerate(members) if i not in gone]
        self._vectors[story] = [v for i, v in enumerate(vectors) if i not in gone]
        for (article, t), x in moved:
            self._sums[row] -= x
            self._n[row] -= 1
            self._sums[new_row] += x
            self._n[new_row] += 1
            self._members[new].append((article, t))
            self._vectors[new].append(x)
            self._set_last(new_row, max(self._last[new_row], t))
            self.assignment[article] = new
        self._set_last(row, max(t for _, t in self._members[story]))
        self.events.append(StoryEvent("split", story, (new,), tuple(a for (a, _), _ in moved), at, link))


def _two_means(X: np.ndarray, iterations: int = 10) -> np.ndarray:
    """A deterministic 2-means: seeds are the row farthest from the mean and the row farthest from it;
    returns a boolean side per row."""
    import numpy as np

    c0 = X[int(np.argmin(X @ X.mean(0)))]
    c1 = X[int(np.argmin(X @ c0))]
    side = np.zeros(len(X), dtype=bool)
    for _ in range(iterations):
        new = (X @ c1) > (X @ c0)
        if new.all() or not new.any():
            return np.asarray(new, dtype=bool)
        if (new == side).all() and _ > 0:
            break
        side = new
        c0, c1 = X[~side].mean(0), X[side].mean(0)
    return side
