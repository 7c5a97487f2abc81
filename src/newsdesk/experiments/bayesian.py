"""Bayesian beta-binomial analysis: the probability each variant has the best rate, and the expected loss
of shipping each one.

Each variant's rate has a ``Beta(a + clicks, b + impressions - clicks)`` posterior. With any number of
variants the probability of being best and the expected loss ``E[max_j p_j - p_i]`` come from Monte Carlo
draws of a seeded :class:`numpy.random.Generator`; for two variants :func:`prob_b_beats_a` is exact.

>>> round(prob_b_beats_a(100, 1000, 130, 1000), 4)
0.9822
>>> post = posterior([100, 130], [1000, 1000], draws=200_000, seed=1)
>>> round(float(post.prob_best[1]), 2), bool(post.expected_loss[1] < post.expected_loss[0])
(0.98, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import quad
from scipy.special import betaln
from scipy.stats import beta as beta_dist

from newsdesk.errors import InvalidInput

from ._checks import counts, positive

__all__ = ["Posterior", "posterior", "prob_b_beats_a"]


@dataclass(frozen=True)
class Posterior:
    """Per variant: posterior parameters, probability of being best, expected loss of choosing it."""

    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    prob_best: NDArray[np.float64]
    expected_loss: NDArray[np.float64]


def _prior(prior: tuple[float, float]) -> tuple[float, float]:
    return positive("prior[0]", prior[0]), positive("prior[1]", prior[1])


def posterior(
    clicks: Sequence[int],
    impressions: Sequence[int],
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    draws: int = 100_000,
    seed: int | np.random.Generator | None = 0,
) -> Posterior:
    """Monte Carlo probability of being best and expected loss for ``k >= 2`` variants."""
    c, n = counts(clicks, impressions)
    a0, b0 = _prior(prior)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InvalidInput("draws", draws, "an integer >= 1")
    rng = np.random.default_rng(seed)
    a = a0 + c.astype(float)
    b = b0 + (n - c).astype(float)
    samples = rng.beta(a, b, size=(draws, c.size))
    best = np.argmax(samples, axis=1)
    prob_best = np.bincount(best, minlength=c.size) / draws
    loss = (samples.max(axis=1, keepdims=True) - samples).mean(axis=0)
    return Posterior(a, b, prob_best.astype(float), loss.astype(float))


def prob_b_beats_a(
    clicks_a: int,
    impressions_a: int,
    clicks_b: int,
    impressions_b: int,
    *,
    prior: tuple[float, float] = (1.0, 1.0),
) -> float:
    """Exact ``P(p_B > p_A)`` under independent beta posteriors: the closed form (a finite sum of beta
    functions) when B's first posterior parameter is a whole number, numerical integration otherwise."""
    c, n = counts([clicks_a, clicks_b], [impressions_a, impressions_b])
    a0, b0 = _prior(prior)
    aa, ba = a0 + c[0], b0 + n[0] - c[0]
    ab, bb = a0 + c[1], b0 + n[1] - c[1]
    if float(ab).is_integer():
        i = np.arange(int(ab), dtype=float)
        terms = betaln(aa + i, ba + bb) - np.log(bb + i) - betaln(1 + i, bb) - betaln(aa, ba)
        return float(min(1.0, max(0.0, np.exp(terms).sum())))
    return _by_integration(float(aa), float(ba), float(ab), float(bb))


def _by_integration(aa: float, ba: float, ab: float, bb: float) -> float:
    """``P(p_B > p_A) = integral of f_B(x) F_A(x) dx``, over B's central mass where the integrand lives."""
    lo, hi = beta_dist.ppf([1e-12, 1 - 1e-12], ab, bb)
    value, _ = quad(lambda x: beta_dist.pdf(x, ab, bb) * beta_dist.cdf(x, aa, ba), lo, hi, limit=200)
    return float(min(1.0, max(0.0, value)))
