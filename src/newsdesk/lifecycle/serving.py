"""Serving champions: load each model's ``champion`` by alias, follow promotions and rollbacks without a
restart, and run the ``challenger`` in shadow.

:class:`Champions` keeps one loaded version per model. A call looks up the alias at most every
``settings.lifecycle.reload_seconds`` (one indexed query on the registry); when it moved, the new version
is loaded and swapped in (under a lock, so concurrent requests see one version or the other, never half).
Every prediction carries ``name@version``.

Shadow mode: when a model has a ``challenger`` alias (and ``settings.lifecycle.shadow`` is on), the
challenger predicts the same inputs on a background thread after the champion has answered, so the response
neither waits for nor depends on it; disagreements are appended to ``<home>/shadow/<name>.jsonl`` for
review, and counted. What counts as a disagreement is the ``disagrees`` rule of the model's kind
(:mod:`newsdesk.model_kinds`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsdesk.errors import NotFound
from newsdesk.lifecycle.registry import CHALLENGER, CHAMPION, ModelRegistry, kind_of, model_name
from newsdesk.model_kinds import model_kinds

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = ["Champions", "Prediction", "disagrees"]


@dataclass(frozen=True)
class Prediction:
    model: str  # name@version
    outputs: list[Any]
    shadow: str | None = None  # name@version of the challenger run in shadow, if any

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "predictions": self.outputs, "shadow": self.shadow}


@dataclass
class _Loaded:
    version: str
    model: Any
    checked: float


def disagrees(kind: str, champion: Any, challenger: Any) -> bool:
    """Whether two outputs for one input differ in what a reader would see, by the rule of ``kind``'s entry
    in :data:`~newsdesk.model_kinds.model_kinds` (the section; the entity set; ...)."""
    return bool(model_kinds.get(kind).disagrees(champion, challenger))


class Champions:
    """The models a running service or pipeline serves (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._registry: ModelRegistry | None = None
        self._lock = threading.RLock()
        self._loaded: dict[tuple[str, str], _Loaded] = {}
        self._shadow_pool: ThreadPoolExecutor | None = None
        self.shadow_counts: dict[str, dict[str, int]] = {}
        self._pid = os.getpid()

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            self._registry = ModelRegistry(self.settings)
        return self._registry

    def _get(self, name: str, alias: str, *, required: bool) -> _Loaded | None:
        key = (name, alias)
        now = time.monotonic()
        with self._lock:
            current = self._loaded.get(key)
            if os.getpid() != self._pid:
                # a forked pipeline worker: keep what the parent had, never touch its registry connection
                if current is None and required:
                    raise NotFound(f"{name} has no {alias} loaded in this worker process")
                return current
            if current is not None and now - current.checked < self.settings.lifecycle.reload_seconds:
                return current
            version = self.registry.alias(name, alias)
            if version is None:
                self._loaded.pop(key, None)
                if required:
                    raise NotFound(
                        f"{name} has no {alias}: promote a version first (newsdesk models promote)"
                    )
                return None
            if current is None or current.version != version:
                current = _Loaded(version, self.registry.load(name, version), now)
                self._loaded[key] = current
            else:
                current.checked = now
            return current

    def version(self, name: str) -> str | None:
        """The champion version being served (None when there is none)."""
        loaded = self._get(model_name(name), CHAMPION, required=False)
        return None if loaded is None else loaded.version

    def model(self, name: str) -> tuple[str, Any]:
        """(``name@version``, the unwrapped champion model object) for in-process use by components."""
        name = model_name(name)
        loaded = self._get(name, CHAMPION, required=True)
        assert loaded is not None
        return f"{name}@{loaded.version}", loaded.model.unwrap_python_model()

    def predict(self, name: str, texts: list[str]) -> Prediction:
        name = model_name(name)
        champion = self._get(name, CHAMPION, required=True)
        assert champion is not None
        started = time.perf_counter()
        outputs = list(champion.model.predict(texts))
        self._log(name, champion.version, texts, outputs, (time.perf_counter() - started) * 1000)
        shadow = None
        if self.settings.lifecycle.shadow:
            challenger = self._get(name, CHALLENGER, required=False)
            if challenger is not None and challenger.version != champion.version:
                shadow = f"{name}@{challenger.version}"
                self._submit_shadow(name, champion.version, challenger, texts, outputs)
        return Prediction(f"{name}@{champion.version}", outputs, shadow)

    def _log(self, name: str, version: str, texts: list[str], outputs: list[Any], total_ms: float) -> None:
        from newsdesk.monitor.predictions import prediction_log

        log = prediction_log(self.settings)
        if log is None:
            return
        items = [
            (None, text, out, out.get("confidence") if isinstance(out, dict) else None)
            for text, out in zip(texts, outputs, strict=True)
        ]
        per_item = total_ms / max(1, len(texts))
        log.log(source="api", model=name, version=version, items=items, latency_ms=per_item)

    # -- shadow ---------------------------------------------------------------------------------------
    def _submit_shadow(
        self, name: str, champion: str, challenger: _Loaded, texts: list[str], outputs: list[Any]
    ) -> Future[None]:
        if self._shadow_pool is None:
            self._shadow_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsdesk-shadow")
        return self._shadow_pool.submit(self._shadow, name, champion, challenger, texts, outputs)

    def _shadow(
        self, name: str, champion: str, challenger: _Loaded, texts: list[str], outputs: list[Any]
    ) -> None:
        kind = kind_of(name)
        counts = self.shadow_counts.setdefault(name, {"compared": 0, "disagreed": 0, "failed": 0})
        try:
            theirs = list(challenger.model.predict(texts))
        except Exception as exc:  # a broken challenger must never affect serving
            counts["failed"] += 1
            self._shadow_log(name, {"error": repr(exc)[:500], "challenger": challenger.version})
            return
        for text, ours, other in zip(texts, outputs, theirs, strict=True):
            counts["compared"] += 1
            if disagrees(kind, ours, other):
                counts["disagreed"] += 1
                self._shadow_log(
                    name,
                    {
                        "champion": f"{name}@{champion}",
                        "challenger": f"{name}@{challenger.version}",
                        "input": text[:2000],
                        "champion_output": ours,
                        "challenger_output": other,
                    },
                )

    def _shadow_log(self, name: str, entry: dict[str, Any]) -> None:
        path = shadow_log_path(self.settings, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}, ensure_ascii=False
        )
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for queued shadow predictions (tests, shutdown)."""
        if self._shadow_pool is not None:
            self._shadow_pool.submit(lambda: None).result(timeout=timeout)

    def close(self) -> None:
        if self._shadow_pool is not None:
            self._shadow_pool.shutdown(wait=True)
            self._shadow_pool = None


def shadow_log_path(settings: Settings, name: str) -> Path:
    return settings.home / "shadow" / f"{model_name(name)}.jsonl"


_SHARED: dict[str, Champions] = {}
_SHARED_LOCK = threading.Lock()


def champion_model(settings: Settings, name: str) -> tuple[str, Any] | None:
    """(``name@version``, model object) of ``name``'s champion for enrichment components, or None when
    there is no registry, no champion, or ``settings.lifecycle.pipeline_champions`` is off. Never imports
    mlflow when the workspace has no registry."""
    from newsdesk.lifecycle.registry import registry_exists, tracking_uri

    if not settings.lifecycle.pipeline_champions or not registry_exists(settings):
        return None
    key = tracking_uri(settings)
    with _SHARED_LOCK:
        champions = _SHARED.get(key)
        if champions is None:
            champions = _SHARED[key] = Champions(settings)
    try:
        return champions.model(name)
    except NotFound:
        return None
