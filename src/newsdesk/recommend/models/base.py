"""What the recommendation models share: an item index, the fitted check, whole-catalogue ``top`` and
saving as ``model.json`` + ``state.npz`` (no pickle, so a saved model is data that cannot run code, and no
reader ids: models hold item-side state only).

A model implements ``_score_all(history, at, rows)``: one score per item of its index, or per item at
``rows`` when given (``nan`` where it knows nothing), vectorised with numpy. ``score`` asks for the
candidates' rows only, and ``top`` ranks the whole index (or a ``rows`` subset of it, such as the articles
recent enough to recommend), skipping the history and ``exclude``. Scoring a subset costs in proportion to
it: an archive of 100,000 articles whose last month is recommendable scores that month alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput, NotFitted, UnreadableSource

__all__ = ["ItemModel", "read_meta"]

META = "model.json"
STATE = "state.npz"


def read_meta(folder: Path | str) -> dict[str, Any]:
    """The ``model.json`` of a saved model folder."""
    path = Path(folder) / META
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UnreadableSource(f"{path}: not a saved recommendation model ({exc})") from exc
    return meta


class ItemModel:
    """Base of the model kinds: ``ids_`` (the item index) and the shared serving and saving code."""

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    ids_: list[str]
    index_: dict[str, int]

    def _params(self) -> dict[str, Any]:
        """The constructor arguments, saved beside the state."""
        return {}

    def _state(self) -> dict[str, np.ndarray]:
        """The fitted arrays to save (``ids_`` is saved separately)."""
        return {}

    def _restore(self, state: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Set the fitted attributes from saved arrays."""

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def _size(self, rows: np.ndarray | None) -> int:
        return len(self.ids_) if rows is None else len(rows)

    def _set_ids(self, ids: Sequence[str]) -> None:
        self.ids_ = list(ids)
        self.index_ = {a: i for i, a in enumerate(self.ids_)}

    def _check(self) -> None:
        if not hasattr(self, "ids_"):
            raise NotFitted(f"{type(self).__name__} is not fitted: call fit(events, catalogue) or load()")

    def score(self, history: Sequence[str], candidates: Sequence[str], at: datetime) -> np.ndarray:
        """One score per candidate (higher is better, comparable within this call); nan where unknown."""
        self._check()
        pos = np.array([self.index_.get(c, -1) for c in candidates], dtype=np.int64)
        out = np.full(len(candidates), np.nan)
        known = pos >= 0
        if known.any():
            out[known] = self._score_all(history, at, pos[known])
        return out

    def top(
        self,
        history: Sequence[str],
        at: datetime,
        n: int = 10,
        exclude: Sequence[str] = (),
        rows: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """The ``n`` best articles of the whole index (or of the positions ``rows`` of it) for a reader with
        ``history`` (which is never recommended again, nor ``exclude``), as (article id, score), best
        first."""
        if n < 1:
            raise InvalidInput("n", n, "an integer >= 1")
        self._check()
        where = np.arange(len(self.ids_)) if rows is None else np.asarray(rows, dtype=np.int64)
        if not len(where):
            return []
        scores = np.nan_to_num(np.array(self._score_all(history, at, rows), dtype=float), nan=-np.inf)
        drop = {self.index_[a] for a in (*history, *exclude) if a in self.index_}
        if drop:
            scores[np.isin(where, np.fromiter(drop, dtype=np.int64))] = -np.inf
        k = min(n, len(scores))
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.ids_[int(where[i])], float(scores[i])) for i in best if scores[i] > -np.inf]

    def save(self, folder: Path | str) -> Path:
        """Write ``model.json`` (kind, version, parameters, item ids) and ``state.npz`` into ``folder``."""
        self._check()
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"name": self.name, "version": self.version, "params": self._params(), "ids": self.ids_}
        (path / META).write_text(json.dumps(meta, ensure_ascii=False, default=_plain), encoding="utf-8")
        np.savez(path / STATE, allow_pickle=False, **self._state())
        return path

    @classmethod
    def _saved_meta(cls, folder: Path | str) -> dict[str, Any]:
        """The ``model.json`` of ``folder``, refused unless it was saved by this kind of model."""
        meta = read_meta(folder)
        if meta.get("name") != cls.name:
            raise InvalidInput("model.json name", meta.get("name"), f"'{cls.name}'")
        return meta

    @classmethod
    def load(cls, folder: Path | str) -> Self:
        """A model saved by :meth:`save` (arrays loaded with ``allow_pickle=False``)."""
        meta = cls._saved_meta(folder)
        model = cls(**meta.get("params", {}))
        with np.load(Path(folder) / STATE, allow_pickle=False) as data:
            state = {k: data[k] for k in data.files}
        model._set_ids(meta["ids"])
        model._restore(state, meta)
        return model


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else str(value)


def positive(name: str, value: float) -> float:
    """``value`` when it is a finite number > 0; else :class:`InvalidInput` naming ``name``."""
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InvalidInput(name, value, "a number > 0")
    return float(value)
