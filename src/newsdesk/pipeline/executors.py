"""How a batch of work runs: in this process, in local processes, or on Spark.

An :class:`Executor` receives a fitted component and the ids of the articles it must transform, and yields
``(articles, outputs)`` batches back to the driver, which writes them to the store (one transaction per
batch: the committed batches are the checkpoint a killed run resumes from) and to the prediction log. The
component reaches an executor as :meth:`~newsdesk.nlp.base.BaseComponent.for_executor` made it: its class,
its configuration without local paths, and its fitted state; nothing on the executor side opens the store,
the embedding cache, the prediction log or the model registry.

Executors are found by name in :data:`executors` (``newsdesk enrich --engine serial|local|spark``):

- ``serial``: this process, batch after batch;
- ``local``: ``workers`` forked processes on this machine, each running torch on one thread, while this
  process reads and writes; a component whose model runs on a GPU stays in this process (a CUDA context
  does not survive a fork, and on a GPU one process batching for all is the fast path);
- ``spark``: :mod:`newsdesk.pipeline.spark` (the ``spark`` extra).
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from newsdesk.errors import InvalidInput, NewsdeskError
from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.nlp.base import BaseComponent, Output
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = [
    "Batch",
    "Executor",
    "LocalExecutor",
    "SerialExecutor",
    "check_outputs",
    "executors",
    "load_articles",
    "open_executor",
]

Batch = tuple[list["Article"], list["Output"]]
"""What an executor yields: a batch of articles and their outputs, in order."""


class Executor(Protocol):
    """Runs a fitted component over articles and yields the batches back, in any order."""

    name: str

    def run(
        self, component: BaseComponent, store: ArticleStore, ids: Sequence[str], batch_size: int
    ) -> Iterator[Batch]:
        """Transform the articles ``ids`` (read from ``store`` on the driver or in partitions) in batches
        of at most ``batch_size``; articles deleted meanwhile are left out."""
        ...

    def close(self) -> None:
        """Release what the executor holds (processes, a Spark session it started)."""
        ...


ExecutorFactory = Callable[..., Executor]
executors: Registry[ExecutorFactory] = Registry("executors")
"""Executors by name; plug-ins join through the ``newsdesk.executors`` entry point group."""


# built-in executors in modules of their own, imported (with their optional libraries) only when asked for
_MODULES: dict[str, str] = {"spark": "newsdesk.pipeline.spark"}


def open_executor(engine: str, settings: Settings, *, workers: int | None = None, **options: Any) -> Executor:
    """The executor ``engine`` (``serial``, ``local``, ``spark``...) configured from ``settings``;
    ``options`` go to its constructor (``work_dir`` for ``spark``)."""
    if engine not in executors and engine in _MODULES:
        importlib.import_module(_MODULES[engine])
    if engine not in executors and engine not in executors.names():
        raise InvalidInput("engine", engine, "one of " + ", ".join(sorted({*executors.names(), *_MODULES})))
    return executors.get(engine)(settings, workers=workers, **options)


def load_articles(store: ArticleStore, ids: Sequence[str]) -> list[Article]:
    """The stored articles ``ids`` in order, leaving out those deleted since the ids were read."""
    out: list[Article] = []
    for article_id in ids:
        try:
            out.append(store.get(article_id))
        except NewsdeskError:
            continue
    return out


def check_outputs(
    component: BaseComponent, articles: Sequence[Article], outputs: list[Output]
) -> list[Output]:
    """``outputs``, after checking there is one per article."""
    if len(outputs) != len(articles):
        raise NewsdeskError(
            f"component {component.ref} returned {len(outputs)} outputs for {len(articles)} articles"
        )
    return outputs


def _batches(ids: Sequence[str], size: int) -> list[Sequence[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@executors.register("serial")
class SerialExecutor:
    """Every batch in this process."""

    name = "serial"

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None) -> None:
        del settings, workers

    def run(
        self, component: BaseComponent, store: ArticleStore, ids: Sequence[str], batch_size: int
    ) -> Iterator[Batch]:
        for chunk in _batches(ids, batch_size):
            articles = load_articles(store, chunk)
            yield articles, check_outputs(component, articles, component.transform(articles))

    def close(self) -> None:
        return None


_WORKER: BaseComponent | None = None  # the component forked workers inherit


def _work(articles: list[Article]) -> list[Output]:
    assert _WORKER is not None
    return _WORKER.transform(articles)


def forks_safely(component: BaseComponent) -> bool:
    """False for a component whose model runs on a GPU (see the module docstring)."""
    config = getattr(component, "config", None)
    embedder = getattr(config, "embedder", None)
    device = str(getattr(embedder, "device", "") or getattr(config, "device", "") or "")
    if device.startswith(("cuda", "mps")):
        return False
    if device in ("", "auto"):
        try:
            import torch  # noqa: F401 - only asked when the model would pick a GPU by itself
        except ImportError:
            return True
        return not _gpu_present()
    return True


def _gpu_present() -> bool:
    import torch

    return bool(torch.cuda.is_available())


@executors.register("local")
class LocalExecutor:
    """``workers`` forked processes on this machine; the driver reads articles and writes outputs.

    Components not marked ``parallel_safe``, a single worker, a component on a GPU, or fewer than two
    batches of work run in this process instead. Batches are sized so that each worker gets at least four,
    so no worker is left alone with the last big one."""

    name = "local"

    def __init__(self, settings: Settings | None = None, *, workers: int | None = None) -> None:
        self.workers = workers or (settings.pipeline.workers if settings is not None else 1)
        if self.workers < 1:
            raise InvalidInput("workers", self.workers, "an integer >= 1")

    def parallel(self, component: BaseComponent, n: int) -> bool:
        return self.workers > 1 and component.parallel_safe and n > 1 and forks_safely(component)

    def run(
        self, component: BaseComponent, store: ArticleStore, ids: Sequence[str], batch_size: int
    ) -> Iterator[Batch]:
        if not self.parallel(component, len(ids)):
            yield from SerialExecutor().run(component, store, ids, batch_size)
            return
        size = max(1, min(batch_size, -(-len(ids) // (self.workers * 4))))
        yield from self._in_workers(component, store, _batches(ids, size))

    def _in_workers(
        self, component: BaseComponent, store: ArticleStore, batches: list[Sequence[str]]
    ) -> Iterator[Batch]:
        from newsdesk.nlp.embed import single_thread

        global _WORKER
        _WORKER = component  # inherited, fitted, by the forked workers
        ctx = multiprocessing.get_context("fork")
        try:
            with ctx.Pool(self.workers, initializer=single_thread) as pool:
                pending: list[tuple[list[Article], Any]] = []
                for chunk in batches:
                    articles = load_articles(store, chunk)
                    pending.append((articles, pool.apply_async(_work, (articles,))))
                    if len(pending) >= self.workers * 2:
                        done, result = pending.pop(0)
                        yield done, check_outputs(component, done, result.get())
                for done, result in pending:
                    yield done, check_outputs(component, done, result.get())
        finally:
            _WORKER = None

    def close(self) -> None:
        return None
