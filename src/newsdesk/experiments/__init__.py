"""Headline and subject-line experiments: design, analysis, sequential tests and adaptive allocation.

A pure library (numpy and scipy do the numerics): :mod:`.design` sizes a test, :mod:`.analysis` reads a
fixed-horizon test, :mod:`.bayesian` gives the probability each variant is best, :mod:`.sequential` gives
p-values that stay valid under peeking, and :mod:`.bandit` allocates traffic and assigns units stably.

>>> from newsdesk.experiments import sample_size, two_proportion_ztest
>>> sample_size(0.10, 0.02).per_variant
3841
>>> two_proportion_ztest(100, 1000, 130, 1000).p_value < 0.05
True
"""

from __future__ import annotations

from .analysis import (
    ChiSquareResult,
    CupedResult,
    GuardrailResult,
    PairwiseResult,
    ZTestResult,
    chi_square_test,
    cuped,
    guardrail,
    holm,
    pairwise_vs_reference,
    two_proportion_ztest,
)
from .bandit import ReplayResult, ThompsonSampler, assign, replay
from .bayesian import Posterior, posterior, prob_b_beats_a
from .design import SampleSize, duration_days, sample_size
from .sequential import SequentialResult, msprt

__all__ = [
    "ChiSquareResult",
    "CupedResult",
    "GuardrailResult",
    "PairwiseResult",
    "Posterior",
    "ReplayResult",
    "SampleSize",
    "SequentialResult",
    "ThompsonSampler",
    "ZTestResult",
    "assign",
    "chi_square_test",
    "cuped",
    "duration_days",
    "guardrail",
    "holm",
    "msprt",
    "pairwise_vs_reference",
    "posterior",
    "prob_b_beats_a",
    "replay",
    "sample_size",
    "two_proportion_ztest",
]
