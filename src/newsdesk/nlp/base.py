"""What an enrichment component is: the scikit-learn / spaCy shape, built so that it can be shipped.

A component is a small class with a name, its own small configuration, and (for learned ones) a declared
fitted state::

    component = components.get("keyphrases")(KeyphrasesConfig(top_k=5))   # configuration only
    component.fit(articles)                  # learns on the driver, from an iterable of articles
    outputs = component.transform(batch)     # pure given the fitted state; also component(batch)

- **Configuration.** The constructor takes the component's ``Config`` (a frozen dataclass) or its fields as
  keywords, never the whole :class:`~newsdesk.settings.Settings`; :meth:`BaseComponent.from_settings`
  picks what the component needs from the settings. Fields marked :func:`local_field` (a cache file on
  this machine) are dropped by :meth:`BaseComponent.for_executor`: an executor never reaches a path of
  the driver's. Fields marked :func:`runtime_field` (a batch size, a device) say how to run, not what to
  compute: they are shipped but stay out of the version.
- **Fitted state.** ``state`` names the attributes :meth:`fit` sets (each ends in ``_``).
  :meth:`BaseComponent.get_state` returns them (picklable), :meth:`BaseComponent.set_state` restores them in
  another process, so an executor receives a fitted component as ``(class, config, state)``. A learned
  component used before it is fitted raises :class:`~newsdesk.errors.NotFitted`.
- **Version.** :attr:`BaseComponent.version` is derived, never written by hand: ``code_version``, the
  model's readable identity (:meth:`BaseComponent.model_identity`, e.g. ``all-MiniLM-L6-v2:sentences``) and a
  hash of the configuration and of the fitted state. Any change that could change an output (code,
  configuration, model, fitted state) changes the version, so the pipeline knows what to recompute.
- **Requirements.** ``requires`` names article fields (or other components, whose outputs it reads from
  ``article.enrichments``), ``assigns`` its own name (plus ``vectors`` when it writes vectors). What a model
  reads of an article is :attr:`~newsdesk.articles.model.Article.model_text`.

A component that serves a governed model (a model kind in :mod:`newsdesk.model_kinds` names the component
that serves its champion) does not look the champion up itself: whoever builds it (the pipeline, the live
enricher) hands it a :data:`ChampionSource` with :meth:`BaseComponent.use_champion`; :meth:`fit` asks the
source on the driver and keeps the answer in the fitted state, so executors never reach the registry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

from newsdesk.errors import NotFitted
from newsdesk.registry import Registry

if TYPE_CHECKING:
    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings

__all__ = [
    "BaseComponent",
    "Champion",
    "ChampionSource",
    "Component",
    "ComponentConfig",
    "Output",
    "components",
    "local_field",
    "runtime_field",
    "state_digest",
]

Champion = tuple[str, Any]
"""A registered champion: (``name@version``, the unwrapped model object)."""
ChampionSource = Callable[[], Champion | None]
"""What :meth:`BaseComponent.use_champion` receives: the current champion, or None when there is none."""


@dataclasses.dataclass(frozen=True, slots=True)
class Output:
    """One component's result for one article: a JSON-ready value, an optional confidence in [0, 1], and
    an optional vector (a 1-d float32 numpy array) stored in the vector table under ``vector_model``."""

    value: Any
    confidence: float | None = None
    vector: Any = None
    vector_model: str | None = None


def local_field(default: Any = None) -> Any:
    """A configuration field naming something on this machine only (a cache file): dropped, set to its
    default, when the component is shipped to an executor."""
    return dataclasses.field(default=default, metadata={"local": True}, compare=False)


def runtime_field(default: Any = None) -> Any:
    """A configuration field that says how to run, not what to compute (a batch size, a device): shipped
    to executors but left out of the identity, so changing it changes no version."""
    return dataclasses.field(default=default, metadata={"runtime": True}, compare=False)


@dataclasses.dataclass(frozen=True)
class ComponentConfig:
    """A component's own configuration: a frozen dataclass whose fields are JSON-ready (or paths).

    Subclasses validate in ``__post_init__`` (raising :class:`~newsdesk.errors.InvalidInput`) and take what
    they need from the settings in :meth:`from_settings`."""

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """This configuration from ``settings`` (the component's area), ``options`` winning."""
        return cls(**options)

    def identity(self) -> dict[str, Any]:
        """The fields that can change outputs (local and runtime fields excluded), JSON-ready."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("local") or f.metadata.get("runtime"):
                continue
            value = getattr(self, f.name)
            out[f.name] = value.identity() if isinstance(value, ComponentConfig) else value
        return out

    def for_executor(self) -> Self:
        """This configuration without its local fields (reset to their defaults), nested ones included."""
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("local"):
                changes[f.name] = f.default
            elif isinstance(value, ComponentConfig):
                changes[f.name] = value.for_executor()
        return dataclasses.replace(self, **changes) if changes else self


@runtime_checkable
class Component(Protocol):
    name: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    assigns: ClassVar[tuple[str, ...]]

    @property
    def version(self) -> str: ...

    def fit(self, articles: Iterable[Article]) -> Self:
        """Learn what :meth:`transform` needs (no-op for stateless components)."""
        ...

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        """One output per article, in order. Must accept empty input and empty or huge texts."""
        ...


class BaseComponent:
    """Defaults for components: no configuration, no state, the derived version, ``ref`` = ``name@version``.

    Subclasses set ``Config`` and ``state`` and implement :meth:`transform` (and :meth:`_fit` when they
    learn). They do not override :attr:`version`: they describe their model in :meth:`model_identity` and
    their state in ``state`` (or :meth:`state_digest` when hashing the state itself would be slow)."""

    name: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ()
    code_version: ClassVar[str] = "1"
    parallel_safe: ClassVar[bool] = False  # True: may transform batches in forked worker processes
    Config: ClassVar[type[ComponentConfig]] = ComponentConfig
    state: ClassVar[tuple[str, ...]] = ()  # the fitted attributes, each ending in "_"
    learns: ClassVar[bool] = False  # True: transform raises NotFitted until fit (or set_state)
    refit: ClassVar[str] = "always"  # "always": the pipeline fits each run; "once": a saved state is reused

    champion_source: ChampionSource | None = None  # set per instance by use_champion

    def __init__(self, config: ComponentConfig | None = None, /, **options: Any) -> None:
        if config is not None and options:
            raise TypeError(f"{type(self).__name__}: give a config or options, not both")
        if config is None:
            config = self.Config(**options)
        elif not isinstance(config, self.Config):
            raise TypeError(
                f"{type(self).__name__} takes a {self.Config.__name__}, not {type(config).__name__}"
            )
        self.config = config
        self.fitted_from_: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """A new component configured from ``settings`` (``options`` override single fields)."""
        return cls(cls.Config.from_settings(settings, **options))

    # -- champions ---------------------------------------------------------------------------------------
    def use_champion(self, source: ChampionSource | None) -> None:
        """Serve the champion ``source`` answers (see the module docstring); ``None``: never a champion.
        Components that serve no model kind keep the source and never call it."""
        self.champion_source = source

    def served_champion(self) -> Champion | None:
        """The champion to use now: what the source answers, or None without a source."""
        return None if self.champion_source is None else self.champion_source()

    # -- learning --------------------------------------------------------------------------------------------
    def fit(self, articles: Iterable[Article]) -> Self:
        """Learn from ``articles`` (consumed once, lazily: a stateless component reads none of them).
        Records which articles it saw (``fitted_from_``: a hash of their ids and content hashes)."""
        digest = hashlib.sha256()

        def seen() -> Iterator[Article]:
            for article in articles:
                digest.update(f"{article.id}\x1f{article.content_hash}\x1e".encode("utf-8", "surrogatepass"))
                yield article

        self._fit(seen())
        if self.learns:
            self.fitted_from_ = digest.hexdigest()[:16]
        return self

    def _fit(self, articles: Iterable[Article]) -> None:
        """What :meth:`fit` learns; the default learns nothing and reads nothing."""
        return None

    @property
    def fitted(self) -> bool:
        """Whether :meth:`transform` can run: always for stateless components."""
        return not self.learns or all(getattr(self, name, None) is not None for name in self.state)

    def require_fitted(self) -> None:
        if not self.fitted:
            raise NotFitted(f"{self.name}: call fit(articles) (or set_state) before transform()")

    def get_state(self) -> dict[str, Any]:
        """The fitted state (picklable), for :meth:`set_state` in another process."""
        return {name: getattr(self, name, None) for name in (*self.state, "fitted_from_")}

    def set_state(self, state: dict[str, Any]) -> Self:
        """Restore a state :meth:`get_state` returned (by this class, same configuration)."""
        unknown = set(state) - {*self.state, "fitted_from_"}
        if unknown:
            raise ValueError(f"{self.name}: unknown state {sorted(unknown)}; declared: {list(self.state)}")
        for key, value in state.items():
            setattr(self, key, value)
        return self

    def for_executor(self) -> Self:
        """A copy to ship to an executor: same class, configuration without local fields, same state."""
        shipped = type(self)(self.config.for_executor())
        shipped.set_state(self.get_state())
        return shipped

    # -- identity ----------------------------------------------------------------------------------------
    def model_identity(self) -> str:
        """The model's readable name and version (``""`` when the component runs no model)."""
        return ""

    def state_digest(self) -> str:
        """A hash of the fitted state (``""`` when there is none)."""
        if not self.state:
            return ""
        return state_digest([getattr(self, name, None) for name in self.state])

    @property
    def version(self) -> str:
        """``code_version[+model identity]+hash(class, configuration, model identity, fitted state)``."""
        identity = self.model_identity()
        payload = json.dumps(
            [type(self).__qualname__, self.code_version, self.config.identity(), identity],
            sort_keys=True,
            default=str,
        )
        digest = hashlib.sha256(f"{payload}\x1e{self.state_digest()}".encode()).hexdigest()[:12]
        return "+".join(p for p in (self.code_version, identity, digest) if p)

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    # -- transforming ------------------------------------------------------------------------------------
    def transform(self, articles: Sequence[Article]) -> list[Output]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, articles: Sequence[Article]) -> list[Output]:
        return self.transform(articles)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.ref}>"


def state_digest(value: Any) -> str:
    """A hash of ``value`` that is the same in every process for equal values: numbers, strings, bytes,
    numpy arrays, dicts (by key), lists, tuples, sets (order-free), dataclasses and plain objects (their
    ``__dict__`` or ``__getstate__``). Cycles are followed once."""
    digest = hashlib.sha256()
    _feed(digest, value, set())
    return digest.hexdigest()[:16]


_DEFAULT_GETSTATE = getattr(object, "__getstate__", None)


def _feed(digest: Any, value: Any, seen: set[int]) -> None:
    update = digest.update
    if value is None or isinstance(value, bool | int | float | str):
        update(f"{type(value).__name__}:{value!r}\x1e".encode("utf-8", "surrogatepass"))
        return
    if isinstance(value, bytes | bytearray | memoryview):
        update(b"bytes:" + bytes(value) + b"\x1e")
        return
    module = type(value).__module__
    if module == "numpy" or module.startswith("numpy."):
        import numpy as np

        array = np.ascontiguousarray(value)
        if array.dtype == object:
            update(f"ndarray-object:{array.shape}\x1e".encode())
            for item in array.ravel():
                _feed(digest, item, seen)
            return
        update(f"ndarray:{array.dtype.str}:{array.shape}\x1e".encode())
        update(array.tobytes())
        return
    if id(value) in seen:
        update(b"cycle\x1e")
        return
    seen.add(id(value))
    if isinstance(value, dict):
        update(f"dict:{len(value)}\x1e".encode())
        for key in sorted(value, key=repr):
            _feed(digest, key, seen)
            _feed(digest, value[key], seen)
    elif isinstance(value, list | tuple):
        update(f"{type(value).__name__}:{len(value)}\x1e".encode())
        for item in value:
            _feed(digest, item, seen)
    elif isinstance(value, set | frozenset):
        items = sorted(state_digest(item) for item in value)
        update(("set:" + ",".join(items) + "\x1e").encode())
    else:
        update(f"object:{type(value).__module__}.{type(value).__qualname__}\x1e".encode())
        if dataclasses.is_dataclass(value):
            inner: Any = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        elif getattr(type(value), "__getstate__", None) not in (None, _DEFAULT_GETSTATE):
            inner = value.__getstate__()
        else:
            inner = getattr(value, "__dict__", repr(value))
        _feed(digest, inner, seen)


components: Registry[type[BaseComponent]] = Registry("components")
"""Every enrichment component by name; third-party ones join through the ``newsdesk.components`` entry
point group."""
