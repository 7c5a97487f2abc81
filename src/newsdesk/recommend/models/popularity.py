"""Popularity: what readers click now. The editors' default slate, the cold-start answer for a reader with
no history, and the baseline every other model must beat.

Each click counts ``2 ** (-age / half_life)``, so yesterday's hit fades. With ``ctr_prior > 0`` an article is
scored by its smoothed click-through rate, ``(clicks + ctr_prior * p) / (shown + ctr_prior)`` over decayed
click and impression counts, where ``p`` is the overall (decayed) click-through rate: an article shown
often and rarely clicked falls below one shown twice and clicked once, and one never shown gets ``p``. Why
CTR: the slates already favour what editors promote, so raw clicks mostly measure exposure. With
``ctr_prior=0`` the score is the decayed click count alone.

The state is updated online (:meth:`partial_fit`): counts are kept decayed to the latest event time, and an
event arriving adds its decayed weight, so serving a stream needs no refit.

>>> from datetime import UTC, datetime
>>> from newsdesk.recommend.model import Catalogue, ReaderEvent
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> cat = Catalogue(["a", "b"], np.array([0.0, 0.0]), ["", ""], ["a", "b"])
>>> ev = [ReaderEvent("r", "a", kind, t, impression="i") for kind in ("impression", "click")]
>>> PopularityRecommender(ctr_prior=0).fit(ev, cat).top([], t, 1)
[('a', 1.0)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

import numpy as np

from newsdesk.errors import InvalidInput
from newsdesk.recommend.model import Catalogue, ReaderEvent
from newsdesk.recommend.models.base import ItemModel, positive

__all__ = ["PopularityRecommender"]


class PopularityRecommender(ItemModel):
    """Recency-decayed clicks, or smoothed click-through rate (``ctr_prior`` impressions of prior)."""

    name: ClassVar[str] = "popularity"

    def __init__(
        self, half_life_hours: float = 24.0, ctr_prior: float = 10.0, only_shown: bool = True
    ) -> None:
        self.half_life_hours = half_life_hours
        self.ctr_prior = ctr_prior
        self.only_shown = only_shown  # count only clicks that belong to an impression (same exposure as CTR)

    def _params(self) -> dict[str, Any]:
        return {
            "half_life_hours": self.half_life_hours,
            "ctr_prior": self.ctr_prior,
            "only_shown": self.only_shown,
        }

    def fit(self, events: Sequence[ReaderEvent], catalogue: Catalogue) -> Self:
        positive("half_life_hours", self.half_life_hours)
        if not math.isfinite(self.ctr_prior) or self.ctr_prior < 0:
            raise InvalidInput("ctr_prior", self.ctr_prior, "a number >= 0")
        self._set_ids(catalogue.ids)
        n = len(self.ids_)
        self.clicks_ = np.zeros(n)
        self.shown_ = np.zeros(n)
        self.published_ = np.asarray(catalogue.published, dtype=float).copy()
        self.as_of_ = math.nan
        return self.partial_fit(events)

    def partial_fit(self, events: Sequence[ReaderEvent]) -> Self:
        """Fold more events in (any order); articles not yet indexed are added."""
        self._check()
        counted = [
            e
            for e in events
            if e.kind == "impression"
            or (e.kind == "click" and (e.impression is not None or not self.only_shown))
        ]
        if not counted:
            return self
        for e in counted:
            if e.article_id not in self.index_:
                self.index_[e.article_id] = len(self.ids_)
                self.ids_.append(e.article_id)
        grow = len(self.ids_) - len(self.clicks_)
        if grow:
            self.clicks_ = np.r_[self.clicks_, np.zeros(grow)]
            self.shown_ = np.r_[self.shown_, np.zeros(grow)]
            self.published_ = np.r_[self.published_, np.full(grow, np.nan)]
        times = np.array([e.at.timestamp() for e in counted])
        latest = float(times.max())
        if math.isnan(self.as_of_) or latest > self.as_of_:
            if not math.isnan(self.as_of_):
                factor = self._decay(latest - self.as_of_)
                self.clicks_ *= factor
                self.shown_ *= factor
            self.as_of_ = latest
        weights = self._decay(self.as_of_ - times)
        pos = np.array([self.index_[e.article_id] for e in counted], dtype=np.int64)
        is_click = np.array([e.kind == "click" for e in counted])
        np.add.at(self.clicks_, pos[is_click], weights[is_click])
        np.add.at(self.shown_, pos[~is_click], weights[~is_click])
        shown_at = np.full(len(self.ids_), np.inf)
        np.minimum.at(shown_at, pos[~is_click], times[~is_click])
        self.published_ = np.fmin(self.published_, np.where(np.isinf(shown_at), np.nan, shown_at))
        return self

    def _decay(self, seconds: Any) -> Any:
        return np.exp2(-np.asarray(seconds, dtype=float) / (3600.0 * self.half_life_hours))

    @property
    def base_rate_(self) -> float:
        """The overall (decayed) click-through rate, the prior of an article never shown."""
        self._check()
        shown = float(self.shown_.sum())
        return float(self.clicks_.sum()) / shown if shown > 0 else 0.0

    def _score_all(self, history: Sequence[str], at: datetime, rows: np.ndarray | None = None) -> np.ndarray:
        clicks = self.clicks_ if rows is None else self.clicks_[rows]
        if self.ctr_prior > 0:
            prior = self.ctr_prior * self.base_rate_
            shown = self.shown_ if rows is None else self.shown_[rows]
            return np.asarray((clicks + prior) / (shown + self.ctr_prior))
        if math.isnan(self.as_of_):
            return np.zeros(len(clicks))
        return np.asarray(clicks * self._decay(at.timestamp() - self.as_of_))

    def _state(self) -> dict[str, np.ndarray]:
        return {
            "clicks": self.clicks_,
            "shown": self.shown_,
            "published": self.published_,
            "as_of": np.array([self.as_of_]),
        }

    def _restore(self, state: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.clicks_ = state["clicks"]
        self.shown_ = state["shown"]
        self.published_ = state["published"]
        self.as_of_ = float(state["as_of"][0])
