"""The batch enrichment run: every component over the archive, resumable, idempotent, versioned.

For each component (in dependency order) the run fits it on the driver (:mod:`newsdesk.pipeline.fitting`:
components that learn read the archive, the others read nothing), derives its version, asks the store which
articles are *stale* for it (no output of that version computed from the article's current content), and
hands the fitted component and the stale ids to an executor (:mod:`newsdesk.pipeline.executors`: this
process, local processes, or Spark). The executor yields batches of outputs back; each batch is written in
one transaction, so the committed batches are the checkpoint: a run killed half-way loses at most the
batches in flight, and running it again does only what is left. A new component version, or a changed
article, re-enriches exactly what it must.

With the ``local`` executor and ``workers > 1``, components marked ``parallel_safe`` transform batches in
forked worker processes while this process reads and writes. The workers inherit the fitted component
(models loaded), and each runs torch on one thread: ``workers`` single-threaded processes keep the cores
busy without the per-operation synchronisation of a multi-threaded model call, which costs most on short
inputs (sentences) and on a shared machine. While a component fits, large embedding runs (the IPTC concept
vectors) are shared among ``workers`` forked processes the same way
(:func:`newsdesk.nlp.embed.parallel_encoding`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, NotFitted
from newsdesk.monitor.hooks import log_outputs
from newsdesk.nlp import DEFAULT_COMPONENTS, BaseComponent, Output, component_class
from newsdesk.nlp.embed import parallel_encoding
from newsdesk.pipeline.champions import build_component
from newsdesk.pipeline.executors import Executor, open_executor
from newsdesk.pipeline.fitting import fit_component
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
    engine: str = "local"

    @property
    def processed(self) -> int:
        return sum(c.processed for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
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
    engine: str | None = None,
    executor: Executor | None = None,
    refit: bool = False,
    progress: Progress | None = None,
) -> EnrichReport:
    """Bring every article's enrichments up to date for the chosen components.

    ``engine`` names the executor (``serial``, ``local``, ``spark``; default ``settings.pipeline.engine``);
    or pass an open ``executor`` (the caller closes it). ``refit`` fits ``refit="once"`` components again
    instead of loading their saved state."""
    started = time.perf_counter()
    workers = workers or settings.pipeline.workers
    if workers < 1:
        raise InvalidInput("workers", workers, "an integer >= 1")
    batch_size = batch_size or settings.pipeline.batch_size
    names = plan_components(only)
    own = executor is None
    runner = executor or open_executor(engine or settings.pipeline.engine, settings, workers=workers)
    report = EnrichReport(engine=runner.name)
    try:
        for name in names:
            report.components.append(
                _run_component(name, store, settings, runner, since, workers, batch_size, refit, progress)
            )
    finally:
        if own:
            runner.close()
    report.seconds = time.perf_counter() - started
    return report


def _run_component(
    name: str,
    store: ArticleStore,
    settings: Settings,
    runner: Executor,
    since: datetime | None,
    workers: int,
    batch_size: int,
    refit: bool,
    progress: Progress | None,
) -> ComponentRun:
    run = ComponentRun(name)
    t0 = time.perf_counter()
    component = build_component(name, settings)
    try:
        with parallel_encoding(workers):  # large model runs while fitting use the workers too
            fit_component(component, store, settings, refit=refit)
    except (NotFitted, InvalidInput) as exc:
        run.skipped = str(exc)
        run.seconds = time.perf_counter() - t0
        return run
    run.version = component.version
    stale = store.stale(name, run.version, since=since)
    run.stale = len(stale)
    if progress:
        progress(name, 0, len(stale))
    vector_model = getattr(component, "vector_model", None) if "vectors" in component.assigns else None
    bulk = store.bulk_vectors(vector_model, len(stale)) if vector_model else nullcontext()
    with bulk:
        batch_started = time.perf_counter()
        for articles, outputs in runner.run(component, store, stale, batch_size):
            run.processed += store.write_enrichments(_writes(component, articles, outputs))
            per_item = (time.perf_counter() - batch_started) * 1000 / max(1, len(articles))
            log_outputs(settings, "pipeline", name, run.version, articles, outputs, per_item)
            batch_started = time.perf_counter()
            if progress:
                progress(name, run.processed, len(stale))
    run.seconds = time.perf_counter() - t0
    return run


def _writes(
    component: BaseComponent, articles: list[Article], outputs: list[Output]
) -> list[EnrichmentWrite]:
    now = datetime.now(UTC)
    version = component.version
    writes = []
    for article, output in zip(articles, outputs, strict=True):
        confidence = None if output.confidence is None else float(output.confidence)
        enrichment = Enrichment(
            component=component.name,
            version=version,
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
