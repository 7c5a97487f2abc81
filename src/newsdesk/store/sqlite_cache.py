"""The embedding cache's file: text key -> vector bytes in one local SQLite file, on every store backend.

The cache (:class:`~newsdesk.nlp.embed.EmbeddingCache`) belongs to the machine, not to the archive: it
saves the model's work on this machine (its GPU or cores), a miss costs one model call, and a shared one
would put a network round trip in front of every batch. So a team on PostgreSQL keeps it here too, in
``<home>/cache/embeddings.sqlite3``.

>>> import pathlib, tempfile
>>> cache = SQLiteEmbeddingCache(pathlib.Path(tempfile.mkdtemp()) / "e.sqlite3")
>>> cache.put_many([("k", b"\\x00\\x01")])
>>> cache.get_many(["k", "missing"])
{'k': b'\\x00\\x01'}
>>> cache.close()
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = ["SQLiteEmbeddingCache"]

_CHUNK = 500  # keys per look-up (SQLite's bound-variable limit is 999 on old builds)


class SQLiteEmbeddingCache:
    """A key -> vector table in one SQLite file (WAL; safe to share between processes).

    A process forked from the one that opened the cache (a pipeline worker) opens its own connection on
    first use: an SQLite connection must not cross a fork.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._open()

    def _open(self) -> None:
        self._pid = os.getpid()
        self._conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # forked: the parent's connection (and lock) stay the parent's
            self._open()
        return self._conn

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        conn = self._connection()
        with self._lock:
            for start in range(0, len(keys), _CHUNK):
                part = list(keys[start : start + _CHUNK])
                marks = ", ".join("?" * len(part))
                found.update(conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part))
        return found

    def put_many(self, items: Sequence[tuple[str, bytes]]) -> None:
        conn = self._connection()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", items)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        if self._pid == os.getpid():
            self._conn.close()
