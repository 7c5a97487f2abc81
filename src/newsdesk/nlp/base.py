"""What an enrichment component is: a small class with a versioned name that turns articles into outputs.

A component declares what it ``requires`` (article fields, or other components' names, whose outputs it
reads from ``article.enrichments``) and what it ``assigns`` (its own name, plus ``vectors`` when it writes
vectors). ``version`` changes whenever its outputs would change (code or model), so the pipeline knows what
to recompute. Components are registered by name in :data:`components` and built with the settings::

    component = components.get("reading_time")(settings)
    outputs = component.process(articles)     # one Output per article, in order

Components that learn from the archive (a section classifier, a near-duplicate index) do it in
:meth:`Component.prepare`, which the pipeline calls once before processing; used before that they raise
:class:`~newsdesk.errors.NotFitted`.

A component that serves a governed model (a model kind in :mod:`newsdesk.model_kinds` names the component
that serves its champion) does not look the champion up itself: whoever builds it for a run (the pipeline,
the live enricher) hands it a :data:`ChampionSource` with :meth:`BaseComponent.use_champion` before
:meth:`~Component.prepare`. The source is called when the component needs its model and answers
``("newsdesk-ner@3", model)`` or None (no champion: the component's own default model serves), so a
long-running service follows promotions and rollbacks::

    component.use_champion(lambda: ("newsdesk-ner@3", model))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings
    from newsdesk.store.base import ArticleStore

__all__ = ["BaseComponent", "Champion", "ChampionSource", "Component", "Output", "components"]

Champion = tuple[str, Any]
"""A registered champion: (``name@version``, the unwrapped model object)."""
ChampionSource = Callable[[], Champion | None]
"""What :meth:`BaseComponent.use_champion` receives: the current champion, or None when there is none."""


@dataclass(frozen=True, slots=True)
class Output:
    """One component's result for one article: a JSON-ready value, an optional confidence in [0, 1], and
    an optional vector (a 1-d float32 numpy array) stored in the vector table under ``vector_model``."""

    value: Any
    confidence: float | None = None
    vector: Any = None
    vector_model: str | None = None


@runtime_checkable
class Component(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    assigns: ClassVar[tuple[str, ...]]

    @property
    def version(self) -> str: ...

    def prepare(self, store: ArticleStore) -> None:
        """Learn or load what :meth:`process` needs from the archive (no-op for most components)."""
        ...

    def process(self, articles: Sequence[Article]) -> list[Output]:
        """One output per article, in order. Must accept empty input and empty or huge texts."""
        ...


class BaseComponent:
    """Defaults for components: settings kept, nothing to prepare, ``ref`` = ``name@version``."""

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ()
    code_version: ClassVar[str] = "1"
    parallel_safe: ClassVar[bool] = False  # True: may process batches in forked worker processes

    champion_source: ChampionSource | None = None  # set per instance by use_champion

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def use_champion(self, source: ChampionSource | None) -> None:
        """Serve the champion ``source`` answers (see the module docstring); ``None``: never a champion.
        Components that serve no model kind keep the source and never call it."""
        self.champion_source = source

    def served_champion(self) -> Champion | None:
        """The champion to use now: what the source answers, or None without a source."""
        return None if self.champion_source is None else self.champion_source()

    @property
    def version(self) -> str:
        return self.code_version

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def prepare(self, store: ArticleStore) -> None:
        return None

    def process(self, articles: Sequence[Article]) -> list[Output]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ref}>"


components: Registry[type[BaseComponent]] = Registry("components")
"""Every enrichment component by name; third-party ones join through the ``newsdesk.components`` entry
point group."""
