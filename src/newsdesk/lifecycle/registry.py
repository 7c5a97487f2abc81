"""MLflow as newsdesk's tracking server and model registry.

The embedded default is a SQLite database and a local artifact folder inside the workspace
(``<home>/mlflow/mlflow.db`` and ``<home>/mlflow/artifacts``), so a laptop needs no server;
``NEWSDESK_MLFLOW_URI`` points at a team's MLflow server instead. Every model is a registered model named
``newsdesk-<kind>`` after its kind in :data:`newsdesk.model_kinds.model_kinds` (``newsdesk-sections``,
``newsdesk-ner``), logged as an MLflow pyfunc model so standard
MLflow tooling (``mlflow.pyfunc.load_model("models:/newsdesk-ner@champion")``, ``mlflow models serve``) can
load it.

The serving alias is MLflow's ``champion``; ``challenger`` marks the version run in shadow mode. Each
registered model keeps the versions that held ``champion``, oldest first, in the tag
``newsdesk.champion_history`` so a rollback can restore the previous one.

mlflow is imported lazily: importing newsdesk, or running anything that does not touch models, never pays
for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.artifacts import mlflow_artifact_root
from newsdesk.errors import InvalidInput, MissingDependency, NotFound

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ModelRegistry",
    "VersionInfo",
    "model_name",
    "registry_exists",
    "tracking_uri",
]

CHAMPION = "champion"
CHALLENGER = "challenger"
HISTORY_TAG = "newsdesk.champion_history"
GATES_TAG = "newsdesk.gates"  # "passed" / "failed" (of the latest gate report for the version)
REPORT_TAG = "newsdesk.gate_report_sha256"
KIND_TAG = "newsdesk.kind"


def model_name(kind_or_name: str) -> str:
    """``sections`` -> ``newsdesk-sections``; a full registered name is returned as is. Known kinds are
    those in :data:`~newsdesk.model_kinds.model_kinds`.

    >>> model_name("ner"), model_name("newsdesk-ner")
    ('newsdesk-ner', 'newsdesk-ner')
    """
    from newsdesk.model_kinds import PREFIX, model_kinds

    name = kind_or_name.strip()
    kinds = model_kinds.names()
    if name.removeprefix(PREFIX) in kinds:
        return f"{PREFIX}{name.removeprefix(PREFIX)}"
    allowed = ", ".join([*kinds, *(f"{PREFIX}{k}" for k in kinds)])
    raise InvalidInput("model", kind_or_name, f"one of {allowed}")


def kind_of(name: str) -> str:
    """The kind of a kind or registered model name (``newsdesk-ner`` -> ``ner``)."""
    return model_name(name).removeprefix("newsdesk-")


def mlflow_dir(settings: Settings) -> Path:
    return settings.home / "mlflow"


def tracking_uri(settings: Settings) -> str:
    """The team's MLflow URI when set; else beside the store when its engine can host MLflow (PostgreSQL:
    an ``mlflow`` schema in the same database); else the workspace's SQLite database."""
    if settings.mlflow_uri:
        return settings.mlflow_uri
    from newsdesk.store import tracking_beside

    beside = tracking_beside(settings)
    if beside is not None:
        return beside
    return f"sqlite:///{(mlflow_dir(settings) / 'mlflow.db').resolve()}"


def registry_exists(settings: Settings) -> bool:
    """Whether there can be registered models to load, without importing mlflow: a remote MLflow is
    configured, the store hosts MLflow (PostgreSQL: like a remote server, it may gain models from any
    process at any time), or the workspace's MLflow database exists."""
    if settings.mlflow_uri:
        return True
    from newsdesk.store import tracking_beside

    if tracking_beside(settings) is not None:
        return True
    return (mlflow_dir(settings) / "mlflow.db").exists()


def _mlflow() -> Any:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    try:
        import mlflow
    except ImportError:
        raise MissingDependency("mlflow", "lifecycle", "model tracking and the model registry") from None
    return mlflow


@dataclass(frozen=True)
class VersionInfo:
    """One registered model version, as newsdesk shows it."""

    name: str
    version: str
    run_id: str | None
    created: str
    aliases: tuple[str, ...]
    gates: str | None  # "passed", "failed" or None (never evaluated)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "run_id": self.run_id,
            "created": self.created,
            "aliases": list(self.aliases),
            "gates": self.gates,
        }


class ModelRegistry:
    """newsdesk's view of MLflow: experiments and runs per model, versions, aliases and their history."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.uri = tracking_uri(settings)
        self.mlflow = _mlflow()
        mlflow_dir(settings).mkdir(parents=True, exist_ok=True)  # local artifacts, when no store holds them
        from mlflow import MlflowClient

        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        mlflow_artifact_root(settings)  # before any artifact is read: MLflow's S3 client needs the endpoint

    # -- runs ---------------------------------------------------------------------------------------------
    def experiment_id(self, name: str) -> str:
        """The experiment that holds ``name``'s training and evaluation runs (created on first use)."""
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        # the artifact store when one is set (it also points MLflow's S3 client at the store's endpoint)
        root = mlflow_artifact_root(self.settings)
        location = f"{root}/{name}" if root else None
        if location is None and not self.settings.mlflow_uri:  # local artifacts, whichever the database
            location = (mlflow_dir(self.settings) / "artifacts" / name).resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def start_run(self, name: str, run_name: str) -> Any:
        """An active MLflow run (a context manager) in ``name``'s experiment, against this registry."""
        self.mlflow.set_tracking_uri(self.uri)
        self.mlflow.set_registry_uri(self.uri)
        return self.mlflow.start_run(experiment_id=self.experiment_id(name), run_name=run_name)

    # -- versions -----------------------------------------------------------------------------------------
    def _aliases(self, name: str) -> dict[str, str]:
        try:
            model = self.client.get_registered_model(name)
        except Exception as exc:
            if _not_found(exc):
                raise NotFound(f"no registered model '{name}': train one with newsdesk train") from None
            raise
        return {alias: str(version) for alias, version in (model.aliases or {}).items()}

    def version(self, name: str, version: str | int) -> VersionInfo:
        try:
            mv = self.client.get_model_version(name, str(version))
        except Exception as exc:
            if _not_found(exc):
                raise NotFound(f"no version {version} of model '{name}'") from None
            raise
        return self._info(mv)

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of ``name``, newest first (empty when the model was never registered)."""
        try:
            found = self.client.search_model_versions(f"name='{name}'")
        except Exception as exc:
            if _not_found(exc):
                return []
            raise
        return sorted((self._info(mv) for mv in found), key=lambda v: -int(v.version))

    def names(self) -> list[str]:
        return sorted(m.name for m in self.client.search_registered_models())

    def _info(self, mv: Any) -> VersionInfo:
        from datetime import UTC, datetime

        tags = dict(mv.tags or {})
        created = datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC).isoformat(timespec="seconds")
        return VersionInfo(
            name=mv.name,
            version=str(mv.version),
            run_id=mv.run_id,
            created=created,
            aliases=tuple(sorted(mv.aliases or [])),
            gates=tags.get(GATES_TAG),
            tags=tags,
        )

    def alias(self, name: str, alias: str) -> str | None:
        """The version that holds ``alias``, or None (also when the model does not exist)."""
        try:
            mv = self.client.get_model_version_by_alias(name, alias)
        except Exception as exc:
            if _not_found(exc):
                return None
            raise
        return str(mv.version)

    def champion(self, name: str) -> str | None:
        return self.alias(name, CHAMPION)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.version(name, version)  # NotFound first
        self.client.set_registered_model_alias(name, alias, str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        if self.alias(name, alias) is not None:
            self.client.delete_registered_model_alias(name, alias)

    def history(self, name: str) -> list[str]:
        """The versions that held ``champion``, oldest first, the current one last."""
        model = self.client.get_registered_model(name)
        raw = (model.tags or {}).get(HISTORY_TAG)
        return [str(v) for v in json.loads(raw)] if raw else []

    def set_history(self, name: str, history: list[str]) -> None:
        self.client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(history[-50:]))

    def tag_version(self, name: str, version: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(name, str(version), key, value)

    def model_uri(self, name: str, version: str) -> str:
        return f"models:/{name}/{version}"

    def load(self, name: str, version: str) -> Any:
        """The pyfunc model of ``name`` version ``version`` (its Python object is reached with
        ``unwrap_python_model()``)."""
        import warnings

        self.mlflow.set_tracking_uri(self.uri)
        self.mlflow.set_registry_uri(self.uri)
        with warnings.catch_warnings():
            # pyfunc input is a DataFrame or a list of texts: there is no type-hint signature to check
            warnings.filterwarnings("ignore", message=".*[Tt]ype hint", category=UserWarning)
            return self.mlflow.pyfunc.load_model(self.model_uri(name, version))

    def run_data(self, run_id: str) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
        """(params, metrics, tags) of a run."""
        run = self.client.get_run(run_id)
        return dict(run.data.params), dict(run.data.metrics), dict(run.data.tags)

    def load_dict(self, run_id: str, path: str) -> dict[str, Any]:
        """A JSON artifact of a run, read against this registry (not MLflow's process-wide default)."""
        self.mlflow.set_tracking_uri(self.uri)
        self.mlflow.set_registry_uri(self.uri)
        loaded: dict[str, Any] = self.mlflow.artifacts.load_dict(f"runs:/{run_id}/{path}")
        return loaded

    def download(self, run_id: str, path: str, dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        return Path(self.client.download_artifacts(run_id, path, str(dest)))

    def log_artifact(self, run_id: str, local: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(run_id, str(local), artifact_path)


def _not_found(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code == "RESOURCE_DOES_NOT_EXIST" or "not found" in str(exc).lower()
