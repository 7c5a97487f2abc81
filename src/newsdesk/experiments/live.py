"""Reading a running experiment out from its hourly bucket counts, and Thompson-sampling allocation weights.

:func:`read_experiment` puts every analysis of the library side by side for one experiment:

- per variant totals, the rate and its Wilson interval;
- the fixed-horizon tests (a z-test against the control with two variants; a chi-square test and
  Holm-corrected z-tests of every treatment against the control with more), valid only read once at the
  planned size;
- the Bayesian probability each variant is best and the expected loss of shipping it;
- the mSPRT of each treatment against the control over the cumulative hourly buckets: an always-valid
  p-value and confidence sequence per bucket, at ``experiment.alpha`` split over the treatments (Bonferroni),
  with ``experiment.tau``, so that reading it every hour is safe;
- each guardrail of each treatment: non-inferiority against the control (``pass``), a harm larger than the
  tolerance shown (``fail``), or neither yet (``inconclusive``);
- progress towards the planned size, and a recommendation from the sequential test and the guardrails.

>>> from datetime import UTC, datetime
>>> from newsdesk.experiments.model import BucketCounts, new_experiment
>>> e = new_experiment(kind="headline", name="t", variants=["x", "y"], owner="ana", experiment_id="e1")
>>> at = datetime(2026, 12, 3, 10, tzinfo=UTC)
>>> r = read_experiment(e, [BucketCounts("e1", "A", at, 20000, 400), BucketCounts("e1", "B", at, 20000, 520)])
>>> r.recommendation.summary, r.sequential[0].rejected
('stop: B wins', True)
>>> read_experiment(e, []).recommendation.summary
'no data yet'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy.stats import norm

from newsdesk.errors import InvalidInput

from .analysis import chi_square_test, guardrail, pairwise_vs_reference, two_proportion_ztest
from .bayesian import posterior
from .model import BucketCounts, Experiment, Guardrail
from .sequential import msprt

__all__ = [
    "COMPONENT",
    "Comparison",
    "ExperimentReadout",
    "FixedHorizon",
    "GuardrailCheck",
    "Recommendation",
    "SequentialLook",
    "SequentialTrack",
    "VariantTotals",
    "allocation_weights",
    "read_experiment",
    "variant_totals",
    "wilson_interval",
]

NO_DATA = "no data yet"
#: recorded on every readout, with the hash of its inputs, so a decision taken from it can be traced
COMPONENT = "newsdesk.experiments.live.v1"


@dataclass(frozen=True)
class VariantTotals:
    """One variant's traffic so far: its rate with a Wilson interval, and (once every variant has traffic)
    the posterior probability that it is best and the expected loss of shipping it."""

    key: str
    text: str
    trials: int
    successes: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    guardrails: Mapping[str, int] = field(default_factory=dict)
    prob_best: float | None = None
    expected_loss: float | None = None


@dataclass(frozen=True)
class Comparison:
    """A treatment against the control in the fixed-horizon test."""

    variant: str
    difference: float
    lift: float | None
    p_value: float
    p_adjusted: float
    ci_low: float
    ci_high: float
    significant: bool


@dataclass(frozen=True)
class FixedHorizon:
    """The fixed-horizon test: ``z-test`` for two variants, ``chi-square`` (then Holm) for more."""

    test: str
    statistic: float
    p_value: float
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True)
class SequentialLook:
    """The mSPRT after one hourly bucket (cumulative counts)."""

    bucket: datetime
    trials_control: int
    trials_treatment: int
    difference: float
    p_value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class SequentialTrack:
    """The mSPRT of one treatment against the control, bucket by bucket, at ``alpha`` (the experiment's,
    split over the treatments); ``rejected`` once the always-valid p-value reached it."""

    variant: str
    alpha: float
    looks: tuple[SequentialLook, ...]
    p_value: float
    ci_low: float
    ci_high: float
    rejected: bool


@dataclass(frozen=True)
class GuardrailCheck:
    """One guardrail of one treatment against the control: ``pass``, ``fail``, ``inconclusive`` or
    ``no data yet``."""

    variant: str
    name: str
    higher_is_better: bool
    tolerance: float
    control_rate: float | None
    treatment_rate: float | None
    margin: float | None
    p_value: float | None
    status: str


@dataclass(frozen=True)
class Recommendation:
    """``keep running`` or ``stop``, the variant to ship when stopping on a winner, one line, and why."""

    action: str
    variant: str | None
    summary: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ExperimentReadout:
    """Everything :func:`read_experiment` found; ``to_dict`` is JSON-ready (infinities become None)."""

    experiment_id: str
    as_of: datetime
    alpha: float
    tau: float
    variants: tuple[VariantTotals, ...]
    fixed_horizon: FixedHorizon | None
    sequential: tuple[SequentialTrack, ...]
    guardrails: tuple[GuardrailCheck, ...]
    planned_size: int | None
    progress: float | None  # the least-trafficked variant's share of the planned size
    recommendation: Recommendation
    notes: tuple[str, ...] = ()
    component: str = COMPONENT
    input_hash: str = ""  # sha256 of the experiment's settings and the buckets read

    @property
    def total_trials(self) -> int:
        return sum(v.trials for v in self.variants)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _jsonable(asdict(self))
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    return value


def wilson_interval(successes: int, trials: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """The Wilson score interval for a rate (well-behaved at 0 and 1 successes, unlike the Wald interval).

    >>> [round(x, 4) for x in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise InvalidInput("trials", (successes, trials), "trials >= 1 and 0 <= successes <= trials")
    z = float(norm.ppf(1 - alpha / 2))
    p = successes / trials
    denom = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def variant_totals(experiment: Experiment, buckets: Sequence[BucketCounts]) -> dict[str, tuple[int, int]]:
    """``{variant key: (trials, successes)}`` summed over ``buckets``, every variant present (zeros when it
    has no traffic)."""
    totals = {k: (0, 0) for k in experiment.keys}
    for b in _checked(experiment, buckets):
        n, c = totals[b.variant]
        totals[b.variant] = (n + b.trials, c + b.successes)
    return totals


def _checked(experiment: Experiment, buckets: Sequence[BucketCounts]) -> Sequence[BucketCounts]:
    keys = set(experiment.keys)
    for i, b in enumerate(buckets):
        if b.experiment_id != experiment.id:
            raise InvalidInput(
                f"buckets[{i}].experiment_id", b.experiment_id, f"this experiment's ({experiment.id})"
            )
        if b.variant not in keys:
            raise InvalidInput(f"buckets[{i}].variant", b.variant, f"one of {', '.join(experiment.keys)}")
        if b.trials < 0 or not 0 <= b.successes <= b.trials:
            raise InvalidInput(
                f"buckets[{i}]", (b.trials, b.successes), "trials >= 0, 0 <= successes <= trials"
            )
    return buckets


def allocation_weights(
    experiment: Experiment, totals: Mapping[str, tuple[int, int]], *, draws: int = 20_000
) -> list[float]:
    """Traffic shares per variant (in ``experiment.keys`` order) for the assign route.

    An even split for ``allocation == "even"``, and for Thompson sampling until every variant has traffic;
    then the holdout share spread evenly and the rest by each variant's posterior probability of being best
    (seeded, so the same counts give the same weights). ``totals`` maps a key to ``(trials, successes)``.

    >>> from newsdesk.experiments.model import new_experiment
    >>> e = new_experiment(kind="headline", name="t", variants=["x", "y"], owner="a", allocation="thompson")
    >>> allocation_weights(e, {"A": (0, 0), "B": (0, 0)})
    [0.5, 0.5]
    >>> [round(w, 2) for w in allocation_weights(e, {"A": (5000, 100), "B": (5000, 200)})]
    [0.05, 0.95]
    """
    k = len(experiment.variants)
    counts = [totals.get(key, (0, 0)) for key in experiment.keys]
    if experiment.allocation != "thompson" or any(n < 1 for n, _ in counts):
        return [1.0 / k] * k
    post = posterior([c for _, c in counts], [n for n, _ in counts], draws=draws, seed=0)
    hold = experiment.holdout
    return [hold / k + (1 - hold) * float(p) for p in post.prob_best]


def read_experiment(
    experiment: Experiment, buckets: Sequence[BucketCounts], *, now: datetime | None = None
) -> ExperimentReadout:
    """The readout of ``experiment`` from its hourly ``buckets`` up to ``now`` (later buckets are left out).
    See the module docstring for what it holds; a variant without traffic reads "no data yet"."""
    as_of = now or datetime.now(UTC)
    if as_of.tzinfo is None:
        raise InvalidInput("now", as_of.isoformat(), "a time with a time zone")
    seen = [b for b in _checked(experiment, buckets) if b.bucket <= as_of]
    notes: list[str] = []
    if len(seen) < len(buckets):
        notes.append(f"{len(buckets) - len(seen)} bucket(s) after {as_of.isoformat()} left out")
    variants = _variants(experiment, seen)
    empty = [v.key for v in variants if v.trials == 0]
    if empty:
        notes.append(f"{NO_DATA} for {', '.join(empty)}")
    fixed = _fixed_horizon(experiment, variants)
    sequential = _sequential(experiment, seen) if variants[0].trials else ()
    rails = tuple(
        _guardrail_check(variants[0], v, g, experiment.alpha)
        for v in variants[1:]
        for g in experiment.guardrails
    )
    progress = None
    if experiment.planned_size:
        progress = min(v.trials for v in variants) / experiment.planned_size
    return ExperimentReadout(
        experiment_id=experiment.id,
        as_of=as_of,
        alpha=experiment.alpha,
        tau=experiment.tau,
        variants=variants,
        fixed_horizon=fixed,
        sequential=sequential,
        guardrails=rails,
        planned_size=experiment.planned_size,
        progress=progress,
        recommendation=_recommend(experiment, variants, sequential, rails, progress),
        notes=tuple(notes),
        input_hash=_input_hash(experiment, seen),
    )


def _input_hash(experiment: Experiment, buckets: Sequence[BucketCounts]) -> str:
    settings = {k: v for k, v in experiment.to_dict().items() if k not in ("status", "winner", "stopped_at")}
    rows = sorted(json.dumps(b.to_dict(), sort_keys=True) for b in buckets)
    payload = json.dumps({"experiment": settings, "buckets": rows}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _variants(experiment: Experiment, buckets: Sequence[BucketCounts]) -> tuple[VariantTotals, ...]:
    trials: dict[str, int] = defaultdict(int)
    successes: dict[str, int] = defaultdict(int)
    rails: dict[str, dict[str, int]] = {
        k: dict.fromkeys((g.name for g in experiment.guardrails), 0) for k in experiment.keys
    }
    for b in buckets:
        trials[b.variant] += b.trials
        successes[b.variant] += b.successes
        for name, count in b.guardrails.items():
            rails[b.variant][name] = rails[b.variant].get(name, 0) + int(count)
    probs: list[float | None] = [None] * len(experiment.variants)
    losses: list[float | None] = [None] * len(experiment.variants)
    if all(trials[k] > 0 for k in experiment.keys):
        post = posterior(
            [successes[k] for k in experiment.keys], [trials[k] for k in experiment.keys], seed=0
        )
        probs = [float(p) for p in post.prob_best]
        losses = [float(x) for x in post.expected_loss]
    out = []
    for i, v in enumerate(experiment.variants):
        n, c = trials[v.key], successes[v.key]
        low, high = wilson_interval(c, n, alpha=experiment.alpha) if n else (None, None)
        out.append(
            VariantTotals(
                v.key, v.text, n, c, c / n if n else None, low, high, rails[v.key], probs[i], losses[i]
            )
        )
    return tuple(out)


def _fixed_horizon(experiment: Experiment, variants: tuple[VariantTotals, ...]) -> FixedHorizon | None:
    if any(v.trials == 0 for v in variants):
        return None
    clicks = [v.successes for v in variants]
    trials = [v.trials for v in variants]
    alpha = experiment.alpha
    if len(variants) == 2:
        z = two_proportion_ztest(clicks[0], trials[0], clicks[1], trials[1], alpha=alpha)
        lift = z.lift if math.isfinite(z.lift) else None
        comp = Comparison(
            variants[1].key, z.difference, lift, z.p_value, z.p_value, z.ci_low, z.ci_high, z.p_value <= alpha
        )
        return FixedHorizon("z-test", z.z, z.p_value, (comp,))
    chi = chi_square_test(clicks, trials)
    comps = []
    for pair in pairwise_vs_reference(clicks, trials, reference=0, alpha=alpha):
        t = pair.test
        lift = t.lift if math.isfinite(t.lift) else None
        comps.append(
            Comparison(
                variants[pair.variant].key,
                t.difference,
                lift,
                t.p_value,
                pair.p_adjusted,
                t.ci_low,
                t.ci_high,
                pair.significant,
            )
        )
    return FixedHorizon("chi-square", chi.statistic, chi.p_value, tuple(comps))


def _sequential(experiment: Experiment, buckets: Sequence[BucketCounts]) -> tuple[SequentialTrack, ...]:
    times = sorted({b.bucket for b in buckets})
    index = {t: i for i, t in enumerate(times)}
    keys = experiment.keys
    n = np.zeros((len(keys), len(times)), dtype=np.int64)
    c = np.zeros_like(n)
    row = {k: i for i, k in enumerate(keys)}
    for b in buckets:
        n[row[b.variant], index[b.bucket]] += b.trials
        c[row[b.variant], index[b.bucket]] += b.successes
    n, c = n.cumsum(axis=1), c.cumsum(axis=1)
    alpha = experiment.alpha / (len(keys) - 1)
    tracks = []
    for j in range(1, len(keys)):
        live = (n[0] > 0) & (n[j] > 0)  # looks from the first bucket where both arms have traffic
        if not live.any():
            continue
        r = msprt(c[0][live], n[0][live], c[j][live], n[j][live], tau=experiment.tau, alpha=alpha)
        at = [t for t, ok in zip(times, live, strict=True) if ok]
        looks = tuple(
            SequentialLook(t, int(na), int(nb), float(d), float(p), float(lo), float(hi))
            for t, na, nb, d, p, lo, hi in zip(
                at, n[0][live], n[j][live], r.difference, r.p_values, r.ci_low, r.ci_high, strict=True
            )
        )
        last = looks[-1]
        tracks.append(
            SequentialTrack(
                keys[j], alpha, looks, last.p_value, last.ci_low, last.ci_high, last.p_value <= alpha
            )
        )
    return tuple(tracks)


def _guardrail_check(
    control: VariantTotals, treatment: VariantTotals, rail: Guardrail, alpha: float
) -> GuardrailCheck:
    def result(
        status: str,
        rc: float | None = None,
        rt: float | None = None,
        margin: float | None = None,
        p: float | None = None,
    ) -> GuardrailCheck:
        return GuardrailCheck(
            treatment.key, rail.name, rail.higher_is_better, rail.tolerance, rc, rt, margin, p, status
        )

    if control.trials == 0 or treatment.trials == 0:
        return result(NO_DATA)
    xc, xt = control.guardrails.get(rail.name, 0), treatment.guardrails.get(rail.name, 0)
    if not (0 <= xc <= control.trials and 0 <= xt <= treatment.trials):
        raise InvalidInput(f"guardrails.{rail.name}", (xc, xt), "counts between 0 and the variant's trials")
    rc, rt = xc / control.trials, xt / treatment.trials
    if rail.higher_is_better:
        if xc == 0:
            return result(NO_DATA, rc, rt)
        g = guardrail(xc, control.trials, xt, treatment.trials, tolerance=rail.tolerance, alpha=alpha)
    else:
        # A rate that must not rise by more than tolerance (relative): the complementary rate must not
        # drop by more than tolerance * the control's rate (absolute).
        if xc == 0:
            return result(NO_DATA, rc, rt)
        g = guardrail(
            control.trials - xc,
            control.trials,
            treatment.trials - xt,
            treatment.trials,
            tolerance=rail.tolerance * rc,
            relative=False,
            alpha=alpha,
        )
    # passed: a worsening beyond the margin is rejected; fail: a worsening beyond it is shown (one-sided).
    status = "pass" if g.passed else "fail" if g.p_value >= 1 - alpha else "inconclusive"
    return result(status, rc, rt, g.margin, g.p_value)


def _recommend(
    experiment: Experiment,
    variants: tuple[VariantTotals, ...],
    sequential: tuple[SequentialTrack, ...],
    rails: tuple[GuardrailCheck, ...],
    progress: float | None,
) -> Recommendation:
    if all(v.trials == 0 for v in variants):
        return Recommendation("keep running", None, NO_DATA, ("no traffic yet",))
    empty = [v.key for v in variants if v.trials == 0]
    if empty:
        return Recommendation("keep running", None, "keep running", (f"{NO_DATA} for {', '.join(empty)}",))
    reasons: list[str] = []
    failing = {c.variant for c in rails if c.status == "fail"}
    unsafe = {c.variant for c in rails if c.status != "pass"}
    for c in rails:
        if c.status == "fail":
            reasons.append(f"{c.variant} harms guardrail {c.name} beyond its tolerance ({c.tolerance:g})")
    better = [t for t in sequential if t.rejected and t.ci_low > 0]
    worse = [t for t in sequential if t.rejected and t.ci_high < 0]
    rate = {v.key: v.rate or 0.0 for v in variants}
    control = variants[0].key
    winners = sorted((t for t in better if t.variant not in unsafe), key=lambda t: -rate[t.variant])
    if winners:
        best = winners[0]
        reasons.append(
            f"{best.variant} beats {control}: always-valid p = {best.p_value:.3g}, difference in "
            f"[{best.ci_low:+.4f}, {best.ci_high:+.4f}]"
        )
        return Recommendation("stop", best.variant, f"stop: {best.variant} wins", tuple(reasons))
    for t in better:
        if t.variant not in failing:
            reasons.append(f"{t.variant} leads {control} but its guardrails are not yet shown safe")
    treatments = {v.key for v in variants[1:]}
    lost = {t.variant for t in worse} | failing
    if lost == treatments:
        reasons.append(f"every treatment is worse than {control} or harms a guardrail")
        return Recommendation("stop", control, f"stop: {control} wins", tuple(reasons))
    if progress is not None and progress >= 1 and not better:
        reasons.append("planned size reached without a difference")
        return Recommendation("stop", None, "stop: no difference", tuple(reasons))
    if progress is not None:
        reasons.append(f"{progress:.0%} of the planned size")
    return Recommendation(
        "keep running", None, "keep running", tuple(reasons) or ("no difference shown yet",)
    )
