"""``drift``: does :func:`~newsdesk.monitor.drift.detect_drift` keep its false-alarm budget on real articles,
and does it still see a real shift?

Data: the de-duplicated BBC News set (2,127 articles, five sections) and their vectors from the caller's
embedder (``settings.nlp.embedding_strategy``, cached: a session that ran ``retrieval`` embeds nothing
again). Every comparison runs the tests length, oov_rate, embedding_mmd and labels (the BBC sections standing
in for a section model's predictions), Bonferroni-corrected at ``settings.monitor.alpha``.

- ``metrics.false_alarm_rate``: for each window size in :data:`SIZES`, :data:`SPLITS` times, 2n articles
  drawn at random (seeded) and split into two windows of n, which differ by chance alone; the share of those
  comparisons whose report says "drifted", with its 95% Wilson interval (``false_alarm_ci95_low`` /
  ``_high``); per size and per test in ``details``;
- ``metrics.power``: business+politics against sport+tech, :data:`DRAWS` draws of n articles a side per
  size (fewer when a side has fewer): the share detected;
- ``baseline``: the same comparisons judged without the correction (an alarm when any test has
  ``p <= alpha``): what multiple testing alone does to the false-alarm rate.

``python benchmarks/drift.py`` measures the same on more splits (1,500 at alpha 0.04: 2.8%, 4.4% and 4.2%
false alarms at sizes 50, 100 and 200) and adds BBC against Reuters-21578.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import InvalidInput
from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.monitor.drift import Window

__all__ = ["DRAWS", "SIZES", "SPLITS", "evaluate_drift", "wilson"]

SIZES = (50, 100, 200)  # articles per window
SPLITS = 100  # no-drift splits per size
DRAWS = 20  # section-shift draws per size
PERMUTATIONS = 500  # detect_drift's default
SEED = 0


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion ``hits / n``.

    >>> [round(x, 4) for x in wilson(3, 100)]
    [0.0103, 0.0845]
    """
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _scenario(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    window: Callable[[str, np.ndarray], Window],
    alpha: float,
    first_seed: int,
) -> dict[str, Any]:
    """Run ``detect_drift`` on each (reference rows, current rows): alarms with and without the correction."""
    from newsdesk.monitor.drift import detect_drift

    alarms = uncorrected = 0
    per_test: Counter[str] = Counter()
    for k, (ref, cur) in enumerate(pairs):
        report = detect_drift(
            window("reference", ref),
            window("current", cur),
            alpha=alpha,
            permutations=PERMUTATIONS,
            seed=first_seed + k,
        )
        alarms += report.drifted
        uncorrected += any(t.p_value <= alpha for t in report.tests)
        per_test.update(t.name for t in report.tests if t.drifted)
    low, high = wilson(alarms, len(pairs))
    return {
        "runs": len(pairs),
        "alarms": alarms,
        "alarm_rate": round(alarms / len(pairs), 4),
        "ci95": [round(low, 4), round(high, 4)],
        "uncorrected_alarms": uncorrected,
        "alarms_per_test": dict(sorted(per_test.items())),
    }


def _rate(rows: list[dict[str, Any]], key: str = "alarms") -> tuple[int, int]:
    return sum(r[key] for r in rows), sum(r["runs"] for r in rows)


@task("drift", dataset="bbc-news-summary")
def evaluate_drift(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Drift checks on BBC News: false alarms on random halves (budget monitor.alpha), power on a section
    shift; beside the same tests without the Bonferroni correction."""
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.monitor.drift import Window
    from newsdesk.nlp.embed import EmbedderConfig, embedder_for

    items = load_bbc(path)
    if limit is not None:  # an even spread over the sections, not the first N of one
        items = items[:: max(1, len(items) // limit)][:limit]
    sizes = [n for n in SIZES if 2 * n <= len(items)]
    if not sizes:
        raise InvalidInput("dataset", f"{len(items)} articles", f"at least {2 * SIZES[0]} articles")
    config = EmbedderConfig.from_settings(settings)
    strategy = config.strategy
    articles = [Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body) for i in items]
    vectors = embedder_for(config).embed_articles(articles, strategy)
    texts, sections = [i.text for i in items], [i.section for i in items]

    def window(name: str, rows: np.ndarray) -> Window:
        labels = [sections[r] for r in rows]
        return Window(name, [texts[r] for r in rows], embeddings=vectors[rows], labels=labels)

    alpha = settings.monitor.alpha
    rng = np.random.default_rng(SEED)
    side_a = np.flatnonzero(np.isin(sections, ["business", "politics"]))
    side_b = np.flatnonzero(np.isin(sections, ["sport", "tech"]))
    halves, shifts = {}, {}
    for n in sizes:
        picks = [rng.choice(len(items), 2 * n, replace=False) for _ in range(SPLITS)]
        halves[n] = _scenario([(p[:n], p[n:]) for p in picks], window, alpha, first_seed=0)
        m = min(n, len(side_a), len(side_b))  # a small set: as many as each side has
        draws = [
            (rng.choice(side_a, m, replace=False), rng.choice(side_b, m, replace=False)) for _ in range(DRAWS)
        ]
        shifts[m] = _scenario(draws, window, alpha, first_seed=SPLITS)
    false_alarms, runs = _rate(list(halves.values()))
    low, high = wilson(false_alarms, runs)
    detected, draws_run = _rate(list(shifts.values()))
    return EvalResult(
        task="drift",
        dataset=str(path),
        n=len(items),
        model=f"detect_drift(alpha={alpha}, Bonferroni; {PERMUTATIONS} permutations; {strategy} vectors)",
        metrics={
            "false_alarm_rate": round(false_alarms / runs, 4),
            "false_alarm_ci95_low": round(low, 4),
            "false_alarm_ci95_high": round(high, 4),
            "power": round(detected / draws_run, 4) if draws_run else None,
            "alpha": alpha,
        },
        baseline={
            "name": "the same tests without the correction (alarm when any p <= alpha)",
            "false_alarm_rate": round(_rate(list(halves.values()), "uncorrected_alarms")[0] / runs, 4),
            "power": round(_rate(list(shifts.values()), "uncorrected_alarms")[0] / draws_run, 4)
            if draws_run
            else None,
        },
        details={
            "protocol": f"{SPLITS} random equal splits and {DRAWS} business+politics vs sport+tech draws per "
            f"window size, seed {SEED}",
            "no_drift": halves,
            "section_shift": shifts,
        },
    )
