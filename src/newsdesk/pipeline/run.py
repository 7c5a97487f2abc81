"""The batch enrichment run: every component over the archive, resumable, idempotent, versioned.

For each component (in dependency order) the run asks the store which articles are *stale* for it (no
output of the component's current version computed from the article's current content), prepares the
component once (components that learn from the archive fit here), then processes the stale articles in
batches. Each batch's outputs are written in one transaction, so the committed batches are the checkpoint:
a run killed half-way loses at most one batch per component, and running it again does only what is left.
A new component version, or a changed article, re-enriches exactly what it must.

With ``workers > 1``, components marked ``parallel_safe`` process batches in forked worker processes while
this process reads and writes. The workers inherit the prepared component (models loaded, fitted state), and
each runs torch on one thread: ``workers`` single-threaded processes keep the cores busy without the
per-operation synchronisation of a multi-threaded model call, which costs most on short inputs (sentences)
and on a shared machine. While a component prepares, large embedding runs (the IPTC concept vectors) are
shared among ``workers`` forked processes the same way (:func:`newsdesk.nlp.embed.parallel_encoding`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, NewsdeskError, NotFitted
from newsdesk.monitor.hooks import log_outputs
from newsdesk.nlp import DEFAULT_COMPONENTS, BaseComponent, Output, component_class
from newsdesk.nlp.embed import parallel_encoding, single_thread
from newsdesk.pipeline.champions import build_component
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleStore, EnrichmentWrite

__all__ = ["ComponentRun", "EnrichReport", "enrich", "plan_components"]

Progress = Callable[[str, int, int], None]  # component, done, total


@dataclass
class ComponentRun:
    """What the run did with one component."""

    name: str
    version: str = ""
    stale: int = 0
    processed: int = 0
    skipped: str | None = None  # why the component did not run
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


@dataclass
class EnrichReport:
    components: list[ComponentRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def processed(self) -> int:
        return sum(c.processed for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "components": [
                {
                    "name": c.name,
                    "version": c.version,
                    "stale": c.stale,
                    "processed": c.processed,
                    "skipped": c.skipped,
                    "seconds": round(c.seconds, 2),
                    "articles_per_s": round(c.per_second, 1),
                }
                for c in self.components
            ],
        }


def plan_components(only: Sequence[str] | None) -> list[str]:
    """The components to run, in an order where every component runs after those it requires."""
    names = list(dict.fromkeys(only)) if only else list(DEFAULT_COMPONENTS)
    for name in names:
        component_class(name)  # unknown names fail before any work
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise InvalidInput("only", name, "components without circular requirements")
        visiting.add(name)
        for req in component_class(name).requires:
            if req in names:
                visit(req)
        visiting.discard(name)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def enrich(
    store: ArticleStore,
    settings: Settings,
    *,
    only: Sequence[str] | None = None,
    since: datetime | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Bring every article's enrichments up to date for the chosen components."""
    started = time.perf_counter()
    workers = workers or settings.pipeline.workers
    if workers < 1:
        raise InvalidInput("workers", workers, "an integer >= 1")
    batch_size = batch_size or settings.pipeline.batch_size
    report = EnrichReport()
    for name in plan_components(only):
        component = build_component(name, settings)
        run = ComponentRun(name)
        report.components.append(run)
        t0 = time.perf_counter()
        try:
            with parallel_encoding(workers):  # large model runs while preparing use the workers too
                component.prepare(store)
        except (NotFitted, InvalidInput) as exc:
            run.skipped = str(exc)
            run.seconds = time.perf_counter() - t0
            continue
        run.version = component.version
        stale = store.stale(name, component.version, since=since)
        run.stale = len(stale)
        if progress:
            progress(name, 0, len(stale))
        parallel = (
            workers > 1
            and getattr(component, "parallel_safe", False)
            and len(stale) > 1
            and _forks_safely(component)
        )
        size = batch_size
        if parallel:  # at least 4 batches per worker, so no worker is left alone with the last big one
            size = max(1, min(batch_size, -(-len(stale) // (workers * 4))))
        batches = [stale[i : i + size] for i in range(0, len(stale), size)]
        results = (
            _in_workers(component, store, batches, workers) if parallel else _here(component, store, batches)
        )
        batch_started = time.perf_counter()
        for articles, outputs in results:
            run.processed += store.write_enrichments(_writes(component, articles, outputs))
            per_item = (time.perf_counter() - batch_started) * 1000 / max(1, len(articles))
            log_outputs(settings, "pipeline", name, component.version, articles, outputs, per_item)
            batch_started = time.perf_counter()
            if progress:
                progress(name, run.processed, len(stale))
        run.seconds = time.perf_counter() - t0
    report.seconds = time.perf_counter() - started
    return report


def _load(store: ArticleStore, ids: Sequence[str]) -> list[Article]:
    out: list[Article] = []
    for article_id in ids:
        try:
            out.append(store.get(article_id))
        except NewsdeskError:  # deleted since the stale list was read
            continue
    return out


def _here(
    component: BaseComponent, store: ArticleStore, batches: list[list[str]]
) -> Iterator[tuple[list[Article], list[Output]]]:
    for ids in batches:
        articles = _load(store, ids)
        yield articles, _checked(component, articles, component.process(articles))


def _checked(component: BaseComponent, articles: list[Article], outputs: list[Output]) -> list[Output]:
    if len(outputs) != len(articles):
        raise NewsdeskError(
            f"component {component.ref} returned {len(outputs)} outputs for {len(articles)} articles"
        )
    return outputs


_WORKER: BaseComponent | None = None


def _work(articles: list[Article]) -> list[Output]:
    assert _WORKER is not None
    return _WORKER.process(articles)


def _forks_safely(component: BaseComponent) -> bool:
    """False for a component whose model runs on a GPU: a CUDA context does not survive a fork, and on a
    GPU one process batching for all is the fast path anyway."""
    embedder = getattr(component, "embedder", None)
    return embedder is None or bool(getattr(embedder, "on_cpu", True))


def _in_workers(
    component: BaseComponent, store: ArticleStore, batches: list[list[str]], workers: int
) -> Iterator[tuple[list[Article], list[Output]]]:
    global _WORKER
    _WORKER = component  # inherited, prepared, by the forked workers
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=single_thread) as pool:
        loaded = (_load(store, ids) for ids in batches)
        pending: list[tuple[list[Article], Any]] = []
        for articles in loaded:
            pending.append((articles, pool.apply_async(_work, (articles,))))
            if len(pending) >= workers * 2:
                done_articles, result = pending.pop(0)
                yield done_articles, _checked(component, done_articles, result.get())
        for done_articles, result in pending:
            yield done_articles, _checked(component, done_articles, result.get())
    _WORKER = None


def _writes(
    component: BaseComponent, articles: list[Article], outputs: list[Output]
) -> list[EnrichmentWrite]:
    now = datetime.now(UTC)
    writes = []
    for article, output in zip(articles, outputs, strict=True):
        confidence = None if output.confidence is None else float(output.confidence)
        enrichment = Enrichment(
            component=component.name,
            version=component.version,
            value=output.value,
            confidence=confidence,
            created_at=now,
            input_hash=article.content_hash,
        )
        vectors = None
        if output.vector is not None:
            vectors = {output.vector_model or component.name: output.vector}
        writes.append(EnrichmentWrite(article.id, [enrichment], vectors))
    return writes
