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
import sqlite3
import threading
import time
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
    """A SQLite file of completions by key; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, provider TEXT NOT NULL, "
            "model TEXT NOT NULL, prompt TEXT NOT NULL, completion TEXT NOT NULL, at REAL NOT NULL)"
        )
        self._conn.commit()

    def get(self, key: str) -> Completion | None:
        with self._lock:
            row = self._conn.execute("SELECT completion FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return dataclasses.replace(Completion.from_dict(json.loads(row[0])), cached=True)

    def put(self, key: str, completion: Completion, prompt: str = "") -> None:
        data = json.dumps(completion.to_dict(), ensure_ascii=False)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?)",
                (key, completion.provider, completion.model, prompt, data, time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM completions").fetchone()[0])

    def clear(self) -> int:
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM completions").rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()
