"""How :class:`~newsdesk.llm.providers.local.LocalProvider` runs a model: transformers or llama.cpp.

Both engines take chat messages (already dicts) and limits (``max_tokens``, ``temperature``, ``seed``,
``stop``, ``repetition_penalty``, ``threads``) and give text with token counts. Loaded engines are kept per
(path, engine) for the life of the process; each holds a lock that serialises its generations.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from newsdesk.errors import InvalidInput, MissingDependency, ProviderFailed

if TYPE_CHECKING:
    from newsdesk.llm.providers.local import ModelSource

__all__ = ["Engine", "Generated", "clear_cache", "cut_at_stop", "load_engine"]

Chat = list[dict[str, str]]


@dataclass(frozen=True)
class Generated:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn or a stop string) or "length"


class Engine(Protocol):
    kind: str

    def generate(self, chat: Chat, limits: dict[str, Any]) -> Generated: ...

    def stream(self, chat: Chat, limits: dict[str, Any]) -> Iterator[str]: ...


_cache: dict[tuple[Path, str], Engine] = {}
_cache_lock = threading.Lock()


def load_engine(source: ModelSource, engine: str, threads: int) -> Engine:
    """The engine for ``source``, loaded once per process."""
    kind = engine
    if kind == "auto":
        gguf = source.gguf_file is not None
        kind = "llama_cpp" if gguf and importlib_has("llama_cpp") else "transformers"
    if kind == "llama_cpp" and source.gguf_file is None:
        raise InvalidInput(
            "engine", "llama_cpp", "transformers for a model folder (llama.cpp reads .gguf files)"
        )
    key = (source.path, kind)
    with _cache_lock:
        loaded = _cache.get(key)
        if loaded is None:
            loaded = LlamaCppEngine(source, threads) if kind == "llama_cpp" else TransformersEngine(source)
            _cache[key] = loaded
    return loaded


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def importlib_has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """``text`` up to the first of the ``stop`` strings, and whether one was found.

    >>> cut_at_stop("one. two. three", (". t", "ee"))
    ('one', True)
    """
    ends = [i for i in (text.find(s) for s in stop) if i >= 0]
    return (text[: min(ends)], True) if ends else (text, False)


class TransformersEngine:
    """A GGUF file (de-quantized on load) or a Hugging Face folder, through transformers and torch."""

    kind = "transformers"

    def __init__(self, source: ModelSource) -> None:
        for package, module in (("transformers", "transformers"), ("torch", "torch")):
            if not importlib_has(module):
                raise MissingDependency(package, "llm", "the local language model")
        if source.gguf_file is not None:
            for package, module in (("gguf", "gguf"), ("accelerate", "accelerate")):
                if not importlib_has(module):
                    raise MissingDependency(package, "llm", "reading GGUF models")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        extra: dict[str, Any] = {"local_files_only": True}
        if source.gguf_file is not None:
            extra["gguf_file"] = source.gguf_file
        hf_logging: Any = importlib.import_module("transformers.utils.logging")

        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a bar per tensor group: noise in a CLI or a service log
        try:
            tokenizer: Any = AutoTokenizer.from_pretrained(str(source.folder), **extra)
            model: Any = AutoModelForCausalLM.from_pretrained(
                str(source.folder), dtype=torch.float32, **extra
            )
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ProviderFailed("local", f"cannot load {source.path}: {type(exc).__name__}: {exc}") from exc
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        model.eval()
        self.tokenizer = tokenizer
        self.model = model
        self._torch = torch
        self.lock = threading.Lock()
        eos = self.tokenizer.eos_token_id
        self._pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else eos

    def _encode(self, chat: Chat) -> Any:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            return tok.apply_chat_template(
                chat, add_generation_prompt=True, return_dict=True, return_tensors="pt"
            )
        text = "\n\n".join(f"{m['role']}: {m['content']}" for m in chat) + "\n\nassistant:"
        return tok(text, return_tensors="pt")

    def _kwargs(self, limits: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_new_tokens": limits["max_tokens"], "pad_token_id": self._pad}
        if limits["temperature"] > 0:
            kwargs.update(do_sample=True, temperature=limits["temperature"])
            if limits.get("seed") is not None:
                self._torch.manual_seed(int(limits["seed"]))
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if limits.get("stop"):
            kwargs.update(stop_strings=list(limits["stop"]), tokenizer=self.tokenizer)
        if limits.get("repetition_penalty", 1.0) != 1.0:
            kwargs["repetition_penalty"] = float(limits["repetition_penalty"])
        return kwargs

    def generate(self, chat: Chat, limits: dict[str, Any]) -> Generated:
        with self.lock:
            self._torch.set_num_threads(int(limits.get("threads") or 1))
            inputs = self._encode(chat)
            prompt = int(inputs["input_ids"].shape[1])
            with self._torch.inference_mode():
                out = self.model.generate(**inputs, **self._kwargs(limits))
        new = out[0, prompt:]
        text = str(self.tokenizer.decode(new, skip_special_tokens=True))
        text, stopped = cut_at_stop(text, limits.get("stop") or ())
        ended = len(new) > 0 and int(new[-1]) == self.tokenizer.eos_token_id
        finish = "stop" if stopped or ended or len(new) < limits["max_tokens"] else "length"
        return Generated(text, prompt, len(new), finish)

    def stream(self, chat: Chat, limits: dict[str, Any]) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        torch = self._torch
        cancel = threading.Event()

        class Cancelled(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.full((input_ids.shape[0],), cancel.is_set(), dtype=torch.bool)

        streamer: Any = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        stop: tuple[str, ...] = tuple(limits.get("stop") or ())

        with self.lock:
            torch.set_num_threads(int(limits.get("threads") or 1))
            inputs = self._encode(chat)
            kwargs = self._kwargs(limits)
            kwargs.update(streamer=streamer, stopping_criteria=StoppingCriteriaList([Cancelled()]))

            def run() -> None:
                try:
                    with torch.inference_mode():
                        self.model.generate(**inputs, **kwargs)
                except BaseException as exc:  # shown to the reader of the stream
                    failure.append(exc)
                    streamer.end()

            worker = threading.Thread(target=run, name="local-llm-stream", daemon=True)
            worker.start()
            try:
                yield from _hold_back_stops(streamer, stop, cancel)
            finally:
                cancel.set()  # the worker stops after its next token (its queue is unbounded)
                worker.join()
        if failure:
            raise failure[0]


def _hold_back_stops(pieces: Iterator[str], stop: tuple[str, ...], cancel: threading.Event) -> Iterator[str]:
    """The pieces, cut before the first stop string; text that might be the start of one is held back
    until the next piece shows whether it is."""
    hold = max((len(s) for s in stop), default=1) - 1
    buffer = ""
    for piece in pieces:
        buffer += piece
        head, stopped = cut_at_stop(buffer, stop)
        if stopped:
            if head:
                yield head
            cancel.set()
            return
        if len(buffer) > hold:
            cut = len(buffer) - hold
            yield buffer[:cut]
            buffer = buffer[cut:]
    if buffer:
        yield buffer


class LlamaCppEngine:
    """A GGUF file through llama-cpp-python (optional: used only where it is installed)."""

    kind = "llama_cpp"

    def __init__(self, source: ModelSource, threads: int) -> None:
        try:
            llama_cpp = importlib.import_module("llama_cpp")
        except ImportError:
            raise MissingDependency("llama-cpp-python", "llm", "running GGUF models with llama.cpp") from None
        self.llama: Any = llama_cpp.Llama(
            model_path=str(source.path), n_threads=threads, n_ctx=4096, verbose=False
        )
        self.lock = threading.Lock()

    def _args(self, chat: Chat, limits: dict[str, Any], stream: bool) -> dict[str, Any]:
        args: dict[str, Any] = {
            "messages": chat,
            "max_tokens": limits["max_tokens"],
            "temperature": limits["temperature"],
            "stop": list(limits.get("stop") or ()),
            "repeat_penalty": float(limits.get("repetition_penalty", 1.0)),
            "stream": stream,
        }
        if limits["temperature"] == 0:
            args["top_k"] = 1
        if limits.get("seed") is not None:
            args["seed"] = int(limits["seed"])
        return args

    def generate(self, chat: Chat, limits: dict[str, Any]) -> Generated:
        with self.lock:
            out = self.llama.create_chat_completion(**self._args(chat, limits, stream=False))
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        text = choice["message"].get("content") or ""
        return Generated(
            text, int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)), finish
        )

    def stream(self, chat: Chat, limits: dict[str, Any]) -> Iterator[str]:
        with self.lock:
            for chunk in self.llama.create_chat_completion(**self._args(chat, limits, stream=True)):
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece
