"""SQLite FTS5 as the store uses it: its tokenizer, its BM25 constants, and that tokenizer on its own.

The SQLite store's full-text table (migration 1 of :mod:`newsdesk.store.migrations`) is built from
:data:`FTS_TOKENIZE`, and :meth:`~newsdesk.store.sqlite.SQLiteStore.search_text` ranks with
:func:`bm25_call`'s column weights; the in-memory BM25 mirror (:mod:`newsdesk.search.lexical`) reads the same
constants, and splits words into index terms with :class:`SqliteTerms` (SQLite's own tokenizer), so it ranks
exactly as FTS5 does. It does so on every store backend: the mirror is an index of its own, only its
tokenizer is SQLite's.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable

__all__ = ["BODY_WEIGHT", "FTS_TOKENIZE", "HEADLINE_WEIGHT", "K1", "B", "SqliteTerms", "bm25_call"]

#: The tokenizer of the store's FTS5 table: Porter stemming over ``unicode61`` with diacritics folded.
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
#: Column weights the store passes to ``bm25()``: a headline word counts double.
HEADLINE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
#: FTS5's built-in BM25 parameters (fixed in SQLite's source, not settable).
K1 = 1.2
B = 0.75


def bm25_call(table: str) -> str:
    """The ``bm25()`` call that ranks ``table`` (headline, body) with the store's column weights.

    >>> bm25_call("articles_fts")
    'bm25(articles_fts, 2.0, 1.0)'
    """
    return f"bm25({table}, {HEADLINE_WEIGHT}, {BODY_WEIGHT})"


class SqliteTerms:
    """Word -> FTS5 index terms, computed by SQLite's own tokenizer (an in-memory FTS5 table) and cached.

    >>> SqliteTerms().terms(["Rates", "running", "Zürich"])
    {'Rates': ('rate',), 'running': ('run',), 'Zürich': ('zurich',)}
    """

    def __init__(self, tokenize: str = FTS_TOKENIZE, *, max_cached: int = 2_000_000) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        quoted = tokenize.replace("'", "''")
        self._conn.executescript(
            f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{quoted}');"
            "CREATE VIRTUAL TABLE vocab USING fts5vocab(words, 'instance');"
        )
        self._cache: dict[str, tuple[str, ...]] = {}
        self._max = max_cached
        self._lock = threading.Lock()

    def terms(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        wanted = list(dict.fromkeys(words))
        missing = [w for w in wanted if w not in self._cache]
        if missing:
            with self._lock:
                if len(self._cache) + len(missing) > self._max:
                    self._cache.clear()
                for start in range(0, len(missing), 20_000):
                    self._tokenize(missing[start : start + 20_000])
        return {w: self._cache.get(w, ()) for w in wanted}

    def _tokenize(self, words: list[str]) -> None:
        conn = self._conn
        with conn:
            conn.execute("DELETE FROM words")
            conn.executemany("INSERT INTO words (rowid, word) VALUES (?, ?)", enumerate(words))
            found: dict[int, list[str]] = {}
            for doc, term in conn.execute("SELECT doc, term FROM vocab ORDER BY doc, offset"):
                found.setdefault(doc, []).append(term)
        for i, word in enumerate(words):
            self._cache[word] = tuple(found.get(i, ()))
