"""Enriching one article on the fly, without storing anything: what ``POST /enrich`` runs.

Components are built once and kept (their models load on first use, once per process). Those that learn
from the archive (sections, keyphrases, near-duplicates, the IPTC adaptation) are fitted on the store
(:func:`~newsdesk.pipeline.fitting.fit_component`) the first time they are asked for, and again when the
champion they serve changes; one that cannot be (too few articles, :class:`~newsdesk.errors.NotFitted`,
a model that is not installed) is reported as skipped, with the reason, and tried again after
``RETRY_AFTER_S``. Each component runs under its own lock: models are not all safe to call from several
request threads at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsdesk.articles.model import Article, Enrichment
from newsdesk.errors import InvalidInput, MissingDependency, NotFitted
from newsdesk.monitor.hooks import log_outputs
from newsdesk.nlp import BaseComponent, component_names
from newsdesk.pipeline import plan_components
from newsdesk.pipeline.champions import build_component
from newsdesk.pipeline.fitting import fit_component
from newsdesk.settings import Settings
from newsdesk.store.base import ArticleStore

__all__ = ["LiveEnricher", "LiveResult", "Skipped"]

RETRY_AFTER_S = 600.0
_CANNOT_RUN = (NotFitted, InvalidInput, MissingDependency)


@dataclass(frozen=True, slots=True)
class Skipped:
    component: str
    reason: str


@dataclass
class LiveResult:
    article: Article
    outputs: list[Enrichment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    component: BaseComponent | None = None
    champion: str | None = None  # the champion the component was fitted with
    skipped: str | None = None
    skipped_at: float = 0.0


class LiveEnricher:
    """Prepared components of one service, reused across requests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def allowed(self) -> list[str]:
        """The components this service may run, in pipeline order."""
        configured = self.settings.api.enrich_components
        known = component_names()
        return [n for n in known if configured is None or n in configured]

    def plan(self, only: Sequence[str] | None) -> list[str]:
        """The components to run for ``only`` (all allowed ones without it), dependencies first."""
        allowed = self.allowed()
        if only is None:
            return plan_components(allowed)
        for name in only:
            if name not in allowed:
                raise InvalidInput("only", name, "component names among " + ", ".join(allowed))
        return plan_components(list(only))

    def enrich(self, article: Article, store: ArticleStore, only: Sequence[str] | None = None) -> LiveResult:
        """Run the components on ``article`` (a copy: the caller's is left alone); nothing is stored."""
        started = time.perf_counter()
        names = self.plan(only)
        result = LiveResult(article.model_copy(update={"enrichments": {}}))
        for name in names:
            slot = self._slot(name)
            with slot.lock:
                component = self._prepared(name, slot, store)
                if component is None:
                    result.skipped.append(Skipped(name, slot.skipped or "not available"))
                    continue
                try:
                    t0 = time.perf_counter()
                    outputs = component.transform([result.article])
                    latency_ms = (time.perf_counter() - t0) * 1000
                except _CANNOT_RUN as exc:
                    result.skipped.append(Skipped(name, str(exc)))
                    continue
            if len(outputs) != 1:
                result.skipped.append(Skipped(name, f"returned {len(outputs)} outputs for one article"))
                continue
            output = outputs[0]
            enrichment = Enrichment(
                component=name,
                version=component.version,
                value=output.value,
                confidence=None if output.confidence is None else float(output.confidence),
                created_at=datetime.now(UTC),
                input_hash=result.article.content_hash,
            )
            result.article.enrichments[name] = enrichment  # later components may read it
            result.outputs.append(enrichment)
            log_outputs(
                self.settings, "api", name, component.version, [result.article], [output], latency_ms
            )
        result.seconds = time.perf_counter() - started
        return result

    def _slot(self, name: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault(name, _Slot())

    def _prepared(self, name: str, slot: _Slot, store: ArticleStore) -> BaseComponent | None:
        """The fitted component (slot lock held), or ``None`` with ``slot.skipped`` saying why. A component
        serving a champion is fitted again when the champion changed (a promotion or a rollback)."""
        if slot.component is not None and _champion_ref(slot.component) == slot.champion:
            return slot.component
        if slot.skipped is not None and time.monotonic() - slot.skipped_at < RETRY_AFTER_S:
            return None
        try:
            component = build_component(name, self.settings)
            champion = _champion_ref(component)
            fit_component(component, store, self.settings)
        except _CANNOT_RUN as exc:
            slot.skipped, slot.skipped_at = str(exc), time.monotonic()
            return None
        slot.component, slot.champion, slot.skipped = component, champion, None
        return component


def _champion_ref(component: BaseComponent) -> str | None:
    """The ``name@version`` of the champion the component's source serves now, or None."""
    served = component.served_champion()
    return None if served is None else served[0]
