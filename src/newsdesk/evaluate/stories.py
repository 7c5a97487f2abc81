"""The ``stories`` evaluation: incremental story clustering against the UCI News Aggregator's gold stories.

Data: ``uci-news-aggregator-head/dev.csv`` (headlines, publisher, timestamp and the gold ``STORY`` id; see
the data folder's SOURCE.md). Headlines are embedded with all-MiniLM-L6-v2 through the project's embedder
and fed in ``TIMESTAMP`` order (then ``ID``) through :class:`~newsdesk.stories.cluster.StoryClusterer`.

Metric: B-cubed precision, recall and F1 (per article: the share of its predicted story that is of its gold
story, and the share of its gold story that is in its predicted story; averaged over articles).

Protocol for the headline figure, **stories never seen**: the gold stories are cut into ``FOLDS`` groups
(seeded); for each fold the clusterer's thresholds are chosen on the other folds' articles (grid
:data:`GRID`, best B-cubed F1) and the fold's own articles are clustered with them, incrementally, from an
empty clusterer. ``metrics`` are the means over folds. Also reported in the same run:

- ``incremental_default``: the shipped :class:`~newsdesk.stories.cluster.ClusterConfig` over the whole file;
- baselines: one-shot average-linkage agglomerative clustering (cosine) over word TF-IDF and over MiniLM
  vectors, on the same held-out folds (distance threshold tuned on the other folds: ``*_held_out``, the
  comparison to read) and over the whole file with the threshold tuned on it (``*_same_file``, the issue's
  anchors: 0.78 and 0.85, optimistic).

A fold holds a third of the stories, so each article competes with fewer stories than in the whole file:
held-out figures are higher than the same configuration scores on the whole file
(``incremental_default``), for the baselines as for the clusterer.

Measured (2026-12-03, ``dev.csv``: 2,989 headlines, 44 gold stories; 152 s on 2 shared cores,
``newsdesk eval stories --dataset ../shared/data/uci-news-aggregator-head/dev.csv --json``):

=====================================  =========  ======  =====
B-cubed                                precision  recall  F1
=====================================  =========  ======  =====
incremental, held-out stories (mean)   0.948      0.893   0.920
one-shot MiniLM, held-out stories      0.932      0.869   0.899
one-shot TF-IDF, held-out stories      0.909      0.875   0.891
incremental default, whole file        0.853      0.891   0.872
one-shot MiniLM, whole file (tuned)    0.871      0.832   0.851
one-shot TF-IDF, whole file (tuned)    0.789      0.812   0.800
=====================================  =========  ======  =====

Folds: 0.885, 0.952, 0.923 (thresholds chosen: join 0.30/0.25/0.25, merge 0.20, embedding weight 0.7).
The 0.90 target is met on held-out stories (0.920), by a margin of 0.02 over the one-shot baselines on the
same folds; on the whole file, where every story competes with all 43 others, the clusterer scores 0.872.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.settings import Settings

__all__ = ["GRID", "bcubed", "evaluate_stories", "read_uci", "run_incremental"]

FOLDS = 3
SEED = 0
GRID: dict[str, Sequence[float]] = {
    "join": (0.25, 0.30, 0.35),
    "merge": (0.15, 0.20, 0.25),
    "embedding_weight": (0.7, 1.0),
}
# cosine distances tried by the baselines
THRESHOLDS = (*(round(0.05 * i, 2) for i in range(4, 20)), 0.97, 0.99)


def bcubed(predicted: Sequence[Any], gold: Sequence[Any]) -> dict[str, float]:
    """B-cubed precision, recall and F1 of a clustering against gold labels.

    >>> bcubed(["x", "x", "y"], [1, 1, 1])
    {'precision': 1.0, 'recall': 0.5556, 'f1': 0.7143}
    """
    pairs = Counter(zip(predicted, gold, strict=True))
    sizes_p, sizes_g = Counter(predicted), Counter(gold)
    n = len(predicted)
    p = sum(c * c / sizes_p[a] for (a, _), c in pairs.items()) / n
    r = sum(c * c / sizes_g[b] for (_, b), c in pairs.items()) / n
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def read_uci(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The rows of a UCI News Aggregator csv in timestamp order (then ID): id, title, story, at."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            {
                "id": r["ID"],
                "title": r["TITLE"],
                "story": r["STORY"],
                "publisher": r.get("PUBLISHER", ""),
                "category": r.get("CATEGORY", ""),
                "at": datetime.fromtimestamp(int(r["TIMESTAMP"]) / 1000, UTC),
            }
            for r in csv.DictReader(f)
        ]
    rows.sort(key=lambda r: (r["at"], int(str(r["id"]))))
    return rows[:limit] if limit else rows


def run_incremental(rows: Sequence[dict[str, Any]], vectors: Any, config: Any) -> tuple[list[str], Any]:
    """Cluster ``rows`` (with their ``vectors``) one at a time; the story of each row, and the clusterer."""
    from newsdesk.stories.cluster import StoryClusterer
    from newsdesk.stories.model import StoryItem

    clusterer = StoryClusterer(config)
    for row, vector in zip(rows, vectors, strict=True):
        clusterer.add(StoryItem(row["id"], row["at"], vector, row["title"]))
    return clusterer.labels(r["id"] for r in rows), clusterer


def _tune(rows: Sequence[dict[str, Any]], vectors: Any) -> tuple[dict[str, Any], float]:
    from newsdesk.stories.cluster import ClusterConfig

    best: tuple[float, dict[str, Any]] = (-1.0, {})
    gold = [r["story"] for r in rows]
    for values in product(*GRID.values()):
        params: dict[str, Any] = dict(zip(GRID, values, strict=True))
        labels, _ = run_incremental(rows, vectors, ClusterConfig(**params))
        f1 = bcubed(labels, gold)["f1"]
        if f1 > best[0]:
            best = (f1, params)
    return best[1], best[0]


def _one_shot(matrix: Any, gold: Sequence[str], thresholds: Sequence[float] = THRESHOLDS) -> dict[str, Any]:
    """Average-linkage agglomerative clustering (cosine), the best of ``thresholds`` on these rows."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(matrix, method="average", metric="cosine")
    scored = []
    for t in thresholds:
        labels = fcluster(tree, t=t, criterion="distance")
        scored.append((bcubed(list(labels), gold), t))
    metrics, threshold = max(scored, key=lambda s: s[0]["f1"])
    return {**metrics, "distance_threshold": threshold}


def _one_shot_held_out(matrix: Any, gold: Sequence[str], train: list[int], test: list[int]) -> dict[str, Any]:
    """The one-shot baseline on ``test`` rows, its threshold tuned on ``train`` rows."""
    tuned = _one_shot(matrix[train], [gold[i] for i in train])["distance_threshold"]
    return _one_shot(matrix[test], [gold[i] for i in test], (tuned,))


def _mean(scores: Sequence[dict[str, Any]]) -> dict[str, float]:
    import numpy as np

    return {m: round(float(np.mean([s[m] for s in scores])), 4) for m in ("precision", "recall", "f1")}


@task("stories", dataset="uci-news-aggregator-head/dev.csv")
def evaluate_stories(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """B-cubed of incremental story clustering on stories never seen (story-disjoint CV) vs one-shot
    average-linkage clustering over TF-IDF and MiniLM vectors."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from newsdesk.nlp.embed import EmbedderConfig, embedder_for
    from newsdesk.stories.cluster import ClusterConfig

    rows = read_uci(path, limit)
    gold = [r["story"] for r in rows]
    started = time.perf_counter()
    vectors = embedder_for(EmbedderConfig.from_settings(settings)).encode([r["title"] for r in rows])
    embed_s = time.perf_counter() - started

    started = time.perf_counter()
    labels, clusterer = run_incremental(rows, vectors, ClusterConfig())
    cluster_s = time.perf_counter() - started
    default = {
        **bcubed(labels, gold),
        "stories": len(set(labels)),
        "merges": sum(e.action == "merge" for e in clusterer.events),
        "splits": sum(e.action == "split" for e in clusterer.events),
        "articles_per_s": round(len(rows) / cluster_s, 1),
    }

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(r["title"] for r in rows)
    matrices = {"tfidf": tfidf.toarray(), "minilm": np.asarray(vectors, dtype=np.float64)}

    stories = sorted(set(gold))
    order = np.random.default_rng(SEED).permutation(len(stories))
    fold_of = {stories[i]: k % FOLDS for k, i in enumerate(order)}
    folds: list[dict[str, Any]] = []
    for k in range(FOLDS):
        train = [i for i, r in enumerate(rows) if fold_of[r["story"]] != k]
        test = [i for i, r in enumerate(rows) if fold_of[r["story"]] == k]
        params, train_f1 = _tune([rows[i] for i in train], vectors[train])
        test_rows = [rows[i] for i in test]
        test_labels, _ = run_incremental(test_rows, vectors[test], ClusterConfig(**params))
        scored = bcubed(test_labels, [r["story"] for r in test_rows])
        held_out = {name: _one_shot_held_out(m, gold, train, test) for name, m in matrices.items()}
        folds.append(
            {
                "fold": k,
                "params": params,
                "train_f1": train_f1,
                "n": len(test),
                **scored,
                "one_shot": held_out,
            }
        )
    metrics = _mean(folds)
    baseline = {
        f"{name}_average_linkage_held_out": _mean([f["one_shot"][name] for f in folds]) for name in matrices
    }
    baseline.update({f"{name}_average_linkage_same_file": _one_shot(m, gold) for name, m in matrices.items()})
    return EvalResult(
        task="stories",
        dataset=str(path),
        n=len(rows),
        model="StoryClusterer (MiniLM headline + hashed running TF-IDF, average linkage, incremental)",
        metrics=metrics,
        baseline=baseline,
        details={
            "protocol": f"{FOLDS} story-disjoint folds (seed {SEED}); thresholds tuned on the other folds",
            "folds": folds,
            "grid": {k: list(v) for k, v in GRID.items()},
            "incremental_default": default,
            "default_config": ClusterConfig().__dict__,
            "gold_stories": len(stories),
            "embed_s": round(embed_s, 2),
        },
    )
