"""Adaptive allocation and stable assignment for headline tests.

:class:`ThompsonSampler` sends each impression to the arm whose Beta-posterior draw is highest, except a
fixed holdout share that is spread evenly over the arms (an unbiased comparison that the bandit cannot
starve). It stops once one arm's probability of being best reaches a threshold after a minimum sample.
:func:`assign` maps a unit (a reader, an e-mail address) to a variant through a hash of the experiment id
and the unit: the same unit always gets the same variant, and experiments are independent of each other.

>>> assign("exp-1", "reader-42", ["a", "b"]) == assign("exp-1", "reader-42", ["a", "b"])
True
>>> r = replay([0.02, 0.03], impressions=20_000, seed=3)
>>> r.best_identified, r.clicks_gained > 0
(True, True)

:func:`regret_curve` traces the sampler's cumulative regret (the clicks lost against always showing the best
arm) impression by impression, next to the even split's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from newsdesk.errors import InvalidInput

from ._checks import positive, probability

__all__ = ["RegretCurve", "ReplayResult", "ThompsonSampler", "assign", "regret_curve", "replay"]

V = TypeVar("V")


def assign(experiment_id: str, unit: str, variants: Sequence[V], weights: Sequence[float] | None = None) -> V:
    """The variant of ``unit`` in ``experiment_id``: sha256 of ``"<experiment_id>:<unit>"`` read as a
    uniform number in [0, 1), placed against the cumulative ``weights`` (equal when omitted)."""
    if len(variants) < 1:
        raise InvalidInput("variants", list(variants), "at least one variant")
    w = np.ones(len(variants)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(variants),) or np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
        raise InvalidInput(
            "weights", None if weights is None else list(weights), "one weight >= 0 per variant, sum > 0"
        )
    digest = hashlib.sha256(f"{experiment_id}:{unit}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    edges = np.cumsum(w) / w.sum()
    return variants[min(int(np.searchsorted(edges, u, side="right")), len(variants) - 1)]


class ThompsonSampler:
    """Thompson sampling over Bernoulli arms with ``Beta(prior)`` priors and a uniform holdout share.

    ``__init__`` stores the settings; state lives in ``successes_`` and ``trials_``.
    """

    def __init__(
        self,
        n_arms: int,
        *,
        holdout: float = 0.1,
        prior: tuple[float, float] = (1.0, 1.0),
        seed: int | np.random.Generator | None = 0,
    ) -> None:
        if isinstance(n_arms, bool) or not isinstance(n_arms, int) or n_arms < 2:
            raise InvalidInput("n_arms", n_arms, "an integer >= 2")
        self.n_arms = n_arms
        self.holdout = probability("holdout", holdout, open_interval=False)
        self.prior = (positive("prior[0]", prior[0]), positive("prior[1]", prior[1]))
        self.rng = np.random.default_rng(seed)
        self.successes_ = np.zeros(n_arms, dtype=np.int64)
        self.trials_ = np.zeros(n_arms, dtype=np.int64)

    def _draw(self, size: int) -> NDArray[np.float64]:
        a = self.prior[0] + self.successes_
        b = self.prior[1] + self.trials_ - self.successes_
        draws: NDArray[np.float64] = self.rng.beta(a, b, size=(size, self.n_arms))
        return draws

    def choose(self, size: int = 1) -> NDArray[np.int64]:
        """Arms for the next ``size`` impressions (a batch shares the current posterior)."""
        arms = np.argmax(self._draw(size), axis=1)
        held = self.rng.random(size) < self.holdout
        arms[held] = self.rng.integers(0, self.n_arms, size=int(held.sum()))
        out: NDArray[np.int64] = arms.astype(np.int64)
        return out

    def update(self, arms: NDArray[np.int64], clicks: NDArray[np.int64]) -> None:
        """Record the outcome (0 or 1) of each impression sent to ``arms``."""
        np.add.at(self.trials_, arms, 1)
        np.add.at(self.successes_, arms, clicks)

    def prob_best(self, draws: int = 10_000) -> NDArray[np.float64]:
        """Monte Carlo probability that each arm has the highest rate."""
        counts = np.bincount(np.argmax(self._draw(draws), axis=1), minlength=self.n_arms)
        return counts.astype(float) / draws

    def should_stop(self, threshold: float = 0.95, min_samples: int = 1000) -> bool:
        """True once every arm has ``min_samples`` impressions and one arm is best with ``threshold``."""
        if int(self.trials_.min()) < min_samples:
            return False
        return bool(self.prob_best().max() >= threshold)


@dataclass(frozen=True)
class ReplayResult:
    """A simulated test: clicks under Thompson sampling and under an even split of the same impressions,
    the arm finally judged best, whether it is the truly best arm, and the impressions used before stopping
    (the rest of the stream went to the chosen arm)."""

    clicks_thompson: int
    clicks_even: float
    clicks_gained: float
    chosen: int
    best_identified: bool
    impressions_used: int


def replay(
    true_rates: Sequence[float],
    *,
    impressions: int = 10_000,
    batch: int = 100,
    holdout: float = 0.1,
    threshold: float = 0.95,
    min_samples: int = 500,
    seed: int = 0,
) -> ReplayResult:
    """Simulate a test stream of ``impressions`` given each arm's true click rate. The sampler allocates in
    batches until its stop rule fires, then sends the rest to the arm it judges best; the even split's
    clicks are the expected clicks of all impressions spread evenly over the arms."""
    rates = np.asarray(true_rates, dtype=float)
    if rates.ndim != 1 or rates.size < 2 or np.any((rates < 0) | (rates > 1)):
        raise InvalidInput("true_rates", rates.tolist(), "at least 2 rates in [0, 1]")
    if impressions < batch or batch < 1:
        raise InvalidInput("impressions", impressions, f"an integer >= batch ({batch})")
    sampler = ThompsonSampler(int(rates.size), holdout=holdout, seed=seed)
    rng = np.random.default_rng([seed, 1])
    used = 0
    while used + batch <= impressions:
        arms = sampler.choose(batch)
        sampler.update(arms, (rng.random(batch) < rates[arms]).astype(np.int64))
        used += batch
        if sampler.should_stop(threshold, min_samples):
            break
    chosen = int(np.argmax(sampler.prob_best()))
    # After the stop, the rest of the stream goes to the chosen arm.
    clicks = int(sampler.successes_.sum()) + int(rng.binomial(impressions - used, rates[chosen]))
    even = float(impressions * rates.mean())
    return ReplayResult(clicks, even, clicks - even, chosen, chosen == int(np.argmax(rates)), used)


@dataclass(frozen=True)
class RegretCurve:
    """Cumulative expected regret after each batch: ``sum of (best rate - rate of the arm shown)`` over the
    impressions so far, for Thompson sampling and for an even split."""

    impressions: NDArray[np.int64]
    thompson: NDArray[np.float64]
    even: NDArray[np.float64]


def regret_curve(
    true_rates: Sequence[float],
    *,
    impressions: int = 10_000,
    batch: int = 100,
    holdout: float = 0.1,
    seed: int = 0,
) -> RegretCurve:
    """Thompson sampling (with its holdout, never stopping) on Bernoulli arms with ``true_rates``: the
    expected regret of the arms it chose, accumulated batch by batch (clicks are simulated only to update
    the posterior, so the curve carries no click noise).

    >>> c = regret_curve([0.02, 0.03], impressions=20_000, seed=1)
    >>> bool(c.thompson[-1] < c.even[-1] / 2), int(c.impressions[-1])
    (True, 20000)
    """
    rates = np.asarray(true_rates, dtype=float)
    if rates.ndim != 1 or rates.size < 2 or np.any((rates < 0) | (rates > 1)):
        raise InvalidInput("true_rates", rates.tolist(), "at least 2 rates in [0, 1]")
    if batch < 1 or impressions < batch:
        raise InvalidInput("impressions", impressions, f"an integer >= batch ({batch})")
    sampler = ThompsonSampler(int(rates.size), holdout=holdout, seed=seed)
    rng = np.random.default_rng([seed, 2])
    gap = rates.max() - rates
    steps = impressions // batch
    lost = np.empty(steps)
    for i in range(steps):
        arms = sampler.choose(batch)
        sampler.update(arms, (rng.random(batch) < rates[arms]).astype(np.int64))
        lost[i] = gap[arms].sum()
    shown = batch * np.arange(1, steps + 1, dtype=np.int64)
    even: NDArray[np.float64] = shown.astype(float) * float(gap.mean())
    return RegretCurve(shown, np.cumsum(lost), even)
