"""Fixed-horizon analysis of a rate experiment: frequentist tests, Holm's correction, CUPED, guardrails.

A two-variant test is a two-proportion z-test (pooled standard error for the test, unpooled for the
confidence interval on the difference). With more variants an overall chi-square test (scipy) is followed
by z-tests of every variant against a reference, their p-values adjusted with Holm's step-down procedure.

>>> r = two_proportion_ztest(100, 1000, 130, 1000)
>>> round(r.z, 3), round(r.p_value, 4), round(r.lift, 2)
(2.103, 0.0355, 0.3)
>>> holm([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
[0.03, 0.06, 0.06, 0.02]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2_contingency, norm

from newsdesk.errors import InvalidInput

from ._checks import counts, probability

__all__ = [
    "ChiSquareResult",
    "CupedResult",
    "GuardrailResult",
    "PairwiseResult",
    "ZTestResult",
    "chi_square_test",
    "cuped",
    "guardrail",
    "holm",
    "pairwise_vs_reference",
    "two_proportion_ztest",
]


@dataclass(frozen=True)
class ZTestResult:
    """Variant B against variant A: rates, difference (B - A), relative lift, z, two-sided p, CI."""

    rate_a: float
    rate_b: float
    difference: float
    lift: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float


def two_proportion_ztest(
    clicks_a: int, impressions_a: int, clicks_b: int, impressions_b: int, *, alpha: float = 0.05
) -> ZTestResult:
    """Two-sided two-proportion z-test of B against A, with a ``1 - alpha`` Wald interval on B - A.

    >>> two_proportion_ztest(5, 10, 3, 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    newsdesk.errors.InvalidInput: impressions: [10, 0] is not allowed; expected at least one impression ...
    """
    alpha = probability("alpha", alpha)
    c, n = counts([clicks_a, clicks_b], [impressions_a, impressions_b])
    pa, pb = (float(v) for v in c / n)
    pooled = c.sum() / n.sum()
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n[0] + 1 / n[1]))
    diff = float(pb - pa)
    z = diff / se0 if se0 > 0 else 0.0
    p = float(2 * norm.sf(abs(z)))
    se1 = math.sqrt(pa * (1 - pa) / n[0] + pb * (1 - pb) / n[1])
    half = float(norm.ppf(1 - alpha / 2)) * se1
    lift = diff / pa if pa > 0 else math.inf if diff > 0 else 0.0
    return ZTestResult(float(pa), float(pb), diff, lift, z, p, diff - half, diff + half)


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values, in the input order: the i-th smallest p times (m - i + 1),
    made non-decreasing along the sorted order and capped at 1. Reject where adjusted p <= alpha."""
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise InvalidInput("p_values", p.tolist(), "a non-empty list of probabilities in [0, 1]")
    order = np.argsort(p, kind="stable")
    m = p.size
    scaled = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = scaled
    return out


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test of equal rates across every variant (no continuity correction)."""

    statistic: float
    p_value: float
    dof: int


def chi_square_test(clicks: Sequence[int], impressions: Sequence[int]) -> ChiSquareResult:
    """Chi-square test of homogeneity of the click rate over ``k >= 2`` variants.

    >>> round(chi_square_test([100, 130], [1000, 1000]).statistic, 3)  # z squared for two variants
    4.422
    """
    c, n = counts(clicks, impressions)
    table = np.vstack([c, n - c])
    if np.any(table.sum(axis=1) == 0):  # every unit clicked, or none: the rates cannot differ
        return ChiSquareResult(0.0, 1.0, c.size - 1)
    stat, p, dof, _ = chi2_contingency(table, correction=False)
    return ChiSquareResult(float(stat), float(p), int(dof))


@dataclass(frozen=True)
class PairwiseResult:
    """One variant against the reference: its z-test and Holm-adjusted p-value."""

    variant: int
    reference: int
    test: ZTestResult
    p_adjusted: float
    significant: bool


def pairwise_vs_reference(
    clicks: Sequence[int], impressions: Sequence[int], *, reference: int | None = 0, alpha: float = 0.05
) -> list[PairwiseResult]:
    """z-tests of every other variant against ``reference`` (an index; ``None`` picks the variant with the
    best observed rate), Holm-adjusted over the ``k - 1`` comparisons.

    >>> [r.significant for r in pairwise_vs_reference([50, 52, 80], [1000, 1000, 1000])]
    [False, True]
    """
    alpha = probability("alpha", alpha)
    c, n = counts(clicks, impressions)
    ref = int(np.argmax(c / n)) if reference is None else reference
    if not isinstance(ref, int) or not 0 <= ref < c.size:
        raise InvalidInput("reference", reference, f"a variant index in [0, {c.size - 1}] or None")
    others = [i for i in range(c.size) if i != ref]
    tests = [
        two_proportion_ztest(int(c[ref]), int(n[ref]), int(c[i]), int(n[i]), alpha=alpha) for i in others
    ]
    adjusted = holm([t.p_value for t in tests])
    return [
        PairwiseResult(i, ref, t, float(a), bool(a <= alpha))
        for i, t, a in zip(others, tests, adjusted, strict=True)
    ]


@dataclass(frozen=True)
class CupedResult:
    """CUPED-adjusted metric: theta, the adjusted values, their group means and the variance reduction
    (``1 - var(adjusted) / var(raw)``, which equals the squared correlation with the covariate)."""

    theta: float
    adjusted: NDArray[np.float64]
    mean_raw: float
    mean_adjusted: float
    variance_reduction: float


def cuped(
    metric: ArrayLike, covariate: ArrayLike, *, theta: float | None = None, center: float | None = None
) -> CupedResult:
    """Variance-reduced metric ``y - theta * (x - center)`` with ``theta = cov(x, y) / var(x)`` from a
    pre-period covariate ``x``. To compare arms, estimate ``theta`` and ``center`` (the mean of ``x``) on
    all arms pooled and pass both to each arm: the adjustment then cannot favour one arm, the adjusted mean
    keeps the raw mean's expectation, and the difference of adjusted means has the smaller variance.
    Both default to this sample's own values.

    >>> r = cuped([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0])
    >>> round(r.mean_adjusted, 6) == round(r.mean_raw, 6), r.variance_reduction > 0.9
    (True, True)
    """
    y = np.asarray(metric, dtype=float)
    x = np.asarray(covariate, dtype=float)
    if y.ndim != 1 or y.shape != x.shape or y.size < 2:
        raise InvalidInput("covariate", x.shape, f"one value per unit of the metric ({y.shape}), at least 2")
    var_x = float(np.var(x, ddof=1))
    if theta is None:
        if var_x == 0:
            raise InvalidInput("covariate", "constant", "a covariate that varies across units")
        theta = float(np.cov(x, y, ddof=1)[0, 1] / var_x)
    adjusted = y - theta * (x - (x.mean() if center is None else float(center)))
    var_y = float(np.var(y, ddof=1))
    reduction = 1 - float(np.var(adjusted, ddof=1)) / var_y if var_y > 0 else 0.0
    return CupedResult(float(theta), adjusted, float(y.mean()), float(adjusted.mean()), reduction)


@dataclass(frozen=True)
class GuardrailResult:
    """Non-inferiority of the treatment: passes when a drop larger than ``margin`` is rejected."""

    difference: float
    margin: float
    z: float
    p_value: float
    passed: bool


def guardrail(
    clicks_control: int,
    impressions_control: int,
    clicks_treatment: int,
    impressions_treatment: int,
    *,
    tolerance: float = 0.05,
    relative: bool = True,
    alpha: float = 0.05,
) -> GuardrailResult:
    """One-sided test of H0: ``p_t - p_c <= -margin`` against H1: the drop is smaller than ``margin``
    (``tolerance`` times the control rate when ``relative``, else ``tolerance`` itself).

    >>> guardrail(500, 10000, 498, 10000, tolerance=0.2).passed
    True
    >>> guardrail(500, 10000, 400, 10000, tolerance=0.05).passed
    False
    """
    alpha = probability("alpha", alpha)
    tol = probability("tolerance", tolerance)
    c, n = counts([clicks_control, clicks_treatment], [impressions_control, impressions_treatment])
    pc, pt = (float(v) for v in c / n)
    margin = float(tol * pc if relative else tol)
    se = math.sqrt(pc * (1 - pc) / n[0] + pt * (1 - pt) / n[1])
    diff = float(pt - pc)
    z = (diff + margin) / se if se > 0 else (math.inf if diff + margin > 0 else -math.inf)
    p = float(norm.sf(z))
    return GuardrailResult(diff, margin, z, p, p <= alpha)
