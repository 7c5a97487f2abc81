"""Recommendation metrics: per-impression ranking accuracy (the MIND protocol) and beyond-accuracy figures of
the slates a model would serve.

Accuracy follows the MIND evaluation script: per impression, AUC of the scores against the click labels,
MRR (the mean reciprocal rank of the clicked articles) and nDCG@k with gains ``2**label - 1``; the figures
are then averaged over impressions. Ties are broken deterministically: in rankings an earlier candidate
wins a tie (a stable sort), and AUC counts a tied clicked/unclicked pair as half a win (average ranks).

>>> auc([1, 0, 0], [0.9, 0.5, 0.1]), auc([0, 1], [0.5, 0.5])
(1.0, 0.5)
>>> mrr([0, 1, 0], [0.9, 0.5, 0.1])
0.5
>>> round(ndcg_at_k([0, 1, 0], [0.9, 0.5, 0.1], 2), 4)
0.6309
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from itertools import combinations

import numpy as np

from newsdesk.errors import InvalidInput

__all__ = [
    "auc",
    "coverage",
    "freshness",
    "intra_list_diversity",
    "mrr",
    "ndcg_at_k",
    "novelty",
    "ranked",
    "single_topic_share",
]

Slates = Sequence[Sequence[str]]


def _arrays(labels: Sequence[int], scores: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if y.shape != s.shape or y.ndim != 1:
        raise InvalidInput("scores", len(s), f"one score per label ({len(y)})")
    return y, np.nan_to_num(s, nan=-np.inf)


def ranked(scores: Sequence[float] | np.ndarray) -> np.ndarray:
    """Candidate positions best first; nan ranks last and ties keep candidate order.

    >>> ranked([0.1, float("nan"), 0.5, 0.1]).tolist()
    [2, 0, 3, 1]
    """
    s = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    return np.argsort(-s, kind="stable")


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the chance that a clicked candidate outscores an unclicked one (a tie
    counts half). NaN when the labels are all one class."""
    y, s = _arrays(labels, scores)
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return math.nan
    order = np.argsort(s, kind="stable")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks (1-based) over runs of equal scores
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s) != 0) + 1]
    ends = np.r_[starts[1:], len(s)]
    for a, b in zip(starts, ends, strict=True):
        ranks[order[a:b]] = (a + b + 1) / 2
    return float((ranks[y > 0].sum() - pos * (pos + 1) / 2) / (pos * neg))


def mrr(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Mean reciprocal rank of the clicked candidates (MIND's definition: summed over every click, divided
    by the number of clicks)."""
    y, _ = _arrays(labels, scores)
    if y.sum() == 0:
        return math.nan
    hits = y[ranked(scores)]
    return float((hits / np.arange(1, len(hits) + 1)).sum() / hits.sum())


def ndcg_at_k(labels: Sequence[int], scores: Sequence[float], k: int) -> float:
    """nDCG of the top ``k``, gains ``2**label - 1`` discounted by ``log2(rank + 1)``."""
    if k < 1:
        raise InvalidInput("k", k, "an integer >= 1")
    y, _ = _arrays(labels, scores)
    discounts = 1 / np.log2(np.arange(2, min(k, len(y)) + 2))
    ideal = ((2 ** np.sort(y)[::-1][:k] - 1) * discounts).sum()
    if ideal == 0:
        return math.nan
    return float(((2 ** y[ranked(scores)][:k] - 1) * discounts).sum() / ideal)


def coverage(slates: Slates, catalogue_size: int) -> float:
    """Share of the catalogue that appears in at least one slate.

    >>> coverage([["a", "b"], ["b", "c"]], 10)
    0.3
    """
    if catalogue_size < 1:
        raise InvalidInput("catalogue_size", catalogue_size, "an integer >= 1")
    return len({a for slate in slates for a in slate}) / catalogue_size


def intra_list_diversity(
    slates: Slates,
    topic_of: Mapping[str, str] | None = None,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> float:
    """Mean over slates of the mean dissimilarity of their pairs: different topics (pairs with an unknown
    topic are skipped) or, with ``vectors``, ``1 - cosine`` (pairs without a vector skipped). NaN when no
    slate has a comparable pair.

    >>> intra_list_diversity([["a", "b", "c"]], {"a": "news", "b": "news", "c": "sports"})
    0.6667
    """
    if (topic_of is None) == (vectors is None):
        raise InvalidInput("intra_list_diversity", "topic_of/vectors", "exactly one of topic_of or vectors")
    per_slate = []
    for slate in slates:
        pairs = []
        for a, b in combinations(slate, 2):
            if topic_of is not None:
                ta, tb = topic_of.get(a, ""), topic_of.get(b, "")
                if ta and tb:
                    pairs.append(float(ta != tb))
            elif vectors is not None and a in vectors and b in vectors:
                va, vb = vectors[a], vectors[b]
                norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
                if norm > 0:
                    pairs.append(1.0 - float(va @ vb) / norm)
        if pairs:
            per_slate.append(sum(pairs) / len(pairs))
    return round(sum(per_slate) / len(per_slate), 4) if per_slate else math.nan


def novelty(slates: Slates, popularity: Mapping[str, float]) -> float:
    """Mean self-information ``-log2(share)`` of the slates' articles, where an article's share of the
    clicks is add-one smoothed (``(clicks + 1) / (total + n)`` over the ``n`` articles of ``popularity``,
    an unseen article counting zero clicks) so that a never-clicked article is finite and most novel.

    >>> round(novelty([["a"], ["b"]], {"a": 3, "b": 1}), 3)
    1.085
    """
    total = float(sum(popularity.values())) + len(popularity)
    items = [a for slate in slates for a in slate]
    if not items or total <= 0:
        return math.nan
    return sum(-math.log2((popularity.get(a, 0) + 1) / total) for a in items) / len(items)


def freshness(slates: Slates, published: Mapping[str, float], at: Sequence[datetime | float]) -> float:
    """Median age in hours of the slates' articles at the time each slate was served (``at``, one per
    slate); articles whose publication time is unknown (missing or NaN) are left out.

    >>> freshness([["a", "b"]], {"a": 0.0, "b": 7200.0}, [10800.0])
    2.0
    """
    if len(at) != len(slates):
        raise InvalidInput("at", len(at), f"one time per slate ({len(slates)})")
    ages = []
    for slate, when in zip(slates, at, strict=True):
        now = when.timestamp() if isinstance(when, datetime) else float(when)
        for a in slate:
            p = published.get(a, math.nan)
            if not math.isnan(p):
                ages.append((now - p) / 3600)
    return statistics.median(ages) if ages else math.nan


def single_topic_share(slates: Slates, topic_of: Mapping[str, str]) -> float:
    """Share of the slates (with at least two articles of known topic) whose known topics are all one.

    >>> single_topic_share([["a", "b"], ["a", "c"]], {"a": "news", "b": "news", "c": "sports"})
    0.5
    """
    judged = []
    for slate in slates:
        topics = Counter(topic_of.get(a, "") for a in slate)
        topics.pop("", None)
        if sum(topics.values()) >= 2:
            judged.append(len(topics) == 1)
    return sum(judged) / len(judged) if judged else math.nan
