"""``retrieval``: can search find an article from what it says?

Each query is a reference summary and the article it summarises is the one right answer, on either:

- the de-duplicated BBC News Summary set (a folder): the summaries are *extracts* (20-40% of the article's
  sentences, verbatim), so the query shares most of its words with the answer;
- XSum (a ``.jsonl`` file, or a folder holding ``dev.jsonl``): one-sentence *abstractive* summaries written by
  the journalist, which paraphrase the story: the case where meaning matters more than shared words. The
  document's first sentence stands in for its headline.

The archive of all the articles is stored in a temporary workspace with its ``chunks`` vectors and indexed
exactly as a deployment is (SQLite FTS5 + the HNSW vector index); every query runs through
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
from typing import TYPE_CHECKING, Any

from newsdesk.evaluate.datasets import load_bbc, load_xsum
from newsdesk.evaluate.harness import EvalResult, task
from newsdesk.settings import Settings

if TYPE_CHECKING:
    from newsdesk.articles.model import Article

__all__ = ["evaluate_retrieval"]


def _pairs(path: Path, limit: int | None) -> tuple[list[Article], list[str], str]:
    """(articles, queries, kind): query i's one relevant article is article i."""
    from newsdesk.articles.model import Article

    if path.suffix == ".jsonl" or (path / "dev.jsonl").exists():
        xsum = load_xsum(path)
        if limit is not None:
            xsum = xsum[:limit]
        articles = []
        for item in xsum:
            lines = [ln.strip() for ln in item.document.splitlines() if ln.strip()]
            articles.append(
                Article.create(
                    source="xsum",
                    source_id=item.id,
                    headline=lines[0][:500],
                    body="\n\n".join(lines[1:]) or lines[0],
                )
            )
        return articles, [" ".join(i.summary.split()) for i in xsum], "xsum (abstractive summaries)"
    items = [i for i in load_bbc(path) if i.summary]
    if limit is not None:  # an even spread over the sections, not the first N of one
        items = items[:: max(1, len(items) // limit)][:limit]
    articles = [
        Article.create(source="bbc", source_id=i.id, headline=i.headline, body=i.body, section=i.section)
        for i in items
    ]
    return articles, [" ".join((i.summary or "").split()) for i in items], "bbc-news-summary (extracts)"


@task("retrieval", dataset="bbc-news-summary")
def evaluate_retrieval(path: Path, settings: Settings, limit: int | None) -> EvalResult:
    """Summary-as-query search (BBC extracts or XSum abstracts): hybrid MRR@10 vs text and vector alone."""
    import numpy as np

    from newsdesk.nlp.embed import EmbedderConfig, embedder_for
    from newsdesk.search import Searcher, SearchQuery
    from newsdesk.store import open_store
    from newsdesk.store.base import EnrichmentWrite

    articles, queries, kind = _pairs(path, limit)
    config = EmbedderConfig.from_settings(settings)
    embedder = embedder_for(config)  # the caller's embedding cache
    strategy, model = config.strategy, config.vector_model
    with tempfile.TemporaryDirectory(prefix="newsdesk-retrieval-") as tmp:
        work = settings.model_copy(update={"home": Path(tmp)})
        store = open_store(work)
        try:
            store.upsert(articles, dedupe=False)
            vectors = embedder.embed_articles(articles, strategy)
            store.write_enrichments(
                [EnrichmentWrite(a.id, [], {model: v}) for a, v in zip(articles, vectors, strict=True)]
            )
            searcher = Searcher(store, work, embedder=embedder)
            searcher.index.rebuild(store)
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
        n=len(articles),
        model=f"hybrid(bm25 + {model} {index_kind}, rrf k={settings.search.rrf_k})",
        metrics=results["hybrid"],
        baseline={"text": results["text"], "vector": results["vector"]},
        details={
            "protocol": "each reference summary is a query; its own article is the one relevant result",
            "queries": kind,
            "target": {"mrr@10": 0.90},
        },
    )
