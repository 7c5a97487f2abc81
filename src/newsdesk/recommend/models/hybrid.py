"""The hybrid: every other model, each weighed where it knows something.

Each part scores the candidates; the scores are normalised within the call (``"rank"``: the percentile
among the candidates the part knows, centred on 0; ``"z"``: z-scores), a part's unknowns (``nan``) count 0
(neutral), and the weighted sum ranks. So a reader with no history gets popularity (and content, which is
also ``nan`` without a history vector); an article nobody clicked yet gets popularity's prior and its content
score; an established reader gets every part. The weights are parameters: the evaluation chooses them on a
validation split of the training period (:mod:`newsdesk.evaluate.recommend`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.models.base import ItemModel
from newsdesk.recommend.models.coclick import CoClickRecommender
from newsdesk.recommend.models.content import ContentRecommender
from newsdesk.recommend.models.mf import ImplicitMFRecommender
from newsdesk.recommend.models.popularity import PopularityRecommender

__all__ = ["DEFAULT_WEIGHTS", "HybridRecommender", "normalise"]

PARTS: dict[str, type[ItemModel]] = {
    "popularity": PopularityRecommender,
    "coclick": CoClickRecommender,
    "content": ContentRecommender,
    "mf": ImplicitMFRecommender,
}
DEFAULT_WEIGHTS = {"popularity": 1.0, "coclick": 0.5, "content": 0.5, "mf": 0.5}
NORMALISERS = ("rank", "z")


def normalise(scores: np.ndarray, how: str) -> np.ndarray:
    """``scores`` made comparable across parts; nan (unknown) becomes 0, the neutral value.

    >>> normalise(np.array([1.0, 3.0, np.nan, 2.0]), "rank").tolist()
    [-0.5, 0.5, 0.0, 0.0]
    """
    out = np.zeros(len(scores))
    known = np.isfinite(scores)
    n = int(known.sum())
    if n < 2:
        return out
    values = scores[known]
    if how == "z":
        std = float(values.std())
        out[known] = (values - values.mean()) / std if std > 0 else 0.0
    else:
        order = np.argsort(values, kind="stable")
        ranks = np.empty(n)
        ranks[order] = np.arange(n)
        # equal scores share their mean rank
        _, inverse = np.unique(values, return_inverse=True)
        ranks = (np.bincount(inverse, ranks) / np.bincount(inverse))[inverse]
        out[known] = ranks / (n - 1) - 0.5
    return out


class HybridRecommender(ItemModel):
    """Weighted sum of the parts' normalised scores; ``params`` holds each part's constructor arguments."""

    name: ClassVar[str] = "hybrid"

    def __init__(
        self,
        weights: Mapping[str, float] | None = None,
        normaliser: str = "z",
        params: Mapping[str, Mapping[str, Any]] | None = None,
        half_life_hours: float | None = None,
    ) -> None:
        self.weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.normaliser = normaliser
        self.params = {k: dict(v) for k, v in (params or {}).items()}
        if half_life_hours is not None:  # settings.recommend.half_life_hours, for popularity
            self.params.setdefault("popularity", {})["half_life_hours"] = half_life_hours

    def _params(self) -> dict[str, Any]:
        return {"weights": self.weights, "normaliser": self.normaliser, "params": self.params}

    def _validate(self) -> None:
        unknown = set(self.weights) - set(PARTS)
        if unknown:
            raise InvalidInput("weights", sorted(unknown), "parts among " + ", ".join(PARTS))
        if any(w < 0 for w in self.weights.values()):
            raise InvalidInput("weights", self.weights, "weights >= 0")
        if self.normaliser not in NORMALISERS:
            raise InvalidInput("normaliser", self.normaliser, "one of " + ", ".join(NORMALISERS))

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Self:
        """Fit every weighted part that can be: content only when the catalogue has vectors, and ALS only
        when there are clicks to factorise and ``implicit`` is installed (a newsroom without them still gets
        the other parts; ``skipped_`` says why a part is missing)."""
        self._validate()
        parts: dict[str, ItemModel] = {}
        self.skipped_: dict[str, str] = {}
        for name, weight in self.weights.items():
            if weight <= 0:
                continue
            if name == "content" and catalogue.vectors is None:
                self.skipped_[name] = "the catalogue has no vectors"
                continue
            model: Any = PARTS[name](**self.params.get(name, {}))
            try:
                parts[name] = model.fit(events, catalogue)
            except (InvalidInput, MissingDependency) as exc:
                if name != "mf":
                    raise
                self.skipped_[name] = str(exc)
        return self.assemble(parts)

    @classmethod
    def of(
        cls, parts: Mapping[str, ItemModel], weights: Mapping[str, float], normaliser: str = "rank"
    ) -> HybridRecommender:
        """A hybrid of parts already fitted (to try weights without refitting)."""
        hybrid = cls({k: w for k, w in weights.items() if k in parts}, normaliser)
        hybrid.params = {k: p._params() for k, p in parts.items()}
        hybrid._validate()
        return hybrid.assemble({k: p for k, p in parts.items() if hybrid.weights.get(k, 0) > 0})

    def assemble(self, parts: Mapping[str, ItemModel]) -> Self:
        self.parts_ = dict(parts)
        for part in self.parts_.values():
            part._check()
        self._reindex()
        return self

    def _reindex(self) -> None:
        ids: dict[str, None] = {}
        for part in self.parts_.values():
            ids.update(dict.fromkeys(part.ids_))
        self._set_ids(list(ids))
        # None: the part's index is the hybrid's (the usual case: every part indexes the catalogue)
        self._maps: dict[str, np.ndarray | None] = {
            name: None
            if part.ids_ == self.ids_
            else np.array([part.index_.get(a, -1) for a in self.ids_], dtype=np.int64)
            for name, part in self.parts_.items()
        }

    def partial_fit(self, events: Sequence[ReaderEvent]) -> Self:
        """Pass new events to the parts that learn online (popularity)."""
        self._check()
        for part in self.parts_.values():
            update = getattr(part, "partial_fit", None)
            if update is not None:
                update(events)
        if any(len(p.ids_) != len(self.ids_) for p in self.parts_.values()):
            self._reindex()
        return self

    def _combine(self, per_part: Mapping[str, np.ndarray], size: int) -> np.ndarray:
        total = np.zeros(size)
        known = np.zeros(size, dtype=bool)
        for name, scores in per_part.items():
            total += self.weights[name] * normalise(scores, self.normaliser)
            known |= np.isfinite(scores)
        total[~known] = np.nan
        return total

    def score(self, history: Sequence[str], candidates: Sequence[str], at: datetime) -> np.ndarray:
        """The weighted sum of the parts' scores normalised over these candidates."""
        self._check()
        per_part = {name: part.score(history, candidates, at) for name, part in self.parts_.items()}
        return self._combine(per_part, len(candidates))

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        size = self._size(rows)
        per_part = {}
        for name, part in self.parts_.items():
            where = self._maps[name]
            if where is None:  # the part's index is the hybrid's
                per_part[name] = part._score_all(history, at, rows)
                continue
            mine = where if rows is None else where[rows]
            known = mine >= 0
            scores = np.full(size, np.nan)
            if known.any():
                scores[known] = part._score_all(history, at, mine[known])
            per_part[name] = scores
        return self._combine(per_part, size)

    def also_read(self, article_id: str, n: int = 10) -> list[tuple[str, float]]:
        """Articles co-clicked with ``article_id``, topped up by its nearest articles by content (scored
        below every co-click) when the co-clicks run out."""
        self._check()
        found: list[tuple[str, float]] = []
        coclick = self.parts_.get("coclick")
        if isinstance(coclick, CoClickRecommender):
            found = [(a, 1.0 + s) for a, s in coclick.also_read(article_id, n)]
        content = self.parts_.get("content")
        if len(found) < n and isinstance(content, ContentRecommender) and article_id in content.index_:
            have = [a for a, _ in found]
            near = content.top([article_id], datetime.now(UTC), n - len(found), exclude=have)
            found += [(a, min(s, 1.0)) for a, s in near]
        return found[:n]

    def save(self, folder: Path | str) -> Path:
        """``model.json`` (weights, part parameters) and one sub-folder per part."""
        path = super().save(folder)
        for name, part in self.parts_.items():
            part.save(path / "parts" / name)
        return path

    @classmethod
    def load(cls, folder: Path | str) -> Self:
        meta = cls._saved_meta(folder)
        hybrid = cls(**meta["params"])
        parts = {
            name: PARTS[name].load(Path(folder) / "parts" / name)
            for name in PARTS
            if (Path(folder) / "parts" / name).is_dir()
        }
        return hybrid.assemble(parts)
