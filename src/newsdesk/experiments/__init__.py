"""Headline and subject-line experiments: design, analysis, sequential tests and adaptive allocation.

The statistics (numpy and scipy do the numerics): :mod:`.design` sizes a test, :mod:`.analysis` reads a
fixed-horizon test, :mod:`.bayesian` gives the probability each variant is best, :mod:`.sequential` gives
p-values that stay valid under peeking (and chooses their prior spread from past tests), and :mod:`.bandit`
allocates traffic and assigns units stably. Experiments as data: :mod:`.model` (what an experiment is),
:mod:`.store` (the store protocol), :mod:`.service` (create, run, decide; audited), :mod:`.live` (the live
readout) and :mod:`.report` (its HTML page). What wins: :mod:`.headlines` and :mod:`.scoring`.

Names are loaded on first use, so importing the package costs nothing until a statistic is asked for.

>>> from newsdesk.experiments import sample_size, two_proportion_ztest
>>> sample_size(0.10, 0.02).per_variant
3841
>>> two_proportion_ztest(100, 1000, 130, 1000).p_value < 0.05
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from .bandit import RegretCurve, ReplayResult, ThompsonSampler, assign, regret_curve, replay
    from .bayesian import Posterior, posterior, prob_b_beats_a
    from .design import SampleSize, duration_days, sample_size
    from .live import ExperimentReadout, allocation_weights, read_experiment, variant_totals
    from .model import BucketCounts, Decision, Experiment, Guardrail, Variant, new_experiment
    from .report import render_report
    from .sequential import SequentialResult, TauEstimate, msprt, tau_from_differences, tau_from_history
    from .service import ExperimentService

_WHERE = {
    "analysis": (
        "ChiSquareResult CupedResult GuardrailResult PairwiseResult ZTestResult chi_square_test cuped "
        "guardrail holm pairwise_vs_reference two_proportion_ztest"
    ),
    "bandit": "RegretCurve ReplayResult ThompsonSampler assign regret_curve replay",
    "bayesian": "Posterior posterior prob_b_beats_a",
    "design": "SampleSize duration_days sample_size",
    "live": "ExperimentReadout allocation_weights read_experiment variant_totals",
    "model": "BucketCounts Decision Experiment Guardrail Variant new_experiment",
    "report": "render_report",
    "sequential": "SequentialResult TauEstimate msprt tau_from_differences tau_from_history",
    "service": "ExperimentService",
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names.split()}

__all__ = [
    "BucketCounts",
    "ChiSquareResult",
    "CupedResult",
    "Decision",
    "Experiment",
    "ExperimentReadout",
    "ExperimentService",
    "Guardrail",
    "GuardrailResult",
    "PairwiseResult",
    "Posterior",
    "RegretCurve",
    "ReplayResult",
    "SampleSize",
    "SequentialResult",
    "TauEstimate",
    "ThompsonSampler",
    "Variant",
    "ZTestResult",
    "allocation_weights",
    "assign",
    "chi_square_test",
    "cuped",
    "duration_days",
    "guardrail",
    "holm",
    "msprt",
    "new_experiment",
    "pairwise_vs_reference",
    "posterior",
    "prob_b_beats_a",
    "read_experiment",
    "regret_curve",
    "render_report",
    "replay",
    "sample_size",
    "tau_from_differences",
    "tau_from_history",
    "two_proportion_ztest",
    "variant_totals",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
