"""What the lifecycle needs from each kind of model: a :class:`ModelSpec` knows how to load its training and
evaluation data, train, evaluate (overall and per slice), run behavioural tests and time predictions.

Metrics are fractions in [0, 1] (not percentages) so one tolerance means the same thing for every model.
"""

from __future__ import annotations

import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from newsdesk.lifecycle.fingerprint import DataFingerprint, fingerprint

if TYPE_CHECKING:
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["BehaviourResult", "Evaluation", "ModelSpec", "SliceMetric", "Trained", "p95_ms"]


@dataclass(frozen=True)
class SliceMetric:
    value: float
    support: int


@dataclass
class BehaviourResult:
    """An invariance test: the share of perturbed inputs whose prediction did not change."""

    name: str
    description: str
    tested: int
    passed: int
    failures: list[dict[str, Any]] = field(default_factory=list)  # a few examples, for the report

    @property
    def pass_rate(self) -> float:
        return self.passed / self.tested if self.tested else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pass_rate": round(self.pass_rate, 4)}


@dataclass
class Evaluation:
    """A model version measured on one evaluation set."""

    metrics: dict[str, float]
    slices: dict[str, SliceMetric]
    behaviour: list[BehaviourResult]
    latency_p95_ms: float
    primary: str  # the metric the slices report (e.g. accuracy, f1)
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "primary": self.primary,
            "n": self.n,
            "slices": {k: asdict(v) for k, v in self.slices.items()},
            "behaviour": [b.to_dict() for b in self.behaviour],
            "latency_p95_ms": round(self.latency_p95_ms, 2),
        }


@dataclass
class Trained:
    """A freshly trained model, ready to be logged: pyfunc object, artifacts, parameters and data."""

    python_model: Path  # a models-from-code script (see newsdesk.lifecycle.pyfunc.model_code)
    artifacts: dict[str, str]
    params: dict[str, Any]
    train: DataFingerprint
    dev: DataFingerprint
    dev_artifact: Path | None  # the evaluation set, logged beside the model when it is the team's own data
    dev_examples: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


class ModelSpec(ABC):
    """How one kind of model trains and is measured; its entry in :data:`newsdesk.model_kinds.model_kinds`
    names it."""

    kind: ClassVar[str]
    intended_use: ClassVar[str]
    limitations: ClassVar[tuple[str, ...]]
    primary: ClassVar[str]
    trains_from_store: ClassVar[bool] = False  # without --data, training reads the archive (train's store)

    def __init__(self, settings: Settings, *, log: IO[str] | None = None) -> None:
        self.settings = settings
        self.log = log  # where training progress goes (default: stderr)

    @abstractmethod
    def train(
        self,
        workdir: Path,
        *,
        data: Path | None,
        dev: Path | None,
        store: Backend | None,
        params: dict[str, Any],
    ) -> Trained:
        """Fit a model on ``data`` (or the spec's default) and return what to log."""

    @abstractmethod
    def load_eval(self, path: Path) -> list[Any]:
        """The evaluation examples stored at ``path`` (an artifact written by :meth:`train`, or a file)."""

    @abstractmethod
    def default_eval_path(self) -> Path | None:
        """Where the evaluation set lives when the version did not log one and none is given."""

    @abstractmethod
    def evaluate(self, model: Any, examples: Sequence[Any]) -> Evaluation:
        """Metrics, slices, behaviour and latency of ``model`` (the unwrapped pyfunc object)."""

    def fingerprint(self, examples: Sequence[Any], path: Path) -> DataFingerprint:
        """The fingerprint of evaluation ``examples`` read from ``path``, as :meth:`train` recorded it for
        its evaluation set (default: each example's ``record()``)."""
        return fingerprint((e.record() for e in examples), path=str(path))


def p95_ms(fn: Callable[[Any], Any], inputs: Sequence[Any], *, warmup: int = 3) -> float:
    """The 95th percentile latency of ``fn`` on one input at a time, in milliseconds."""
    if not inputs:
        return 0.0
    for item in list(inputs)[:warmup]:
        fn(item)
    times = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - start) * 1000)
    if len(times) == 1:
        return times[0]
    return float(statistics.quantiles(times, n=20, method="inclusive")[-1])
