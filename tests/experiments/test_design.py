"""Sample sizes checked against the power they claim: by the closed-form power and by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from newsdesk.errors import InvalidInput
from newsdesk.experiments import duration_days, sample_size


def power_at(n: int, p1: float, p2: float, alpha: float) -> float:
    """Power of the two-sided pooled z-test with ``n`` per arm (normal approximation, far tail ignored)."""
    pbar = (p1 + p2) / 2
    z_a = norm.ppf(1 - alpha / 2)
    num = abs(p2 - p1) * math.sqrt(n) - z_a * math.sqrt(2 * pbar * (1 - pbar))
    return float(norm.cdf(num / math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))))


@pytest.mark.parametrize(
    ("p1", "effect", "relative"), [(0.10, 0.02, False), (0.05, 0.10, True), (0.5, -0.1, False)]
)
def test_the_sample_size_is_the_smallest_reaching_the_power(p1: float, effect: float, relative: bool) -> None:
    plan = sample_size(p1, effect, relative=relative, power=0.8, alpha=0.05)
    p2 = p1 * (1 + effect) if relative else p1 + effect
    assert plan.treatment == pytest.approx(p2)
    assert power_at(plan.per_variant, p1, p2, 0.05) >= 0.8
    assert power_at(plan.per_variant - 1, p1, p2, 0.05) < 0.8
    assert plan.total == 2 * plan.per_variant


def test_the_textbook_value_for_ten_against_twelve_percent() -> None:
    # Fleiss' formula without continuity correction: 3,840.3 per group for 10% vs 12%, alpha 0.05, power 0.8.
    assert sample_size(0.10, 0.02).per_variant == 3841


def test_simulated_power_matches_the_target() -> None:
    plan = sample_size(0.10, 0.03, power=0.8)
    n = plan.per_variant
    rng = np.random.default_rng(7)
    a = rng.binomial(n, 0.10, size=4000)
    b = rng.binomial(n, 0.13, size=4000)
    pooled = (a + b) / (2 * n)
    z = (b - a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    assert np.mean(np.abs(z) > norm.ppf(0.975)) == pytest.approx(0.8, abs=0.03)


def test_k_variants_split_alpha_over_the_comparisons_with_control() -> None:
    two = sample_size(0.10, 0.02)
    four = sample_size(0.10, 0.02, variants=4)
    assert four.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert four.per_variant > two.per_variant
    assert four.total == 4 * four.per_variant
    assert power_at(four.per_variant, 0.10, 0.12, 0.05 / 3) >= 0.8


def test_duration_rounds_days_up() -> None:
    plan = sample_size(0.10, 0.02)  # 7,682 in total
    assert duration_days(plan, 1000) == 8
    assert duration_days(plan, 7682) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"baseline": 0.0, "effect": 0.01}, "baseline"),
        ({"baseline": 0.1, "effect": 0.0}, "effect"),
        ({"baseline": 0.95, "effect": 0.1}, "effect"),
        ({"baseline": 0.1, "effect": 0.01, "power": 1.0}, "power"),
        ({"baseline": 0.1, "effect": 0.01, "alpha": -0.1}, "alpha"),
        ({"baseline": 0.1, "effect": 0.01, "variants": 1}, "variants"),
    ],
)
def test_refusals_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        sample_size(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert field in str(err.value)


def test_duration_refuses_no_traffic() -> None:
    with pytest.raises(InvalidInput, match="daily_traffic"):
        duration_days(sample_size(0.1, 0.02), 0)
