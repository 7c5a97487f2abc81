"""The completion cache's file: one SQLite table of JSON completions by key (``newsdesk.llm.cache``)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

__all__ = ["SQLiteCompletionCache"]


class SQLiteCompletionCache:
    """Key -> completion JSON, in a WAL-mode SQLite file; safe to share between threads."""

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

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT completion FROM completions WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, provider: str, model: str, prompt: str, completion: str) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?)",
                (key, provider, model, prompt, completion, time.time()),
            )

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM completions").fetchone()[0])

    def clear(self) -> int:
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM completions").rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()
