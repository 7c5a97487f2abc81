"""``retrieval``: can search find an article from what it says?

On the de-duplicated BBC News Summary set, each article's reference summary (an extract of 20-40% of its
sentences) is the query, and the article it summarises is the one right answer. The archive of all the
articles is stored in a temporary workspace with its ``chunks`` vectors and indexed exactly as a
deployment is (SQLite FTS5 + the HNSW vector index); every query runs through
:class:`~newsdesk.search.Searcher` three times:

- ``metrics``: hybrid (full text and vectors fused by reciprocal rank);
- ``baseline.text``: the full-text retriever alone (BM25);
- ``baseline.vector``: the vector retriever alone.

Reported: MRR@10 (reciprocal rank of the right article, 0 below rank 10), recall@1 and recall@10, and the
median and 99th-percentile query time of each mode.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from newsdesk.evaluate.datasets import load_bbc
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.settings import Settings

__all__ = ["evaluate_retrieval"]


@task("retrieval", dataset="bbc-news-summary")
def evaluate_retrieval(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Summary-as-query search on BBC News: hybrid MRR@10 vs full-text-only and vector-only."""
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.nlp.embed import shared_embedder
    from newsdesk.search import Searcher, SearchQuery
    from newsdesk.store import open_store
    from newsdesk.store.base import EnrichmentWrite

    items = [i for i in load_bbc(path) if i.summary]
    if limit is not None:  # an even spread over the sections, not the first N of one
        items = items[:: max(1, len(items) // limit)][:limit]
    embedder = shared_embedder(settings)  # the caller's embedding cache
    strategy = settings.nlp.embedding_strategy
    model = f"{embedder.identity}:{strategy}"
    with tempfile.TemporaryDirectory(prefix="newsdesk-retrieval-") as tmp:
        work = settings.model_copy(update={"home": Path(tmp)})
        store = open_store(work)
        try:
            articles = [
                Article.create(
                    source="bbc", source_id=i.id, headline=i.headline, body=i.body, section=i.section
                )
                for i in items
            ]
            store.upsert(articles, dedupe=False)
            vectors = embedder.embed_articles(articles, strategy)
            store.write_enrichments(
                [EnrichmentWrite(a.id, [], {model: v}) for a, v in zip(articles, vectors, strict=True)]
            )
            searcher = Searcher(store, work, embedder=embedder)
            searcher.index.rebuild(store)
            queries = [" ".join((i.summary or "").split()) for i in items]
            embedder.encode(queries)  # one batched pass; the searches then hit the cache
            results: dict[str, dict[str, Any]] = {}
            for mode in ("hybrid", "text", "vector"):
                ranks, times = [], []
                for query, article in zip(queries, articles, strict=True):
                    started = time.perf_counter()
                    page = searcher.search(SearchQuery(query, limit=10, mode=mode))
                    times.append((time.perf_counter() - started) * 1000)
                    found = [h.id for h in page.results]
                    ranks.append(found.index(article.id) + 1 if article.id in found else 0)
                r = np.asarray(ranks)
                results[mode] = {
                    "mrr@10": round(float(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0).mean()), 4),
                    "recall@1": round(float((r == 1).mean()), 4),
                    "recall@10": round(float((r > 0).mean()), 4),
                    "p50_ms": round(float(np.percentile(times, 50)), 2),
                    "p99_ms": round(float(np.percentile(times, 99)), 2),
                }
            index_kind = searcher.index.kind
        finally:
            store.close()
    return EvalResult(
        task="retrieval",
        dataset=str(path),
        n=len(items),
        model=f"hybrid(bm25 + {model} {index_kind}, rrf k={settings.search.rrf_k})",
        metrics=results["hybrid"],
        baseline={"text": results["text"], "vector": results["vector"]},
        details={
            "protocol": "each reference summary is a query; its own article is the one relevant result",
            "target": {"mrr@10": 0.90},
        },
    )
