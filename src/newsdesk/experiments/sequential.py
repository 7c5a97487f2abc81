"""Always-valid inference for the difference of two rates: the mixture sequential probability ratio test.

Following Johari, Pekelis and Walsh ("Always valid inference", 2017), the difference ``p_B - p_A`` is
estimated at each look with a normal approximation (variance ``V = p_A q_A / n_A + p_B q_B / n_B``) and the
likelihood ratio against ``H0: difference = 0`` is mixed over a ``N(0, tau^2)`` prior on the difference::

    Lambda = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))

The always-valid p-value is the running minimum of ``1 / Lambda``; the confidence sequence is the running
intersection of the sets of differences the test would not reject. Both stay valid however often one peeks,
which a fixed-horizon z-test does not.

>>> r = msprt([100, 200, 300], [2000, 4000, 6000], [130, 270, 410], [2000, 4000, 6000], tau=0.02)
>>> bool(r.p_values[-1] < 0.05), bool(r.ci_low[-1] > 0)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from newsdesk.errors import InvalidInput

from ._checks import positive, probability

__all__ = ["SequentialResult", "msprt"]


@dataclass(frozen=True)
class SequentialResult:
    """Per look: the estimated difference, the always-valid p-value and confidence sequence bounds."""

    difference: NDArray[np.float64]
    p_values: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]

    def first_rejection(self, alpha: float = 0.05) -> int | None:
        """Index of the first look where the always-valid p-value is at most ``alpha``, or None."""
        hits = np.flatnonzero(self.p_values <= alpha)
        return int(hits[0]) if hits.size else None


def _cumulative(field: str, values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInput(field, arr.tolist(), "a non-empty sequence of cumulative counts, one per look")
    if np.any(arr < 0) or np.any(np.diff(arr) < 0):
        raise InvalidInput(field, arr.tolist(), "non-negative, non-decreasing cumulative counts")
    return arr


def msprt(
    clicks_a: ArrayLike,
    impressions_a: ArrayLike,
    clicks_b: ArrayLike,
    impressions_b: ArrayLike,
    *,
    tau: float = 0.01,
    alpha: float = 0.05,
) -> SequentialResult:
    """Always-valid p-values and ``1 - alpha`` confidence sequence for ``p_B - p_A`` from cumulative
    counts at each look. ``tau`` is the spread of the mixing prior: roughly the size of effect expected."""
    tau2 = positive("tau", tau) ** 2
    alpha = probability("alpha", alpha)
    ca, na = _cumulative("clicks_a", clicks_a), _cumulative("impressions_a", impressions_a)
    cb, nb = _cumulative("clicks_b", clicks_b), _cumulative("impressions_b", impressions_b)
    if not (ca.shape == na.shape == cb.shape == nb.shape):
        raise InvalidInput("impressions_b", nb.size, f"one cumulative count per look ({ca.size} looks)")
    if np.any(na == 0) or np.any(nb == 0):
        raise InvalidInput(
            "impressions", [na.tolist(), nb.tolist()], "at least one impression per arm at every look"
        )
    if np.any(ca > na) or np.any(cb > nb):
        raise InvalidInput("clicks", [ca.tolist(), cb.tolist()], "clicks <= impressions at every look")
    pa, pb = ca / na, cb / nb
    d = pb - pa
    v = pa * (1 - pa) / na + pb * (1 - pb) / nb
    # With no variance yet (no clicks, or all clicks) the data say nothing: Lambda = 1, the CI is unbounded.
    safe = np.where(v > 0, v, 1.0)
    log_lr = 0.5 * np.log(safe / (safe + tau2)) + d**2 * tau2 / (2 * safe * (safe + tau2))
    log_lr = np.where(v > 0, log_lr, 0.0)
    p = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr)))
    radius2 = 2 * safe * (safe + tau2) / tau2 * (np.log(1 / alpha) + 0.5 * np.log((safe + tau2) / safe))
    radius = np.where(v > 0, np.sqrt(radius2), np.inf)
    low = np.maximum.accumulate(d - radius)
    high = np.minimum.accumulate(d + radius)
    return SequentialResult(d, p, low, high)
