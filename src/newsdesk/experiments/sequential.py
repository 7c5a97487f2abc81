"""Always-valid inference for the difference of two rates: the mixture sequential probability ratio test.

Following Johari, Pekelis and Walsh ("Always valid inference", 2017), the difference ``p_B - p_A`` is
estimated at each look with a normal approximation (variance ``V = p_A q_A / n_A + p_B q_B / n_B``) and the
likelihood ratio against ``H0: difference = 0`` is mixed over a ``N(0, tau^2)`` prior on the difference::

    Lambda = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))

The always-valid p-value is the running minimum of ``1 / Lambda``; the confidence sequence is the running
intersection of the sets of differences the test would not reject. Both stay valid however often one peeks,
which a fixed-horizon z-test does not.

``tau`` should match the size of the differences the test will meet: too small and a real difference takes
long to reach significance, too large and the small differences are missed. :func:`tau_from_history` picks it
from the archive's own past tests (see there).

>>> r = msprt([100, 200, 300], [2000, 4000, 6000], [130, 270, 410], [2000, 4000, 6000], tau=0.02)
>>> bool(r.p_values[-1] < 0.05), bool(r.ci_low[-1] > 0)
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from newsdesk.errors import InvalidInput

from ._checks import positive, probability

__all__ = ["SequentialResult", "TauEstimate", "msprt", "tau_from_differences", "tau_from_history"]


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


@dataclass(frozen=True)
class TauEstimate:
    """The mixing spread chosen from past tests: ``tau``, the comparisons it rests on, the spread of the
    observed differences (``observed_sd``, sampling noise included) and the typical noise alone
    (``noise_sd``, the root mean sampling variance)."""

    tau: float
    comparisons: int
    observed_sd: float
    noise_sd: float
    method: str


def tau_from_differences(
    differences: ArrayLike, variances: ArrayLike, *, method: str = "mle", floor: float = 1e-4
) -> TauEstimate:
    """The spread ``tau`` of true differences, deconvolved from sampling noise.

    Each observed difference is its true difference plus sampling noise of known variance ``v_i``; with true
    differences drawn from ``N(0, tau^2)`` (the mSPRT's own mixing prior), ``d_i ~ N(0, tau^2 + v_i)``.
    ``method="mle"`` maximises that likelihood in ``tau``; ``method="moments"`` takes
    ``mean(d_i^2 - v_i)``. Both equal ``mean(d^2) - v`` when every variance is ``v``. A spread that sampling
    noise explains entirely gives ``floor``.

    Why this tau: with true differences ``N(0, tau0^2)`` and an estimate of variance ``V`` at a look, the
    expected log likelihood ratio ``E[log Lambda]`` is maximal at ``tau = tau0`` whatever ``V`` is (its
    derivative in ``tau^2`` is ``(tau0^2 - tau^2) / (2 (V + tau^2)^2)``): the deconvolved spread makes the
    evidence grow fastest. Power by a short horizon favours a somewhat larger tau (on the Upworthy dev tests,
    twice this one gains about 2 points of power; see ``benchmarks/experiments_replay.py``).

    >>> round(tau_from_differences([0.03, -0.03, 0.05, -0.05], [0.0013] * 4).tau, 6)
    0.02
    """
    from scipy.optimize import minimize_scalar

    if method not in ("mle", "moments"):
        raise InvalidInput("method", method, "one of mle, moments")
    floor = positive("floor", floor)
    d = np.asarray(differences, dtype=float)
    v = np.asarray(variances, dtype=float)
    if d.ndim != 1 or d.shape != v.shape or d.size == 0:
        raise InvalidInput("variances", v.tolist(), f"one variance per difference ({d.size}), at least one")
    if not (np.all(np.isfinite(d)) and np.all(np.isfinite(v))) or np.any(v <= 0):
        raise InvalidInput("variances", v.tolist(), "finite differences and sampling variances > 0")
    if method == "moments":
        tau2 = float(np.mean(d**2 - v))
    else:

        def nll(log_tau: float) -> float:
            total = np.exp(2 * log_tau) + v
            return float(0.5 * np.sum(np.log(total) + d**2 / total))

        hi = np.log(max(float(np.sqrt(np.max(d**2))), floor) * 10)
        lo = np.log(floor) - 3
        best = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
        tau2 = float(np.exp(2 * best.x))
    tau = max(float(np.sqrt(max(tau2, 0.0))), floor)
    return TauEstimate(tau, int(d.size), float(np.sqrt(np.mean(d**2))), float(np.sqrt(np.mean(v))), method)


def tau_from_history(
    clicks: Sequence[Sequence[int]],
    impressions: Sequence[Sequence[int]],
    *,
    method: str = "mle",
    floor: float = 1e-4,
) -> TauEstimate:
    """``tau`` from past tests, one sequence of counts per test whose first variant is the control: every
    other variant's observed difference against it, with its sampling variance
    ``p_c q_c / n_c + p_t q_t / n_t``, goes to :func:`tau_from_differences`. Comparisons without any
    sampling variance (no clicks in either arm, say) carry no information and are left out.

    >>> est = tau_from_history([[100, 130], [200, 180], [50, 50]], [[1000, 1000], [2000, 2000], [500, 500]])
    >>> est.comparisons, round(est.tau, 4)
    (3, 0.0122)
    """
    if len(clicks) != len(impressions) or len(clicks) == 0:
        raise InvalidInput(
            "impressions", len(impressions), f"one sequence per test ({len(clicks)}), at least one"
        )
    diffs: list[float] = []
    variances: list[float] = []
    for i, (c_test, n_test) in enumerate(zip(clicks, impressions, strict=True)):
        c = np.asarray(c_test, dtype=float)
        n = np.asarray(n_test, dtype=float)
        if c.ndim != 1 or c.shape != n.shape or c.size < 2:
            raise InvalidInput(
                f"clicks[{i}]", c.tolist(), "counts of at least 2 variants, one per impression count"
            )
        if np.any(n <= 0) or np.any(c < 0) or np.any(c > n):
            raise InvalidInput(
                f"impressions[{i}]", n.tolist(), "impressions >= 1 and 0 <= clicks <= impressions"
            )
        p = c / n
        var = p * (1 - p) / n
        d = p[1:] - p[0]
        v = var[1:] + var[0]
        keep = v > 0
        diffs.extend(d[keep].tolist())
        variances.extend(v[keep].tolist())
    if not diffs:
        raise InvalidInput("clicks", "no comparison with sampling variance", "tests with some clicks")
    return tau_from_differences(diffs, variances, method=method, floor=floor)
