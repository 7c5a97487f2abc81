"""``newsdesk train``: fit a model, measure it on its evaluation set, log everything to MLflow and register
a new version (never promoted here: promotion goes through the gates).

Logged per run: the model's parameters; fingerprints of the training and evaluation data (SHA-256, records,
date range, sources, labels); the code version (newsdesk's version and, in a git checkout, the commit);
the evaluation's metrics, slices, behavioural tests and latency; the model as an MLflow pyfunc; and, when
the evaluation set is the newsroom's own data, the set itself so later gate reports use the same examples.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from newsdesk.lifecycle.audit import audit_log
from newsdesk.lifecycle.registry import KIND_TAG, ModelRegistry, model_name
from newsdesk.lifecycle.specs import spec_for

if TYPE_CHECKING:
    from newsdesk.lifecycle.spec import Evaluation
    from newsdesk.settings import Settings
    from newsdesk.store import Backend

__all__ = ["TrainResult", "code_version", "train_model"]


@dataclass
class TrainResult:
    name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    evaluation: Evaluation
    train_fingerprint: dict[str, Any]
    dev_fingerprint: dict[str, Any]
    seconds: float
    notes: list[str]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "run_id": self.run_id,
            "metrics": self.metrics,
            "evaluation": self.evaluation.to_dict(),
            "train_data": self.train_fingerprint,
            "eval_data": self.dev_fingerprint,
            "seconds": round(self.seconds, 1),
            "notes": self.notes,
        }


def code_version() -> dict[str, str]:
    """newsdesk's version and, when running from a git checkout, its commit (``+dirty`` if modified)."""
    from newsdesk import __version__

    out = {"newsdesk.version": __version__}
    root = Path(__file__).resolve().parents[3]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        out["newsdesk.git_commit"] = commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def train_model(
    settings: Settings,
    kind: str,
    *,
    actor: str,
    data: Path | None = None,
    dev: Path | None = None,
    store: Backend | None = None,
    params: dict[str, Any] | None = None,
    log: IO[str] | None = None,
) -> TrainResult:
    """Train ``kind`` (``sections`` or ``ner``), register the new version and append ``train`` to the
    audit trail. Returns the version and its evaluation."""
    name = model_name(kind)
    spec = spec_for(name, settings, log=log)
    registry = ModelRegistry(settings)
    mlflow = registry.mlflow
    started = time.perf_counter()
    scratch = settings.home / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        trained = spec.train(Path(tmp), data=data, dev=dev, store=store, params=dict(params or {}))
        with registry.start_run(name, run_name=f"train {spec.kind}") as run:
            mlflow.log_params({k: str(v)[:480] for k, v in trained.params.items()})
            mlflow.log_params({**trained.train.params("train"), **trained.dev.params("dev")})
            mlflow.set_tags({**code_version(), KIND_TAG: spec.kind, "newsdesk.actor": actor})
            mlflow.log_dict(
                {"train": trained.train.to_dict(), "eval": trained.dev.to_dict()}, "data/fingerprints.json"
            )
            from newsdesk import __version__

            # no signature: the input is a DataFrame with a "text" column or a plain list of texts
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(trained.python_model),
                artifacts=trained.artifacts,
                pip_requirements=[f"newsdesk=={__version__}"],
                registered_model_name=name,
            )
            if trained.dev_artifact is not None:
                mlflow.log_artifact(str(trained.dev_artifact), "evaluation")
            model = mlflow.pyfunc.load_model(info.model_uri).unwrap_python_model()
            evaluation = spec.evaluate(model, trained.dev_examples)
            metrics = {**evaluation.metrics, "latency_p95_ms": evaluation.latency_p95_ms}
            metrics.update({f"slice.{k}": v.value for k, v in evaluation.slices.items()})
            metrics.update({f"behaviour.{b.name}": b.pass_rate for b in evaluation.behaviour})
            metrics["train_seconds"] = trained.seconds
            mlflow.log_metrics(_metric_names(metrics))
            mlflow.log_dict(evaluation.to_dict(), "evaluation/dev_evaluation.json")
            run_id = run.info.run_id
    version = str(info.registered_model_version)
    registry.tag_version(name, version, {KIND_TAG: spec.kind})
    seconds = time.perf_counter() - started
    audit_log(settings).append(
        "train",
        actor=actor,
        model=name,
        version=version,
        details={
            "run_id": run_id,
            "train_sha256": trained.train.sha256,
            "train_records": trained.train.records,
            "eval_sha256": trained.dev.sha256,
            "metrics": {k: round(v, 4) for k, v in evaluation.metrics.items()},
            "seconds": round(seconds, 1),
        },
    )
    return TrainResult(
        name,
        version,
        run_id,
        evaluation.metrics,
        evaluation,
        trained.train.to_dict(),
        trained.dev.to_dict(),
        seconds,
        trained.notes,
    )


def _metric_names(metrics: dict[str, float]) -> dict[str, float]:
    """MLflow metric names allow letters, digits, ``_ - . / space``: replace anything else."""
    import re

    return {re.sub(r"[^\w\-./ ]", "_", k): float(v) for k, v in metrics.items()}
