"""Beta-binomial posteriors: Monte Carlo against the exact two-variant probability and integration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import beta

from newsdesk.errors import InvalidInput
from newsdesk.experiments import posterior, prob_b_beats_a


def by_quad(aa: float, ba: float, ab: float, bb: float) -> float:
    lo, hi = beta.ppf([1e-12, 1 - 1e-12], ab, bb)
    return float(quad(lambda x: beta.pdf(x, ab, bb) * beta.cdf(x, aa, ba), lo, hi, limit=200)[0])


@pytest.mark.parametrize(
    ("ca", "na", "cb", "nb"), [(100, 1000, 130, 1000), (3, 40, 2, 35), (400, 9000, 420, 9100)]
)
def test_the_closed_form_matches_numerical_integration(ca: int, na: int, cb: int, nb: int) -> None:
    exact = prob_b_beats_a(ca, na, cb, nb)
    assert exact == pytest.approx(by_quad(1 + ca, 1 + na - ca, 1 + cb, 1 + nb - cb), abs=1e-7)
    assert exact + prob_b_beats_a(cb, nb, ca, na) == pytest.approx(1.0, abs=1e-9)


def test_monte_carlo_matches_the_exact_probability() -> None:
    for ca, na, cb, nb in [(100, 1000, 130, 1000), (3, 40, 2, 35)]:
        mc = posterior([ca, cb], [na, nb], draws=100_000, seed=2).prob_best[1]
        assert mc == pytest.approx(prob_b_beats_a(ca, na, cb, nb), abs=0.006)  # 3 MC standard errors


def test_a_non_integer_prior_goes_through_integration() -> None:
    exact = prob_b_beats_a(10, 100, 15, 100, prior=(0.5, 0.5))
    assert exact == pytest.approx(by_quad(10.5, 90.5, 15.5, 85.5), abs=1e-7)
    mc = posterior([10, 15], [100, 100], prior=(0.5, 0.5), draws=100_000, seed=3).prob_best[1]
    assert mc == pytest.approx(exact, abs=0.006)


def test_equal_variants_share_the_probability_and_loss() -> None:
    post = posterior([50, 50, 50], [1000, 1000, 1000], draws=60_000, seed=4)
    assert post.prob_best == pytest.approx([1 / 3] * 3, abs=0.015)
    assert post.prob_best.sum() == pytest.approx(1.0)
    assert np.ptp(post.expected_loss) < 0.0005


def test_expected_loss_matches_its_definition() -> None:
    # E[max(pA, pB) - pA] = E[(pB - pA)+], checked against an independent draw of the posteriors.
    rng = np.random.default_rng(9)
    a, b = rng.beta(21, 181, 400_000), rng.beta(31, 171, 400_000)
    post = posterior([20, 30], [200, 200], draws=400_000, seed=10)
    assert post.expected_loss[0] == pytest.approx(np.maximum(b - a, 0).mean(), rel=0.03)
    assert post.expected_loss[1] == pytest.approx(np.maximum(a - b, 0).mean(), rel=0.05)
    assert post.alpha.tolist() == [21, 31]
    assert post.beta.tolist() == [181, 171]


def test_seeded_draws_repeat() -> None:
    one = posterior([20, 30], [200, 200], draws=1000, seed=5)
    two = posterior([20, 30], [200, 200], draws=1000, seed=5)
    assert one.prob_best.tolist() == two.prob_best.tolist()


def test_refusals() -> None:
    with pytest.raises(InvalidInput, match="prior"):
        posterior([1, 2], [10, 10], prior=(0.0, 1.0))
    with pytest.raises(InvalidInput, match="draws"):
        posterior([1, 2], [10, 10], draws=0)
    with pytest.raises(InvalidInput, match="clicks"):
        prob_b_beats_a(11, 10, 1, 10)
