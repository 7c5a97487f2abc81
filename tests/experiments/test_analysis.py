"""Fixed-horizon tests checked against scipy and hand-worked textbook values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency, norm

from newsdesk.errors import InvalidInput
from newsdesk.experiments import (
    chi_square_test,
    cuped,
    guardrail,
    holm,
    pairwise_vs_reference,
    two_proportion_ztest,
)


@pytest.mark.parametrize(
    ("ca", "na", "cb", "nb"), [(100, 1000, 130, 1000), (45, 2000, 38, 1500), (7, 50, 1, 60)]
)
def test_z_squared_is_the_uncorrected_chi_square(ca: int, na: int, cb: int, nb: int) -> None:
    r = two_proportion_ztest(ca, na, cb, nb)
    stat, p, dof, _ = chi2_contingency([[ca, na - ca], [cb, nb - cb]], correction=False)
    assert dof == 1
    assert r.z**2 == pytest.approx(stat, rel=1e-10)
    assert r.p_value == pytest.approx(p, rel=1e-9)


def test_z_test_by_hand() -> None:
    # 100/1000 against 130/1000: pooled p = 0.115, SE = sqrt(0.115 * 0.885 * 2 / 1000) = 0.014267.
    r = two_proportion_ztest(100, 1000, 130, 1000)
    se0 = math.sqrt(0.115 * 0.885 * 0.002)
    assert r.z == pytest.approx(0.03 / se0)
    assert r.p_value == pytest.approx(2 * norm.sf(0.03 / se0))
    assert r.lift == pytest.approx(0.3)
    se1 = math.sqrt(0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.03 - 1.959964 * se1, 0.03 + 1.959964 * se1), abs=1e-6)


def test_the_wald_interval_covers_at_its_level() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.binomial(2000, 0.1, size=2000), rng.binomial(2000, 0.12, size=2000)
    covered = [
        (r := two_proportion_ztest(int(x), 2000, int(y), 2000)).ci_low <= 0.02 <= r.ci_high
        for x, y in zip(a, b, strict=True)
    ]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.015)


def test_holm_on_textbook_examples() -> None:
    # By hand: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04; monotone: 0.06.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # 0.01, 0.02, 0.03 -> 0.03, 0.04, 0.03 -> monotone 0.03, 0.04, 0.04; capped at 1.
    assert holm([0.03, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.6, 0.9]) == pytest.approx([1.0, 1.0])
    # Never more lenient than the raw p, never harsher than Bonferroni.
    p = np.random.default_rng(0).random(20)
    assert np.all(holm(p) >= p)
    assert np.all(holm(p) <= np.minimum(1, p * 20) + 1e-12)


def test_chi_square_matches_the_formula_and_scipy() -> None:
    clicks, imps = [50, 52, 80], [1000, 1000, 1000]
    r = chi_square_test(clicks, imps)
    table = np.array([clicks, [n - c for c, n in zip(clicks, imps, strict=True)]], dtype=float)
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / table.sum()
    assert r.statistic == pytest.approx(((table - expected) ** 2 / expected).sum())
    assert r.dof == 2
    assert r.p_value == pytest.approx(chi2_contingency(table, correction=False)[1])


def test_pairwise_against_the_best_uses_holm() -> None:
    clicks, imps = [50, 52, 80, 60], [1000, 1000, 1000, 1000]
    results = pairwise_vs_reference(clicks, imps, reference=None)
    assert {r.reference for r in results} == {2}
    assert [r.variant for r in results] == [0, 1, 3]
    raw = [two_proportion_ztest(80, 1000, c, 1000).p_value for c in (50, 52, 60)]
    assert [r.p_adjusted for r in results] == pytest.approx(list(holm(raw)))
    assert [r.significant for r in results] == [bool(a <= 0.05) for a in holm(raw)]


def test_cuped_reduces_variance_and_keeps_the_mean() -> None:
    rng = np.random.default_rng(5)
    estimates_raw, estimates_adj, reductions = [], [], []
    for _ in range(200):
        x = rng.normal(10, 2, size=(2, 500))
        y = 0.8 * x + rng.normal(0, 1, size=(2, 500))
        y[1] += 0.3  # true treatment effect
        theta, center = cuped(y.ravel(), x.ravel()).theta, float(x.mean())
        a, b = cuped(y[0], x[0], theta=theta, center=center), cuped(y[1], x[1], theta=theta, center=center)
        estimates_raw.append(b.mean_raw - a.mean_raw)
        estimates_adj.append(b.mean_adjusted - a.mean_adjusted)
        reductions.append(a.variance_reduction)
    # theta = cov/var = 0.8; rho^2 = 0.64 * 4 / (0.64 * 4 + 1) = 0.719.
    assert np.mean(reductions) == pytest.approx(0.719, abs=0.02)
    assert np.mean(estimates_adj) == pytest.approx(0.3, abs=0.01)
    assert np.var(estimates_adj) < 0.4 * np.var(estimates_raw)


def test_guardrail_is_a_one_sided_non_inferiority_test() -> None:
    r = guardrail(500, 10000, 480, 10000, tolerance=0.1)  # margin = 0.005, difference = -0.002
    se = math.sqrt(0.05 * 0.95 / 10000 + 0.048 * 0.952 / 10000)
    assert r.margin == pytest.approx(0.005)
    assert r.p_value == pytest.approx(norm.sf((-0.002 + 0.005) / se))
    assert r.passed is bool(r.p_value <= 0.05)
    assert not guardrail(500, 10000, 430, 10000, tolerance=0.1).passed
    assert guardrail(500, 10000, 480, 10000, tolerance=0.01, relative=False).passed


@pytest.mark.parametrize(
    ("clicks", "impressions", "field"),
    [
        ([-1, 5], [10, 10], "clicks"),
        ([1, 5], [10, -10], "impressions"),
        ([11, 5], [10, 10], "clicks"),
        ([1, 0], [10, 0], "impressions"),
        ([1], [10], "variants"),
    ],
)
def test_bad_counts_are_refused_by_name(clicks: list[int], impressions: list[int], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        chi_square_test(clicks, impressions)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
    if len(clicks) == 2:
        with pytest.raises(InvalidInput):
            two_proportion_ztest(clicks[0], impressions[0], clicks[1], impressions[1])


def test_other_refusals() -> None:
    with pytest.raises(InvalidInput, match="reference"):
        pairwise_vs_reference([1, 2], [10, 10], reference=5)
    with pytest.raises(InvalidInput, match="p_values"):
        holm([0.5, 1.5])
    with pytest.raises(InvalidInput, match="alpha"):
        two_proportion_ztest(1, 10, 2, 10, alpha=0)
    with pytest.raises(InvalidInput, match="covariate"):
        cuped([1.0, 2.0], [3.0, 3.0])
