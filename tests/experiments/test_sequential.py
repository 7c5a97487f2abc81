"""mSPRT: the mixture likelihood ratio by integration, the A/A false positive rate under peeking, and tau
chosen from past tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from newsdesk.errors import InvalidInput
from newsdesk.experiments import msprt
from newsdesk.experiments.sequential import tau_from_differences, tau_from_history

LOOKS, PER_LOOK, STREAMS, RATE = 50, 100, 200, 0.1


def test_the_p_value_is_one_over_the_mixture_likelihood_ratio() -> None:
    ca, na, cb, nb, tau = 480, 5000, 540, 5000, 0.01
    r = msprt([ca], [na], [cb], [nb], tau=tau)
    pa, pb = ca / na, cb / nb
    d, sd = pb - pa, np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    mixed = quad(lambda t: norm.pdf(d, t, sd) * norm.pdf(t, 0, tau), -0.2, 0.2, points=[0, d], limit=200)[0]
    assert r.p_values[0] == pytest.approx(min(1.0, norm.pdf(d, 0, sd) / mixed), rel=1e-6)
    # The interval holds exactly the differences that the same test would not reject at alpha.
    for edge in (r.ci_low[0], r.ci_high[0]):
        at_edge = quad(
            lambda t, e=edge: norm.pdf(d, t, sd) * norm.pdf(t, e, tau), -0.3, 0.3, points=[d], limit=200
        )[0]
        assert norm.pdf(d, edge, sd) / at_edge == pytest.approx(0.05, rel=1e-4)


def streams(rate_b: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.binomial(PER_LOOK, RATE, size=(STREAMS, LOOKS)).cumsum(axis=1)
    b = rng.binomial(PER_LOOK, rate_b, size=(STREAMS, LOOKS)).cumsum(axis=1)
    n = PER_LOOK * np.arange(1, LOOKS + 1)
    return a, b, n


def test_peeking_at_every_look_keeps_the_false_positive_rate() -> None:
    a, b, n = streams(RATE, seed=21)
    sequential = np.mean([msprt(a[i], n, b[i], n, tau=0.02).p_values[-1] <= 0.05 for i in range(STREAMS)])
    pooled = (a + b) / (2 * n)
    z = (b - a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    naive = np.mean((np.abs(z) > norm.ppf(0.975)).any(axis=1))
    margin = 2 * np.sqrt(0.05 * 0.95 / STREAMS)  # two Monte Carlo standard errors
    assert sequential <= 0.05 + margin
    assert naive > 0.05 + 2 * margin  # the fixed-horizon test with peeking is far above alpha (about 0.3)


def test_a_real_effect_is_found_and_covered() -> None:
    a, b, n = streams(0.13, seed=22)
    results = [msprt(a[i], n, b[i], n, tau=0.02) for i in range(STREAMS)]
    assert np.mean([r.first_rejection() is not None for r in results]) > 0.9
    assert np.mean([(r.ci_low <= 0.03).all() and (r.ci_high >= 0.03).all() for r in results]) >= 0.95 - 0.03


def test_the_sequence_is_monotone() -> None:
    a, b, n = streams(RATE, seed=23)
    r = msprt(a[0], n, b[0], n)
    assert np.all(np.diff(r.p_values) <= 0)
    assert np.all(np.diff(r.ci_low) >= 0) and np.all(np.diff(r.ci_high) <= 0)


def test_no_clicks_yet_says_nothing() -> None:
    r = msprt([0, 5], [10, 100], [0, 9], [10, 100])
    assert r.p_values[0] == 1.0 and np.isinf(r.ci_high[0])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (([5, 4], [10, 20], [5, 6], [10, 20]), "clicks_a"),
        (([5, 6], [10, 20], [11, 12], [10, 20]), "clicks"),
        (([0, 6], [0, 20], [0, 6], [0, 20]), "impressions"),
        (([5, 6], [10, 20], [5], [10]), "impressions_b"),
    ],
)
def test_refusals(args: tuple[list[int], ...], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        msprt(*args)
    assert err.value.field == field


@pytest.mark.parametrize("method", ["mle", "moments"])
def test_tau_with_equal_noise_is_the_excess_spread(method: str) -> None:
    d = np.array([0.012, -0.004, 0.02, -0.015, 0.001, 0.007])
    v = 2e-5
    est = tau_from_differences(d, np.full(d.size, v), method=method)
    assert est.tau == pytest.approx(np.sqrt(np.mean(d**2) - v), rel=1e-4)
    assert est.comparisons == 6 and est.noise_sd == pytest.approx(np.sqrt(v))


def test_tau_is_the_floor_when_noise_explains_everything() -> None:
    est = tau_from_differences([0.001, -0.001], [1e-4, 1e-4], floor=2e-4)
    assert est.tau == 2e-4


def test_tau_is_recovered_from_simulated_tests() -> None:
    rng = np.random.default_rng(5)
    tests = 3000
    base = rng.uniform(0.01, 0.03, tests)
    true_diff = rng.normal(0, 0.004, tests)
    n = rng.integers(2000, 20_000, tests)
    ca = rng.binomial(n, base)
    cb = rng.binomial(n, np.clip(base + true_diff, 0, 1))
    est = tau_from_history(np.c_[ca, cb].tolist(), np.c_[n, n].tolist())
    assert est.tau == pytest.approx(0.004, rel=0.1)
    # The raw spread of observed differences overstates tau: it carries the sampling noise.
    assert est.observed_sd > est.tau * 1.1


def test_tau_from_history_compares_every_variant_with_the_control() -> None:
    est = tau_from_history([[10, 20, 30], [0, 0]], [[100, 100, 100], [50, 50]], method="moments")
    # The test without clicks has no sampling variance and is left out.
    assert est.comparisons == 2
    d = np.array([0.1, 0.2])
    v = np.array([0.1 * 0.9 / 100 + 0.2 * 0.8 / 100, 0.1 * 0.9 / 100 + 0.3 * 0.7 / 100])
    assert est.tau == pytest.approx(np.sqrt(np.mean(d**2 - v)))


def test_tau_refusals() -> None:
    with pytest.raises(InvalidInput, match="method"):
        tau_from_differences([0.1], [0.01], method="median")
    with pytest.raises(InvalidInput, match="variances"):
        tau_from_differences([0.1, 0.2], [0.01])
    with pytest.raises(InvalidInput, match=r"clicks\[0\]"):
        tau_from_history([[1]], [[10]])
    with pytest.raises(InvalidInput, match="clicks"):
        tau_from_history([[0, 0]], [[10, 10]])
