"""``embedding-strategy``: which way of embedding long articles serves search and tagging better.

On the de-duplicated BBC set, each article is embedded by the ``lead`` strategy (headline + opening
paragraphs, one window), by ``chunks`` (the whole text in windows, averaged) and by ``sentences`` (the
sentences' vectors averaged):

- search: each reference summary, embedded as a query, must find its own article (MRR@10, recall@1);
- tagging: section accuracy of a logistic regression on the vectors, stratified 5-fold CV.

``metrics`` holds the configured strategy, ``baseline`` ``lead`` (``chunks`` when ``lead`` is configured),
and ``details["strategies"]`` all three.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.nlp.embed import STRATEGIES, EmbedderConfig, embedder_for
from newsdesk.settings import Settings

__all__ = ["evaluate_embedding_strategy"]


@task("embedding-strategy", dataset="bbc-news-summary")
def evaluate_embedding_strategy(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Lead vs chunked article embeddings for search (MRR@10) and section tagging (5-fold accuracy)."""
    import numpy as np

    items = [i for i in load_bbc(path) if i.summary]
    if limit is not None:  # an even spread over the sections, not the first N of one
        items = items[:: max(1, len(items) // limit)][:limit]
    config = EmbedderConfig.from_settings(settings)
    embedder = embedder_for(config)
    queries = embedder.encode([" ".join(i.summary.split()) for i in items if i.summary])
    labels = np.array([i.section for i in items])
    scores: dict[str, dict[str, Any]] = {}
    for strategy in STRATEGIES:
        from newsdesk.articles.model import Article

        articles = [
            Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body) for i in items
        ]
        vectors = embedder.embed_articles(articles, strategy)
        scores[strategy] = {**_retrieval(queries, vectors), **_tagging(vectors, labels)}
    default = config.strategy
    other = "chunks" if default == "lead" else "lead"
    return EvalResult(
        task="embedding-strategy",
        dataset=str(path),
        n=len(items),
        model=f"{embedder.identity}:{default}",
        metrics=scores[default],
        baseline=scores[other] | {"strategy": other},
        details={
            "protocol": "summary-as-query retrieval over all articles; LogisticRegression 5-fold CV",
            "strategies": scores,
        },
    )


def _retrieval(queries: Any, vectors: Any) -> dict[str, float]:
    import numpy as np

    sims = queries @ vectors.T
    own = sims[np.arange(len(queries)), np.arange(len(queries))]
    ranks = (sims > own[:, None]).sum(axis=1) + 1
    rr = np.where(ranks <= 10, 1.0 / ranks, 0.0)
    return {"mrr@10": round(float(rr.mean()), 4), "recall@1": round(float((ranks == 1).mean()), 4)}


def _tagging(vectors: Any, labels: Any) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if len(set(labels)) < 2:
        return {"section_accuracy": float("nan")}
    n_splits = min(5, int(min((labels == c).sum() for c in set(labels))))
    if n_splits < 2:
        return {"section_accuracy": float("nan")}
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    acc = cross_val_score(LogisticRegression(C=10.0, max_iter=2000), vectors, labels, cv=folds)
    return {"section_accuracy": round(float(acc.mean()), 4)}
