"""Experiment design: how many units each variant needs to detect a given effect on a rate.

The normal approximation for two proportions (two-sided, unpooled variance under the alternative, pooled
under the null, no continuity correction). With ``k`` variants each treatment is compared with the control,
so alpha is split over ``k - 1`` comparisons (Bonferroni, the first step of Holm's procedure).

>>> plan = sample_size(0.10, 0.02, power=0.8, alpha=0.05)
>>> plan.per_variant, plan.total
(3841, 7682)
>>> duration_days(plan, daily_traffic=1000)
8
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

from newsdesk.errors import InvalidInput

from ._checks import positive, probability

__all__ = ["SampleSize", "duration_days", "sample_size"]


@dataclass(frozen=True)
class SampleSize:
    """Units needed per variant and in total, with the rates and the per-comparison alpha used."""

    per_variant: int
    total: int
    variants: int
    baseline: float
    treatment: float
    alpha_per_comparison: float
    power: float


def sample_size(
    baseline: float,
    effect: float,
    *,
    relative: bool = False,
    power: float = 0.8,
    alpha: float = 0.05,
    variants: int = 2,
) -> SampleSize:
    """Units per variant to detect ``effect`` over ``baseline`` (absolute, or a relative lift when
    ``relative``) with the given power, two-sided at ``alpha`` split over ``variants - 1`` comparisons.

    >>> sample_size(0.05, 0.10, relative=True).treatment
    0.055
    >>> sample_size(0.10, 0.02, variants=3).alpha_per_comparison
    0.025
    """
    p1 = probability("baseline", baseline)
    power = probability("power", power)
    alpha = probability("alpha", alpha)
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 2:
        raise InvalidInput("variants", variants, "an integer >= 2")
    if not math.isfinite(effect) or effect == 0:
        raise InvalidInput("effect", effect, "a finite non-zero effect")
    p2 = p1 * (1 + effect) if relative else p1 + effect
    p2 = round(p2, 12)
    if not 0 < p2 < 1:
        raise InvalidInput(
            "effect", effect, f"an effect keeping the treatment rate in (0, 1) over baseline {p1}"
        )
    a = alpha / (variants - 1)
    z_a = float(norm.ppf(1 - a / 2))
    z_b = float(norm.ppf(power))
    pbar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    n = math.ceil(root**2 / (p2 - p1) ** 2)
    return SampleSize(n, n * variants, variants, p1, p2, a, power)


def duration_days(plan: SampleSize, daily_traffic: float) -> int:
    """Whole days for ``daily_traffic`` units a day (split over every variant) to reach ``plan.total``."""
    traffic = positive("daily_traffic", daily_traffic)
    return math.ceil(plan.total / traffic)
