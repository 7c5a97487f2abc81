"""The completion cache: the same request to the same model is never paid for twice.

A completion is keyed by the provider, the model, the prompt version (``brief@1``), the hash of the messages
and the generation options; it lives in ``<home>/cache/llm.sqlite3`` (WAL, one small table), like the
embedding cache. Changing the prompt's version, the model or any option misses the cache; so does a provider
that says its output is not repeatable (temperature above 0 without a seed).

>>> import tempfile, pathlib
>>> from newsdesk.llm.base import Completion, GenerationOptions, Message
>>> cache = CompletionCache(pathlib.Path(tempfile.mkdtemp()) / "llm.sqlite3")
>>> key = cache_key("openai", "m1", "brief@1", [Message("user", "hi")], GenerationOptions())
>>> cache.get(key) is None
True
>>> cache.put(key, Completion("hello", "m1", "openai"))
>>> cache.get(key).cached, cache.get(key).text
(True, 'hello')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from newsdesk.llm.base import Completion, GenerationOptions, Message, messages_digest

__all__ = ["CompletionCache", "cache_key"]


def cache_key(
    provider: str, model: str, prompt: str, messages: Sequence[Message], options: GenerationOptions
) -> str:
    """SHA-256 over (provider, model, prompt version, input hash, options)."""
    payload = json.dumps(
        [provider, model, prompt, messages_digest(messages), options.key()],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class CompletionCache:
    """Completions by key in a SQLite file (:mod:`newsdesk.store.sqlite_llm_cache`); thread-safe."""

    def __init__(self, path: Path) -> None:
        from newsdesk.store.sqlite_llm_cache import SQLiteCompletionCache

        self.path = path
        self._file = SQLiteCompletionCache(path)

    def get(self, key: str) -> Completion | None:
        data = self._file.get(key)
        if data is None:
            return None
        return dataclasses.replace(Completion.from_dict(json.loads(data)), cached=True)

    def put(self, key: str, completion: Completion, prompt: str = "") -> None:
        data = json.dumps(completion.to_dict(), ensure_ascii=False)
        self._file.put(key, completion.provider, completion.model, prompt, data)

    def __len__(self) -> int:
        return self._file.count()

    def clear(self) -> int:
        return self._file.clear()

    def close(self) -> None:
        self._file.close()
