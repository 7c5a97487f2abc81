"""The completion cache: keyed by provider, model, prompt version, input and options."""

from __future__ import annotations

from pathlib import Path

from newsdesk.llm.base import Completion, GenerationOptions, Message, Usage
from newsdesk.llm.cache import CompletionCache, cache_key


def test_key_changes_with_every_part() -> None:
    msgs = [Message("system", "s"), Message("user", "u")]
    base = cache_key("openai", "m", "brief@1", msgs, GenerationOptions())
    assert base == cache_key("openai", "m", "brief@1", list(msgs), GenerationOptions())
    others = {
        cache_key("local", "m", "brief@1", msgs, GenerationOptions()),
        cache_key("openai", "m2", "brief@1", msgs, GenerationOptions()),
        cache_key("openai", "m", "brief@2", msgs, GenerationOptions()),
        cache_key("openai", "m", "brief@1", [Message("user", "u")], GenerationOptions()),
        cache_key("openai", "m", "brief@1", msgs, GenerationOptions(max_tokens=10)),
    }
    assert base not in others and len(others) == 5


def test_round_trip_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "llm.sqlite3"
    cache = CompletionCache(path)
    done = Completion("text", "m", "openai", Usage(10, 5), 12.5, "stop")
    cache.put("k", done, "brief@1")
    cache.close()
    again = CompletionCache(path)
    hit = again.get("k")
    assert hit is not None and hit.cached and hit.text == "text" and hit.usage.total_tokens == 15
    assert again.get("other") is None
    assert len(again) == 1 and again.clear() == 1 and again.get("k") is None
    again.close()
