"""Thompson sampling, its regret curve, and stable hash assignment."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.stats import chi2_contingency, chisquare

from newsdesk.errors import InvalidInput
from newsdesk.experiments import ThompsonSampler, assign, replay
from newsdesk.experiments.bandit import regret_curve

UNITS = [f"reader-{i}" for i in range(10_000)]


def test_assignment_is_deterministic() -> None:
    first = [assign("exp-a", u, ["x", "y", "z"]) for u in UNITS[:200]]
    assert first == [assign("exp-a", u, ["x", "y", "z"]) for u in UNITS[:200]]


def test_assignment_is_uniform() -> None:
    counts = Counter(assign("exp-a", u, [0, 1, 2, 3]) for u in UNITS)
    assert chisquare([counts[v] for v in range(4)]).pvalue > 0.001


def test_assignment_follows_weights() -> None:
    counts = Counter(assign("exp-a", u, ["a", "b", "c"], [0.7, 0.2, 0.1]) for u in UNITS)
    observed = [counts["a"], counts["b"], counts["c"]]
    assert chisquare(observed, [7000, 2000, 1000]).pvalue > 0.001
    assert all(assign("exp-a", u, ["a", "b"], [1, 0]) == "a" for u in UNITS[:500])


def test_assignments_are_independent_across_experiments() -> None:
    table = np.zeros((3, 3))
    for u in UNITS:
        table[assign("exp-a", u, [0, 1, 2]), assign("exp-b", u, [0, 1, 2])] += 1
    assert chi2_contingency(table)[1] > 0.001


def test_the_holdout_is_spread_evenly() -> None:
    sampler = ThompsonSampler(3, holdout=0.3, seed=1)
    sampler.update(np.array([0] * 1000 + [1] * 1000 + [2] * 1000), np.array([1] * 900 + [0] * 2100))
    arms = sampler.choose(20_000)
    share = np.bincount(arms, minlength=3) / arms.size
    # Arm 0 is best with near certainty: it gets the exploit share plus a third of the holdout.
    assert share[1] == pytest.approx(0.1, abs=0.01) and share[2] == pytest.approx(0.1, abs=0.01)
    assert share[0] == pytest.approx(0.8, abs=0.01)


def test_the_stop_rule_waits_for_the_minimum_sample() -> None:
    sampler = ThompsonSampler(2, seed=2)
    sampler.update(np.array([0] * 100 + [1] * 100), np.array([1] * 90 + [0] * 110))
    assert sampler.prob_best()[0] > 0.99
    assert not sampler.should_stop(0.95, min_samples=101)
    assert sampler.should_stop(0.95, min_samples=100)


def test_replay_gains_clicks_and_finds_the_best_arm() -> None:
    results = [replay([0.02, 0.025, 0.035], impressions=30_000, seed=s) for s in range(10)]
    assert sum(r.best_identified for r in results) >= 9
    # An oracle gains 30,000 * (0.035 - 0.0267) = 250 clicks; Thompson sampling keeps most of that.
    assert np.mean([r.clicks_gained for r in results]) > 100
    assert all(r.impressions_used <= 30_000 for r in results)


def test_replay_is_seeded() -> None:
    assert replay([0.02, 0.03], impressions=5000, seed=4) == replay([0.02, 0.03], impressions=5000, seed=4)


def test_refusals() -> None:
    with pytest.raises(InvalidInput, match="n_arms"):
        ThompsonSampler(1)
    with pytest.raises(InvalidInput, match="holdout"):
        ThompsonSampler(2, holdout=1.5)
    with pytest.raises(InvalidInput, match="weights"):
        assign("e", "u", ["a", "b"], [1.0])
    with pytest.raises(InvalidInput, match="variants"):
        assign("e", "u", [])
    with pytest.raises(InvalidInput, match="true_rates"):
        replay([0.1])


def test_regret_grows_slower_than_the_even_split() -> None:
    curves = [regret_curve([0.02, 0.025, 0.035], impressions=30_000, seed=s) for s in range(5)]
    thompson = np.mean([c.thompson for c in curves], axis=0)
    even = curves[0].even
    assert even[-1] == pytest.approx(30_000 * (0.035 - (0.02 + 0.025 + 0.035) / 3))
    assert np.all(np.diff(thompson) >= 0)
    assert thompson[-1] < 0.35 * even[-1]
    # Sublinear: the second half of the stream loses fewer clicks than the first.
    half = thompson.size // 2
    assert thompson[-1] - thompson[half - 1] < thompson[half - 1]


def test_regret_with_equal_arms_is_zero() -> None:
    c = regret_curve([0.03, 0.03], impressions=1000, seed=1)
    assert np.all(c.thompson == 0) and c.impressions.tolist() == list(range(100, 1001, 100))
