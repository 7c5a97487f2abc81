"""Evaluation results, the task registry and the runner."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newsdesk.errors import InvalidInput, UnreadableSource
from newsdesk.evaluate.locate import find_dataset
from newsdesk.registry import Registry
from newsdesk.settings import Settings

__all__ = ["EvalResult", "EvalTask", "default_dataset", "run_eval", "task", "tasks"]

# The data folder beside the source checkout this module was imported from. Kept for the callers that still
# read it (newsdesk.lifecycle.ner); everything else resolves datasets with newsdesk.evaluate.locate, from
# settings or the working directory, since this place means nothing in an installed package.
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@dataclass
class EvalResult:
    """One evaluation: the model's metrics beside a baseline computed in the same run."""

    task: str
    dataset: str
    n: int
    model: str
    metrics: dict[str, Any]
    baseline: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    try:
        return value.item()  # numpy scalars
    except AttributeError:
        return str(value)


@dataclass(frozen=True)
class EvalTask:
    """A named evaluation: ``run(dataset_path, settings, limit)`` returns an :class:`EvalResult`."""

    name: str
    run: Callable[[Path, Settings, int | None], EvalResult]
    default_dataset: str  # relative to the shared data folder
    description: str = ""


tasks: Registry[EvalTask] = Registry("eval_tasks")

# task name -> module that registers it (imported on first use, so the CLI starts fast)
_MODULES = {
    "sections": "newsdesk.evaluate.sections",
    "multilabel": "newsdesk.evaluate.multilabel",
    "iptc-zeroshot": "newsdesk.evaluate.iptc",
    "ner": "newsdesk.evaluate.ner",
    "summaries": "newsdesk.evaluate.summaries",
    "duplicates": "newsdesk.evaluate.duplicates",
    "embedding-strategy": "newsdesk.evaluate.embedding_strategy",
    "retrieval": "newsdesk.evaluate.retrieval",
    "drift": "newsdesk.evaluate.drift",
    "grounding": "newsdesk.evaluate.grounding",
    "headline-pairs": "newsdesk.evaluate.headline_pairs",
    "headline-pairs-by-time": "newsdesk.evaluate.headline_pairs",
    "trends": "newsdesk.evaluate.trends",
    "entity-merges": "newsdesk.evaluate.entity_merges",
    "entity-merges-archive": "newsdesk.evaluate.entity_merges",
    "stories": "newsdesk.evaluate.stories",
    "recommend": "newsdesk.evaluate.recommend",
}


def task(name: str, *, dataset: str, description: str = "") -> Callable[[Callable[..., EvalResult]], Any]:
    """Register ``fn(dataset_path, settings, limit) -> EvalResult`` as the task ``name``."""

    def add(fn: Callable[[Path, Settings, int | None], EvalResult]) -> Callable[..., EvalResult]:
        tasks.register(name)(EvalTask(name, fn, dataset, description or (fn.__doc__ or "").strip()))
        return fn

    return add


def _load(name: str) -> EvalTask:
    if name not in tasks and name in _MODULES:
        importlib.import_module(_MODULES[name])
    if name not in tasks and name not in _MODULES:
        raise InvalidInput("task", name, "one of " + ", ".join(sorted(_MODULES)))
    return tasks.get(name)


def task_names() -> list[str]:
    return sorted(_MODULES)


def default_dataset(name: str, settings: Settings | None = None) -> Path:
    """Where the task's dataset is (:func:`~newsdesk.evaluate.locate.find_dataset`): under
    ``settings.eval.data_dir``, else ``../shared/data`` or ``./shared/data`` from the working directory.

    Raises :class:`~newsdesk.errors.DatasetNotFound`, naming the paths tried, when it is in none of them.
    """
    return find_dataset(_load(name).default_dataset, settings)


def run_eval(name: str, dataset: Path | None, settings: Settings, *, limit: int | None = None) -> EvalResult:
    """Run task ``name`` on ``dataset`` (default: :func:`default_dataset`) and time it."""
    spec = _load(name)
    path = Path(dataset) if dataset is not None else find_dataset(spec.default_dataset, settings)
    if not path.exists():
        raise UnreadableSource(
            f"{path}: dataset not found for task '{name}' (pass --dataset; expected {spec.default_dataset})"
        )
    started = time.perf_counter()
    result = spec.run(path, settings, limit)
    result.seconds = round(time.perf_counter() - started, 2)
    return result
