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
  vectors, each with its distance threshold tuned on the whole file (the issue's anchors: 0.78 and 0.85),
  so they are optimistic beside the held-out figure.
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
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(4, 19))  # cosine distances tried by the baselines


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


def _one_shot(matrix: Any, gold: Sequence[str]) -> dict[str, Any]:
    """Average-linkage agglomerative clustering (cosine), distance threshold tuned on the same rows."""
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(matrix, method="average", metric="cosine")
    scored = []
    for t in THRESHOLDS:
        labels = fcluster(tree, t=t, criterion="distance")
        scored.append((bcubed(list(labels), gold), t))
    metrics, threshold = max(scored, key=lambda s: s[0]["f1"])
    return {**metrics, "distance_threshold": threshold}


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

    stories = sorted(set(gold))
    order = np.random.default_rng(SEED).permutation(len(stories))
    fold_of = {stories[i]: k % FOLDS for k, i in enumerate(order)}
    folds = []
    for k in range(FOLDS):
        train = [i for i, r in enumerate(rows) if fold_of[r["story"]] != k]
        test = [i for i, r in enumerate(rows) if fold_of[r["story"]] == k]
        params, train_f1 = _tune([rows[i] for i in train], vectors[train])
        test_rows = [rows[i] for i in test]
        test_labels, _ = run_incremental(test_rows, vectors[test], ClusterConfig(**params))
        scored = bcubed(test_labels, [r["story"] for r in test_rows])
        folds.append({"fold": k, "params": params, "train_f1": train_f1, "n": len(test), **scored})
    metrics = {m: round(float(np.mean([f[m] for f in folds])), 4) for m in ("precision", "recall", "f1")}

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(r["title"] for r in rows)
    baseline = {
        "tfidf_average_linkage": _one_shot(tfidf.toarray(), gold),
        "minilm_average_linkage": _one_shot(np.asarray(vectors, dtype=np.float64), gold),
    }
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
