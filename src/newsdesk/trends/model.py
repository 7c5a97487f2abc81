"""What is rising: a gamma-Poisson (negative-binomial) surprise of each key's recent count against its own
baseline, with the archive's volume and the key's weekday profile as exposure.

The model
---------
For a key ``k`` (a topic, an entity, a phrase), the number of articles mentioning it in an hour ``h`` is
Poisson with mean ``N[h] * f_k(weekday(h)) * lam_k``:

- ``N[h]``, the number of articles published that hour, is the *exposure*: the weekly and daily rhythm of
  the whole newsroom (quiet weekends, a busy Monday morning) moves every key's expectation with it, so a
  key does not trend because Monday is busy.
- ``f_k(d)``, the key's own weekday profile (a weekly release on Thursdays, football on Saturdays), is its
  share of mentions on weekday ``d`` over the baseline divided by that weekday's share of articles, shrunk
  towards 1 with ``seasonal_strength`` pseudo-mentions, so a key seen a few times has a flat profile and a
  regular weekly key expects its own peak day.
- ``lam_k``, the key's rate per article, is unknown. Its prior is a gamma distribution fitted by the method
  of moments to the baseline rates of all the keys of the same kind (empirical Bayes; the Poisson noise of
  each rate is subtracted from their spread). The baseline's counts update it: the posterior is
  ``Gamma(a + C_k, b + N_B)`` for ``C_k`` mentions among ``N_B`` baseline articles.

The window's count is then negative binomial (the gamma-Poisson predictive), and the key's **surprise** is
``-log10 P(X >= observed)``. A key is a trend when its window count is at least ``min_count``, at least
``min_ratio`` times what was expected, and its tail probability stays under ``alpha`` after a Bonferroni
correction over the keys tested (so ``surprise >= log10(keys) - log10(alpha)``). Trends rank by surprise.

Why this model
--------------
- Small counts: a key seen twice last month and four times today is judged by exact count probabilities,
  not a z-score that assumes normal counts; and the prior keeps a key with no history from exploding (its
  expected rate is the typical rate of its kind, uncertain, hence a heavy negative-binomial tail) while still
  letting a genuinely new name that many articles carry rank high (a story breaking).
- Weekly seasonality: exposure absorbs the newsroom's rhythm, the shrunk weekday profile a key's own.
- Cheap and incremental: the sufficient statistics are counts per hour, and scoring a key reads its sparse
  series once. Kleinberg's burst automaton was the alternative; it finds burst *intervals* well after the
  fact, but needs a state sequence per key and a chosen rate ladder, and says less about "is this rising
  now against its usual level" than a predictive tail probability does.

Gaps: the gamma-Poisson tail of a very common key is nearly Poisson and ignores day-to-day over-dispersion
beyond its weekday profile, which ``min_ratio`` guards against; hour-of-day profiles per key are not
modelled (the window is usually a day).

>>> from newsdesk.trends.series import HourlyCounts
>>> table = HourlyCounts()
>>> for h in range(24 * 14):
...     table.add_total(h, 20)
...     table.add_count(h, "weather", 2)
>>> for h in range(24 * 13, 24 * 14):
...     table.add_count(h, "storm", 3)
>>> [t.key for t in score(table, 24 * 14, TrendSpec(window_hours=24, baseline_hours=24 * 13))]
['storm']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsdesk.errors import InvalidInput
from newsdesk.trends.series import HourlyCounts, weekday

__all__ = ["Prior", "Scored", "TrendSpec", "fit_prior", "nb_tail", "score", "weekday_factors"]


@dataclass(frozen=True)
class TrendSpec:
    """How trends are found: the recent ``window_hours`` against the ``baseline_hours`` before them."""

    window_hours: int = 24
    baseline_hours: int = 28 * 24
    min_count: int = 3
    min_ratio: float = 2.0
    alpha: float = 0.01  # family-wise level over the keys tested (Bonferroni)
    seasonal_strength: float = 20.0  # pseudo-mentions shrinking a key's weekday profile to flat

    def __post_init__(self) -> None:
        for name in ("window_hours", "baseline_hours", "min_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidInput(name, value, "an integer >= 1")
        if not self.min_ratio >= 1.0:
            raise InvalidInput("min_ratio", self.min_ratio, "a number >= 1")
        if not 0.0 < self.alpha < 1.0:
            raise InvalidInput("alpha", self.alpha, "a number between 0 and 1")
        if not self.seasonal_strength >= 0.0:
            raise InvalidInput("seasonal_strength", self.seasonal_strength, "a number >= 0")


@dataclass(frozen=True)
class Prior:
    """A gamma prior over a key's rate per article: ``shape`` and ``rate`` (mean ``shape / rate``)."""

    shape: float
    rate: float


@dataclass(frozen=True)
class Scored:
    """One key's window against its baseline."""

    key: str
    count: int  # articles mentioning it in the window
    expected: float  # the predictive mean
    baseline: int  # articles mentioning it in the baseline
    p_value: float  # P(X >= count) under the predictive
    surprise: float  # -log10(p_value)

    @property
    def ratio(self) -> float:
        """Observed over expected (expected floored at 0.01)."""
        return self.count / max(self.expected, 0.01)


def fit_prior(counts: Sequence[int], exposure: float) -> Prior:
    """Gamma prior over per-article rates by the method of moments: ``counts`` are the keys' baseline counts
    among ``exposure`` articles. The Poisson part of the spread is removed; the rest floors at a shape of
    100 (keys nearly alike) and at 0.01.

    >>> p = fit_prior([0, 1, 2, 10, 40], 1000.0)
    >>> round(p.shape / p.rate, 4)  # the mean rate
    0.0106
    """
    if exposure <= 0 or not counts:
        raise InvalidInput("exposure", exposure, "a positive number of baseline articles and some keys")
    rates = [c / exposure for c in counts]
    mean = sum(rates) / len(rates)
    if mean <= 0:
        mean = 0.5 / (exposure * len(rates))  # nothing seen: half a mention spread over the keys
    spread = sum((r - mean) ** 2 for r in rates) / len(rates) - mean / exposure
    spread = max(spread, mean * mean / 100.0)
    shape = max(mean * mean / spread, 0.01)
    return Prior(shape=shape, rate=shape / mean)


def nb_tail(observed: int, shape: float, rate: float, exposure: float) -> float:
    """``P(X >= observed)`` for ``X ~ Poisson(lam * exposure)``, ``lam ~ Gamma(shape, rate)``: the negative
    binomial with ``r = shape`` and ``p = rate / (rate + exposure)``, whose tail is the regularised
    incomplete beta ``I_{1-p}(observed, r)``.

    >>> round(nb_tail(3, 1000.0, 1000.0, 1.0), 3)  # nearly Poisson(1): P(X >= 3)
    0.08
    """
    if observed <= 0:
        return 1.0
    if exposure <= 0:
        return 0.0
    from scipy.special import betainc

    q = exposure / (rate + exposure)
    return float(betainc(float(observed), float(shape), q))


def weekday_factors(
    series: Mapping[int, int], by_weekday: Sequence[float], hours: range, strength: float
) -> list[float]:
    """The key's weekday profile over ``hours``: ``(C_d + m * w_d) / ((C + m) * w_d)`` for weekday ``d``
    with ``w_d`` its share of the baseline's articles (``by_weekday``), ``C_d`` the key's baseline mentions
    on it and ``m = strength``; 1 on weekdays without articles."""
    total_articles = sum(by_weekday)
    mentions = [0.0] * 7
    for hour, count in series.items():
        if hour in hours:
            mentions[weekday(hour)] += count
    seen = sum(mentions)
    out = []
    for d in range(7):
        share = by_weekday[d] / total_articles if total_articles else 0.0
        if share <= 0 or seen + strength <= 0:
            out.append(1.0)
        else:
            out.append((mentions[d] + strength * share) / ((seen + strength) * share))
    return out


def score(table: HourlyCounts, as_of_hour: int, spec: TrendSpec | None = None) -> list[Scored]:
    """The trends of ``table`` in the ``spec.window_hours`` before ``as_of_hour`` (exclusive), most
    surprising first. Empty when the baseline or the window has no articles."""
    spec = spec or TrendSpec()
    window = range(as_of_hour - spec.window_hours, as_of_hour)
    baseline = range(window.start - spec.baseline_hours, window.start)
    n_base = sum(n for h, n in table.totals.items() if h in baseline)
    window_totals = {h: n for h, n in table.totals.items() if h in window}
    if n_base <= 0 or not window_totals:
        return []
    by_weekday = [0.0] * 7
    for h, n in table.totals.items():
        if h in baseline:
            by_weekday[weekday(h)] += n
    rows: list[tuple[str, int, int, dict[int, int]]] = []
    for key, series in table.counts.items():
        c_base = sum(c for h, c in series.items() if h in baseline)
        c_win = sum(c for h, c in series.items() if h in window)
        if c_base or c_win:
            rows.append((key, c_base, c_win, series))
    if not rows:
        return []
    prior = fit_prior([c for _, c, _, _ in rows], float(n_base))
    threshold = math.log10(len(rows)) - math.log10(spec.alpha)
    out = []
    for key, c_base, c_win, series in rows:
        if c_win < spec.min_count:
            continue
        factors = weekday_factors(series, by_weekday, baseline, spec.seasonal_strength)
        exposure = sum(n * factors[weekday(h)] for h, n in window_totals.items())
        shape, rate = prior.shape + c_base, prior.rate + n_base
        expected = exposure * shape / rate
        if c_win < spec.min_ratio * expected:
            continue
        p = nb_tail(c_win, shape, rate, exposure)
        surprise = -math.log10(max(p, 1e-300))
        if surprise >= threshold:
            out.append(Scored(key, c_win, round(expected, 4), c_base, p, round(surprise, 3)))
    out.sort(key=lambda s: (-s.surprise, -s.count, s.key))
    return out
